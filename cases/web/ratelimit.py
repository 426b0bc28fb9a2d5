"""Rate limits that identify nobody.

Flask-Limiter counts per *visit* (a hash of the visit's CSRF token, which lives
in the session cookie) and globally, never per IP address: behind Tor or an
office NAT everyone shares an address, and an address would be a trace of the
reporter in the limiter's storage. Storage is Redis when `KANAL_REDIS_URL` is
set (shared by every worker and node), memory otherwise (development).

A refused request is never logged (a timestamped line would date a rate-limited
reporter); it is counted instead, per scope and per calendar day, in the same
storage (`breach_counts`), and the management page shows the counts of days that
are over.

One limiter per process: Flask-Limiter keeps its storage on the instance, and
each gunicorn process serves exactly one of the two apps (wsgi.py builds them
lazily), so the portal's and the review app's counters never mix.
"""

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import Flask, current_app, session
from flask_limiter import Limiter, RequestLimit

from cases.accountability.statistics import WIB
from cases.platform.config import Config

# Every limit's scope (the decorators in portal/ and review/): what the counts are kept by.
SCOPES = ("submit-visit", "submit-all", "status-visit", "status-all", "login-all")
KEEP_DAYS = 8


def _count_breach(request_limit: RequestLimit) -> None:
    """Count a refused request by its scope and the day (Asia/Jakarta), nothing else: no key, no time."""
    scope = request_limit.request_args[-1].rpartition(":")[2]  # "<endpoint>:<scope>"
    if scope in SCOPES:
        config: Config = current_app.extensions["kanal.config"]
        day = local_today().isoformat()
        limiter.storage.incr(_breach_key(config, scope, day), expiry=KEEP_DAYS * 86400)


def _breach_key(config: Config, scope: str, day: str) -> str:
    return f"{config.redis_key_prefix}-breaches/{scope}/{day}"


def local_today() -> date:
    """The deployment's calendar day (the province's time zone, as the pages show dates)."""
    return datetime.now(WIB).date()


def breach_counts(config: Config, *, days: int = 7) -> list[tuple[str, dict[str, int]]]:
    """Refused requests per scope for each of the last `days` days that are over (never today's: a
    count that moves would date a flood, or a reporter who was refused). Shared across both apps
    when the storage is Redis; in memory (development) each process sees only its own."""
    today = local_today()
    result = []
    for back in range(days, 0, -1):
        day = (today - timedelta(days=back)).isoformat()
        result.append(
            (day, {scope: int(limiter.storage.get(_breach_key(config, scope, day)) or 0) for scope in SCOPES})
        )
    return result


limiter = Limiter(
    key_func=lambda: visit_key(), headers_enabled=False, strategy="moving-window", on_breach=_count_breach
)


def visit_key() -> str:
    token = session.get("csrf_token", "")
    if not token:
        return "no-visit"  # such a POST fails its CSRF check anyway
    return "visit:" + hashlib.sha256(b"kanal-integritas/v1/ratelimit\x00" + str(token).encode()).hexdigest()[:32]


def everyone() -> str:
    return "global"


def configured(name: str) -> Callable[[], str]:
    """The limit string `name` from this app's Config, read per request."""

    def value() -> str:
        config: Config = current_app.extensions["kanal.config"]
        limit: str = getattr(config, name)
        return limit

    return value


def init_limiter(app: Flask, config: Config, *, prefix: str) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = config.redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = f"{config.redis_key_prefix}-{prefix}"
    limiter.init_app(app)
