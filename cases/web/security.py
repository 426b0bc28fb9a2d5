"""Security headers, the NUL-free request class and error pages, for both apps."""

import traceback

from flask import Flask, Request, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

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
