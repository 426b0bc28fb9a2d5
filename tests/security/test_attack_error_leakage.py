"""Attack class: debug and error leakage (SecureDrop/GlobaLeaks audits: stack
traces, debugger consoles, exception messages quoting input in logs).
ASVS 16.5.1: a generic message on unexpected errors; no trace, no debugger,
no input in the page or the log."""

import logging

import pytest
from flask import Flask

CANARY = "KANARI-ERROR-8842"


@pytest.mark.parametrize("app_name", ["portal_app", "review_app"])
def test_an_unexpected_error_shows_a_generic_page_and_logs_no_input(
    app_name: str,
    portal_app: Flask,
    review_app: Flask,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = portal_app if app_name == "portal_app" else review_app
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> str:
        raise ValueError(f"bad input {CANARY}")

    app.add_url_rule("/healthz-broken", "healthz_broken", broken)
    if app_name == "review_app":  # deny-by-default: make the test route public like /healthz
        import review

        monkey = pytest.MonkeyPatch()
        monkey.setattr(review, "PUBLIC_ENDPOINTS", review.PUBLIC_ENDPOINTS | {"healthz_broken"})
        request.addfinalizer(monkey.undo)
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().get("/healthz-broken?q=KANARI-QUERY-1177")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    for leak in (CANARY, "Traceback", "__debugger__", "ValueError", 'File "'):
        assert leak not in page, leak
    assert response.headers["Content-Type"].startswith("text/html")
    # the log names the exception type, never its message or the query string
    assert "ValueError" in caplog.text
    assert CANARY not in caplog.text and "KANARI-QUERY-1177" not in caplog.text


@pytest.mark.parametrize("app_name", ["portal_app", "review_app"])
def test_not_found_and_wrong_method_pages_are_generic(app_name: str, portal_app: Flask, review_app: Flask) -> None:
    client = (portal_app if app_name == "portal_app" else review_app).test_client()
    for response in (client.get(f"/{CANARY}"), client.delete("/")):
        page = response.get_data(as_text=True)
        assert response.status_code in (302, 404, 405)
        assert CANARY not in page and "Werkzeug" not in page and "__debugger__" not in page
        assert "Server" not in response.headers or not any(c.isdigit() for c in response.headers["Server"])


def test_debug_mode_is_never_on(portal_app: Flask, review_app: Flask) -> None:
    assert portal_app.debug is False and review_app.debug is False
