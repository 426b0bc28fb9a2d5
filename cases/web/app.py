"""The app factory both apps share, and the request's unit of work.

One SQLAlchemy session per request. It commits in `after_request`, *before*
the response leaves, so a receipt is never shown for a case that failed to
commit; any error status or exception rolls back.
"""

from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from cases.platform.config import Config, ConfigError, redis_problems
from cases.platform.db import make_engine, make_session_factory
from cases.platform.preflight import check_deployment
from cases.web.i18n import init_babel
from cases.web.logs import configure_logging
from cases.web.ratelimit import init_limiter
from cases.web.security import NulFreeRequest, init_security

_EXTENSION = "kanal.sessions"


STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def make_app(
    import_name: str,
    *,
    config: Config,
    secret_key: str,
    cookie_name: str,
    max_content_length: int,
    limiter_prefix: str,
    scripts: bool = False,
) -> Flask:
    """What both apps share: config, cookies, CSRF, database, headers, errors, Babel.

    `scripts` lets the app's pages run scripts from its own static/ (review app only).
    """
    configure_logging()
    if config.production and redis_problems(config.redis_url):  # load_config refuses the same; a passed Config too
        raise ConfigError("Refusing to start in production: " + " ".join(redis_problems(config.redis_url)))
    app = Flask(import_name, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.request_class = NulFreeRequest
    app.config.update(
        SECRET_KEY=secret_key,
        # Over HTTPS the __Host- prefix pins the cookie to this exact origin. A
        # plain-HTTP onion address cannot use it (KANAL_SECURE_COOKIES=0).
        SESSION_COOKIE_NAME=f"__Host-{cookie_name}" if config.secure_cookies else cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=max_content_length,
    )
    app.extensions["kanal.config"] = config
    CSRFProtect(app)
    init_database(app, config)
    init_security(app, scripts=scripts)
    init_babel(app)
    init_limiter(app, config, prefix=limiter_prefix)

    @app.get("/healthz")
    def healthz() -> Response:
        """For load balancers: 200 when the database answers. Says nothing else."""
        try:
            db_session().execute(text("SELECT 1"))
        except SQLAlchemyError:
            return Response("unavailable\n", status=503, mimetype="text/plain")
        return Response("ok\n", mimetype="text/plain")

    return app


def init_database(app: Flask, config: Config, **engine_kwargs: Any) -> sessionmaker[Session]:
    factory = make_session_factory(make_engine(config.database_url, **engine_kwargs), config.trust())
    app.extensions[_EXTENSION] = factory

    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400 or g.pop("keep_on_error", False):
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:  # an exception skipped after_request
            session.rollback()
            session.close()

    return factory


def session_factory(app: Flask) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app.extensions[_EXTENSION]
    return factory


def command_session() -> Session:
    """A new session of the current app, for an operator command (no request, so no unit of work:
    the command begins and commits its own transaction)."""
    from flask import current_app

    return session_factory(current_app)()


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (tests, and CLI commands that finish). A Connection (a
    test's rolled-back transaction) is not the app's to close."""
    bind = session_factory(app).kw["bind"]
    if isinstance(bind, Engine):
        bind.dispose()


def require_recovery_key(app: Flask, config: Config) -> None:
    """Production never accepts a report that no recovery key could open."""
    try:
        check_deployment(config)
    except ConfigError:
        dispose(app)
        raise


def keep_on_error() -> None:
    """Commit this request's work even if it answers with an error status
    (a failed login must still count, and be audited)."""
    g.keep_on_error = True


def db_session() -> Session:
    if "db_session" not in g:
        from flask import current_app

        g.db_session = current_app.extensions[_EXTENSION]()
    session: Session = g.db_session
    return session
