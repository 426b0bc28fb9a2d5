"""The public reporting portal (no JavaScript, nothing from another origin)."""

from flask import Flask

from cases.platform.config import Config, load_config
from cases.reporting.report_forms import FORM_LIFETIME
from cases.web.app import make_app, require_recovery_key

from .uploads import PortalRequest


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = make_app(
        __name__,
        config=config,
        secret_key=config.portal_secret_key,
        cookie_name="kanal_portal",
        # Far above what a case may hold, so an oversized attachment is refused by
        # the streaming per-file and per-case checks (which keep the typed text)
        # rather than by a bare 413; oversized files are discarded while they
        # stream, so this costs no disk.
        max_content_length=(4 * config.max_case_mb + 16) * 1024 * 1024,
        limiter_prefix="portal",
    )
    # a frightened reporter may take a long time to write; a sent form is remembered longer (report_forms)
    app.config["WTF_CSRF_TIME_LIMIT"] = int(FORM_LIFETIME.total_seconds())
    app.request_class = PortalRequest
    if config.production:
        require_recovery_key(app, config)

    from . import pages, report, retaliation, statistics, status, visit

    app.register_blueprint(pages.bp)
    app.register_blueprint(report.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(visit.bp)
    app.register_blueprint(retaliation.bp)
    app.register_blueprint(statistics.bp)
    return app
