"""Rate limits that identify nobody.

Flask-Limiter counts per *visit* (a hash of the visit's CSRF token, which lives
in the session cookie) and globally, never per IP address: behind Tor or an
office NAT everyone shares an address, and an address would be a trace of the
reporter in the limiter's storage. Storage is Redis when `KANAL_REDIS_URL` is
set (shared by every worker and node), memory otherwise (development).

One limiter per process: Flask-Limiter keeps its storage on the instance, and
each gunicorn process serves exactly one of the two apps (wsgi.py builds them
lazily), so the portal's and the review app's counters never mix.
"""

import hashlib
from collections.abc import Callable

from flask import Flask, current_app, session
from flask_limiter import Limiter

from cases.platform.config import Config

limiter = Limiter(key_func=lambda: visit_key(), headers_enabled=False, strategy="moving-window")


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
