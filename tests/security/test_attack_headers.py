"""Attack class: the browser as the weak point — clickjacking, script injection
that a missing or loose CSP would let run, MIME sniffing, referrer leaks of a
case URL, cached report pages on a shared office PC, search engines indexing
the portal, version banners (SecureDrop/GlobaLeaks audit findings: missing or
permissive security headers, caching of sensitive pages).

Every GET route of both apps — the review app visited with a full session and
real ids — must carry the full set of DESIGN.md §5 headers; HSTS over HTTPS.
"""

import dataclasses
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cases.platform.config import Config
from cases.web.app import dispose
from tests.actions import case_ids, submit_report
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture

SKIPPED = {"static"}


def assert_strict_headers(response: TestResponse, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"):
        assert directive in csp, (where, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp, where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert headers.get("Cross-Origin-Resource-Policy") == "same-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where
    assert headers.get("Cache-Control") == "no-store", where
    assert not re.search(r"\d", headers.get("Server", "")), where  # no version banner
    assert "X-Powered-By" not in headers and "Access-Control-Allow-Origin" not in headers, where


def _get_paths(app: Flask, values: dict[str, str]) -> Iterator[str]:
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and rule.endpoint not in SKIPPED:
            yield re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)


def test_portal_pages_carry_strict_headers(portal: FlaskClient) -> None:
    for url in ("/", "/lapor", "/status", "/no-such-page"):
        headers = portal.get(url).headers
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"


def test_every_portal_get_route_carries_every_header_and_no_script(portal_app: Flask) -> None:
    client = portal_app.test_client()
    visited = list(_get_paths(portal_app, {}))
    assert len(visited) >= 6
    for path in [*visited, "/no-such-page"]:
        response = client.get(path)
        assert_strict_headers(response, path)
        # the portal runs no script at all: its CSP has no script-src, so default-src 'none' applies
        assert "script-src" not in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Robots-Tag"] == "noindex, noarchive", path


def test_every_review_get_route_carries_every_header(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient
) -> None:  # noqa: F811
    submit_report(portal)
    values = {"case_id": case_ids(admin)[0], "filename": "review.css"}
    visited = list(_get_paths(review_app, values))
    assert len(visited) >= 10
    for path in [*visited, "/no-such-page"]:
        response = admin.get(path)
        assert_strict_headers(response, path)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], path  # its own files only


def test_portal_is_not_for_search_engines(portal: FlaskClient) -> None:
    assert portal.get("/robots.txt").get_data(as_text=True) == "User-agent: *\nDisallow: /\n"
    for url in ("/", "/lapor", "/status"):
        assert portal.get(url).headers["X-Robots-Tag"] == "noindex, noarchive"


@pytest.mark.parametrize("which", ["portal", "review"])
def test_hsts_only_and_always_over_https(which: str, config: Config, recovery_secret: bytes) -> None:
    from portal import create_app as portal_app
    from review import create_app as review_app

    create = portal_app if which == "portal" else review_app
    secure = create(dataclasses.replace(config, secure_cookies=True))
    plain = create(config)
    try:
        over_https = secure.test_client().get("/healthz", base_url="https://kanal.local")
        assert over_https.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
        # over plain HTTP (development, onion) HSTS would be meaningless and is not sent
        assert "Strict-Transport-Security" not in plain.test_client().get("/healthz").headers
    finally:
        dispose(secure)
        dispose(plain)
