"""Rate limits that identify nobody.

Flask-Limiter counts per *visit* (a hash of the visit's CSRF token, which lives
in the session cookie) and globally, never per IP address: behind Tor or an
office NAT everyone shares an address, and an address would be a trace of the
reporter in the limiter's storage. Storage is Redis when `KANAL_REDIS_URL` is
set (shared by every worker and node), memory otherwise (development).

Global buckets count *work*, not requests (issue 17): a POST that fails its
CSRF check or its form's validation costs the portal little and is counted only
per visit (the decorators); the global ceilings are spent by the view itself,
with `spend`, once the request is well-formed, so junk cannot fill them and
crowd out genuine reporters. File bytes are spent per visit once the files
passed their size checks (`within_upload_share`).

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

from flask import Flask, abort, current_app, request, session
from flask_limiter import Limiter, RequestLimit
from limits import parse_many

from cases.accountability.statistics import WIB
from cases.platform.config import Config

# Every limit's scope (the decorators and `spend` calls in portal/ and review/): what the counts are kept by.
SCOPES = (
    "submit-visit",
    "submit-all",
    "status-visit",
    "status-all",
    "reply-visit",
    "reply-all",
    "upload-visit",
    "login-all",
    "login-device",
)
KEEP_DAYS = 8


def _count_breach(request_limit: RequestLimit) -> None:
    """Count a refused request by its scope and the day (Asia/Jakarta), nothing else: no key, no time."""
    _count_scope(request_limit.request_args[-1].rpartition(":")[2])  # "<endpoint>:<scope>"


def _count_scope(scope: str) -> None:
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


@limiter.request_filter
def _page_views_are_not_counted() -> bool:
    """Every limit is on a POST (the decorators' `methods=["POST"]`, POST-only routes, `spend` in the
    views): a page view is never counted, so the limiter is not even asked (issue 21: a form GET
    costs about a tenth less)."""
    return request.method in ("GET", "HEAD", "OPTIONS")


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


def spend(scope: str, *, limit: str, key: str, cost: int = 1) -> None:
    """Count `cost` units of well-formed work against every part of `limit` (Flask-Limiter syntax)
    for `key`, atomically in the shared storage; over the limit, nothing more is counted, the refusal
    is counted for `breach_counts`, and the request ends in the app's 429 page."""
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX", ""))
    for item in sorted(parse_many(limit)):
        if not limiter.limiter.hit(item, prefix, key, scope, cost=cost):
            _count_scope(scope)
            abort(429)


def spend_globally(scope: str, limit_name: str) -> None:
    """One well-formed request against the configured global ceiling `limit_name`."""
    config: Config = current_app.extensions["kanal.config"]
    spend(scope, limit=getattr(config, limit_name), key=everyone())


def within_upload_share(byte_count: int) -> bool:
    """Spend `byte_count` bytes (counted in whole MiB) of this visit's share of the hour's upload
    allowance; False, with nothing spent, when they do not fit. One visit cannot take the whole
    hour's allowance from everyone else (issue 17)."""
    config: Config = current_app.extensions["kanal.config"]
    if byte_count <= 0:
        return True
    mib = -(-byte_count // (1024 * 1024))
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX", ""))
    for item in parse_many(f"{config.max_upload_mb_per_visit_hour}/hour"):
        if not limiter.limiter.hit(item, prefix, visit_key(), "upload-visit", cost=mib):
            _count_scope("upload-visit")
            return False
    return True


def init_limiter(app: Flask, config: Config, *, prefix: str) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = config.redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = f"{config.redis_key_prefix}-{prefix}"
    limiter.init_app(app)
