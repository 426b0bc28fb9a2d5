"""Flask glue shared by both apps: request unit of work, headers, logging, errors.

One SQLAlchemy session per request. It commits in `after_request`, *before*
the response leaves, so a receipt is never shown for a case that failed to
commit; any error status or exception rolls back.
"""

import logging
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Request, abort, g, has_request_context, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import (
    Babel,
    format_currency,
    format_date,
    format_datetime,
    format_timedelta,
    get_locale,
    lazy_gettext,
)
from flask_wtf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .clock import utc_now
from .config import Config, ConfigError
from .db import make_engine, make_session_factory
from .preflight import check_deployment
from .ratelimit import init_limiter

_EXTENSION = "kanal.sessions"

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The review app may run its own small scripts (keyboard shortcuts, static/review.js);
# the portal runs none: its CSP has no script-src, so default-src 'none' forbids every script.
REVIEW_CSP = CSP + "; script-src 'self'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cache-Control": "no-store",
}


def configure_logging() -> None:
    """One format for both apps: level, logger, message. No request data, ever."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # Werkzeug's development server logs every request with the client address.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Chatty libraries: keep their warnings, drop their start-up notices.
    for name in ("alembic", "pikepdf"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Flask-Limiter logs every refused request at INFO: a timestamped line (journald dates each one)
    # would date a rate-limited reporter's visit. Its warnings (a storage that fails) are kept.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)  # "Running upgrade ..." helps operators


STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def small_int(text: str, maximum: int = 10**9) -> int | None:
    """A number typed in a form or query: ASCII digits only, at most `maximum`.

    `str.isdigit` accepts "²" (int() then raises) and any length (the database then
    overflows): both were 500s found by bench/fuzz_review.py."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


class NulFreeRequest(Request):
    """Form values and names without NUL characters.

    No keyboard types a NUL and no field means one, but PostgreSQL refuses it in a
    text parameter (DataError → 500), and some views read `request.form` directly.
    Dropping it here, once for both apps, keeps the rest of what was typed; a NUL in
    the path or the query is refused instead (`init_security`)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in key or "\x00" in value for key, value in form.items(multi=True)):
            self.__dict__["form"] = self.parameter_storage_class(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in form.items(multi=True)]
            )


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


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (tests, and CLI commands that finish)."""
    engine = session_factory(app).kw["bind"]
    engine.dispose()


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


def init_security(app: Flask, *, scripts: bool = False) -> None:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": REVIEW_CSP if scripts else CSP}

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        return response

    @app.before_request
    def _refuse_nul() -> None:
        # A NUL is never part of a real path or query, and PostgreSQL refuses it in a text
        # parameter (DataError → 500): refuse it before any view reads it.
        if "\x00" in request.path:
            abort(404)
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            abort(400)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        original = getattr(error, "original_exception", None)  # raised after the view (the commit)
        if isinstance(original, Exception):
            return _unexpected(original)
        code = error.code or 500
        return render_template("error.html", code=code), code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        # Log the type and where it happened, never the message: it may quote input.
        frames = "".join(traceback.format_tb(error.__traceback__))
        app.logger.error("unhandled %s\n%s", type(error).__name__, frames)
        if database_unavailable(error):
            # A retryable outage, not a bug: 503 and when to try again. Nothing was committed
            # unless the connection broke during COMMIT itself, so the page still asks the
            # reporter to check for a receipt before sending again.
            return render_template("error.html", code=503), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return render_template("error.html", code=500), 500


RETRY_AFTER_SECONDS = 30


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (restart, failover)."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and bool(error.connection_invalidated))


STATUS_LABELS = {
    "new": lazy_gettext("Received"),
    "verifying": lazy_gettext("Verification"),
    "investigating": lazy_gettext("Investigation"),
    "referred": lazy_gettext("Referred"),
    "closed": lazy_gettext("Concluded"),
    "rejected": lazy_gettext("Rejected"),
}

# The English descriptions cases/evidence/sniff.py gives each accepted file kind.
FILE_LABELS = {
    "JPEG image": lazy_gettext("JPEG image"),
    "PNG image": lazy_gettext("PNG image"),
    "WebP image": lazy_gettext("WebP image"),
    "GIF image": lazy_gettext("GIF image"),
    "HEIC photo": lazy_gettext("HEIC photo"),
    "PDF document": lazy_gettext("PDF document"),
    "Word document": lazy_gettext("Word document"),
    "Excel spreadsheet": lazy_gettext("Excel spreadsheet"),
    "PowerPoint file": lazy_gettext("PowerPoint file"),
    "OpenDocument text": lazy_gettext("OpenDocument text"),
    "OpenDocument spreadsheet": lazy_gettext("OpenDocument spreadsheet"),
    "OpenDocument presentation": lazy_gettext("OpenDocument presentation"),
    "older Office document": lazy_gettext("older Office document"),
    "audio recording": lazy_gettext("audio recording"),
    "text file": lazy_gettext("text file"),
}

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


LANGUAGES = ("id", "en")


def chosen_language() -> str:
    """Indonesian unless the visit asked for English with `?lang=en`.

    The choice travels in the URL (every link and form the app builds carries it
    on), never in a cookie: no cookie is set just to remember a language.
    """
    lang = request.args.get("lang", "") if has_request_context() else ""
    return lang if lang in LANGUAGES else "id"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=chosen_language)

    @app.url_defaults
    def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" and "lang" not in values and chosen_language() != "id":
            values["lang"] = chosen_language()

    def switch_language_url(lang: str) -> str:
        args = {**(request.view_args or {}), **request.args.to_dict()}
        args["lang"] = lang
        return url_for(request.endpoint or "static", **args) if request.endpoint else "/"

    def status_label(code: str) -> str:
        return str(STATUS_LABELS.get(code, code))

    def category_name(name_id: str, name_en: str) -> str:
        return name_en if str(get_locale()) == "en" else name_id

    def file_label(label: str) -> str:
        return str(FILE_LABELS.get(label, label))

    app.jinja_env.globals.update(
        status_label=status_label,
        category_name=category_name,
        get_locale=get_locale,
        file_label=file_label,
        switch_language_url=switch_language_url,
        config_limits=app.extensions.get("kanal.config"),
    )
    app.jinja_env.filters["date"] = lambda value: format_date(value, "long")

    def relative(value: datetime | None) -> str:
        if value is None:
            return ""
        return str(format_timedelta(value - utc_now(), add_direction=True, threshold=1.1))

    app.jinja_env.filters["relative"] = relative
    app.jinja_env.filters["rupiah"] = rupiah
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "d MMM yyyy HH:mm")


def rupiah(value: int) -> str:
    """An amount in rupiah as the visit's locale writes it: "Rp1.500.000" (id), "IDR1,500,000" (en)."""
    return str(format_currency(value, "IDR"))
