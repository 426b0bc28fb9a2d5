"""Logging for both apps: one format, no request data, chatty libraries quietened."""

import logging
import sys

_EXTENSION = "kanal.sessions"


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
