"""The public reporting portal (no JavaScript, nothing from another origin)."""

from pathlib import Path

from flask import Flask
from flask_wtf import CSRFProtect

from cases.config import Config, load_config
from cases.web import configure_logging, init_babel, init_database, init_security, require_recovery_key

from .uploads import PortalRequest

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    configure_logging()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.update(
        SECRET_KEY=config.portal_secret_key,
        SESSION_COOKIE_NAME="kanal_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        # Everything a case may hold plus the form's text; each file is also
        # limited while it streams in (portal/uploads.py).
        MAX_CONTENT_LENGTH=(config.max_case_mb + 1) * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=4 * 3600,  # a frightened reporter may take a long time to write
    )
    app.request_class = PortalRequest
    app.extensions["kanal.config"] = config
    CSRFProtect(app)
    init_database(app, config)
    if config.production:
        require_recovery_key(app, config)
    init_security(app)
    init_babel(app)

    from . import pages, report, status, visit

    app.register_blueprint(pages.bp)
    app.register_blueprint(report.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(visit.bp)
    return app

