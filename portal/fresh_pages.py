"""Fresh form pages kept per process (issue 21, points 1 and 3).

A report form or status form opened afresh is the same page for everyone who asks in the same
language, while the category and unit lists are the same, except for its two secrets: the CSRF
token and the form's one-time token. Rendering it (about sixty options, twenty fields through
WTForms) was most of the form GET's cost. So the first rendering is kept with those two values
replaced by markers, and later GETs fill this request's values in: a string replacement instead of
a template.

The key holds the app too: a page shows some of its configuration (the upload limits).
Only the plain case is kept: no query string but `lang`, no message waiting to be shown; anything
else renders as before. The key holds the language, the lists' version token and the path, so an
admin's change to the lists (a new token, cases.platform.seed) or a language switch renders anew.
A page whose secret does not appear exactly once is never kept (it could not be filled in safely).

The receipt page (portal/report.py, `receipt_page`) is kept the same way, its receipt one of the
secrets: the kept copy holds a marker, never a reporter's receipt.
"""

import secrets
from collections.abc import Callable, Mapping

from flask import current_app, request, session

MAX_PAGES = 32  # languages × pages × list versions: a handful; bounded against anything unforeseen
_pages: dict[tuple[str, ...], str] = {}


def _marker(name: str) -> str:
    return f"\x00{name}\x00"  # never in a rendered page: Jinja and WTForms escape or drop NUL


def plain_request() -> bool:
    """Nothing in this request's page is particular to it but the secrets filled in: no query string
    but `lang`, no message waiting to be shown."""
    return set(request.args) <= {"lang"} and not session.get("_flashes")


def keepable() -> bool:
    """This GET may be served from a kept page: nothing in it is particular to this request."""
    return request.method == "GET" and plain_request()


def served(key: tuple[str, ...], render: Callable[[], str], values: Mapping[str, str]) -> str:
    """The page for `key` with this request's secret `values` (name -> value) filled in; `render`
    makes it (with those same values) when it is not kept yet."""
    # Per app as well: a page shows some of its configuration (the upload limits), and tests make many apps.
    key = (current_app.extensions.setdefault("kanal.fresh_pages", secrets.token_hex(8)), *key)
    kept = _pages.get(key)
    if kept is not None:
        for name, value in values.items():
            kept = kept.replace(_marker(name), value)
        return kept
    html = render()
    template = html
    for name, value in values.items():
        if not value or html.count(value) != 1:
            return html
        template = template.replace(value, _marker(name))
    if len(_pages) >= MAX_PAGES:
        _pages.clear()
    _pages[key] = template
    return html


def forget_all() -> None:
    """Tests: start from nothing kept."""
    _pages.clear()
