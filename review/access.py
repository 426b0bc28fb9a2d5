"""Role and step-up checks for review views (deny by default lives in __init__)."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

P = ParamSpec("P")
R = TypeVar("R")


def admin_only(view: Callable[P, R]) -> Callable[P, R]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not g.actor.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def step_up_required(
    return_to: str, *, with_view_args: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Admin actions (and case exports) need a TOTP code entered in the last 5 minutes.

    `with_view_args` sends the reviewer back to `return_to` with this URL's
    arguments (e.g. the case id of an export).
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not g.actor.stepped_up:
                if request.method != "GET":
                    flash(_("Please confirm with a fresh code, then repeat the action."))
                back = url_for(return_to, **(request.view_args or {})) if with_view_args else url_for(return_to)
                return redirect(url_for("auth.step_up", next=back))
            return view(*args, **kwargs)

        return wrapper

    return decorate
