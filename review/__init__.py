"""The integrity team's internal review app. Deny by default."""

from datetime import timedelta
from pathlib import Path

from flask import Flask, g, redirect, request, session, url_for
from flask_wtf import CSRFProtect
from werkzeug.wrappers import Response

from cases.config import Config, load_config
from cases.custody import find_session
from cases.web import configure_logging, db_session, init_babel, init_database, init_security

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The only endpoints reachable without a session. Everything else needs one.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
# A session that is not yet full reaches only its own step (and logout).
STEP_ENDPOINTS = {
    "activation": ("auth.activate", frozenset({"auth.activate", "auth.logout"})),
    "enrol": ("auth.enrol", frozenset({"auth.enrol", "auth.logout"})),
    "second_factor": ("auth.code", frozenset({"auth.code", "auth.logout"})),
}


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    configure_logging()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.update(
        SECRET_KEY=config.review_secret_key,
        SESSION_COOKIE_NAME="kanal_review",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["kanal.config"] = config
    CSRFProtect(app)
    init_database(app, config)
    init_security(app)
    init_babel(app)

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        token = session.get("sid", "")
        row = find_session(
            db_session(),
            token=token,
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_absolute_hours),
        )
        if row is None:
            # pop, not clear: a stray request (favicon, a stale tab) must not
            # wipe the CSRF token of a login form open in another tab.
            session.pop("sid", None)
            return redirect(url_for("auth.login"))
        if row.purpose in STEP_ENDPOINTS:
            home, allowed = STEP_ENDPOINTS[row.purpose]
            if request.endpoint not in allowed:
                return redirect(url_for(home))
        g.session_row, g.session_token, g.reviewer = row, token, row.reviewer
        return None

    from . import admin, auth, cases, cli

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(admin.bp)
    cli.register(app)
    return app
