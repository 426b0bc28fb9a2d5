"""The two WSGI apps: `wsgi:portal` (public) and `wsgi:review` (internal).

Each is built on first access, so `flask --app wsgi:review ...` never builds
the portal, and gunicorn builds only the app it serves.
"""

from typing import Any

from flask import Flask

_apps: dict[str, Flask] = {}


def __getattr__(name: str) -> Any:
    if name not in ("portal", "review"):
        raise AttributeError(name)
    if name not in _apps:
        if name == "portal":
            from portal import create_app
        else:
            from review import create_app
        _apps[name] = create_app()
    return _apps[name]
