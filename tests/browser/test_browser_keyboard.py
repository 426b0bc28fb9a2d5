"""Keyboard shortcuts in the review app (static/review.js), in Chromium against gunicorn.

A reviewer moves through the case list with j/k, opens a case with Enter, jumps
to the reply box and the status choice, and back to the list, with no console
error and no CSP violation. The portal, by contrast, runs no script at all.
"""

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto.totp import current_code
from tests.browser.test_browser_journeys import CHROMIUM, PASSPHRASE, browser  # noqa: F401 - browser is a fixture
from tests.live import one_time_passphrase

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

PORTAL_PAGES = ["/", "/lapor", "/status", "/panduan", "/terima-kasih", "/?lang=en", "/lapor?lang=en"]


def activate_admin(page: "sync_api.Page", review_url: str, root: Path) -> None:
    page.goto(review_url + "/login")
    page.fill("#username", "admin")
    page.fill("#passphrase", one_time_passphrase(root))
    page.click("main button[type=submit]")
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#confirm", PASSPHRASE)
    page.click("main button[type=submit]")
    compact = page.inner_text("code.secret").replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    page.fill("#code", current_code(secret, now=time.time()))
    page.click("main button[type=submit]")
    page.locator("ol.codes li").first.wait_for()  # the answer to the POST, not the page before it
    assert page.locator("ol.codes li").count() == 10


def report(page: "sync_api.Page", portal_url: str, what: str) -> None:
    page.goto(portal_url + "/lapor")
    page.select_option("#category", index=1)  # 0 is "— pilih —"
    page.select_option("#opd", index=3)
    page.fill("#what", what)
    page.click("main form button[type=submit]")
    page.locator(".receipt").wait_for()
    assert page.locator(".receipt").count() == 1


@pytest.fixture
def reviewer(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
) -> Iterator[tuple["sync_api.Page", list[str]]]:
    """The admin, activated, on a list of three cases; with every console error collected."""
    portal_url, review_url, _data, root = servers
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    activate_admin(page, review_url, root)
    reporter = browser.new_context(java_script_enabled=False).new_page()
    for n in range(3):
        report(reporter, portal_url, f"Laporan nomor {n}: pungutan liar untuk pengurusan izin di loket pelayanan.")
    reporter.context.close()
    yield page, problems
    context.close()


def row_of_focus(page: "sync_api.Page") -> int:
    return int(
        page.evaluate("""() => {
        const row = document.activeElement.closest('table.cases tbody tr');
        return row ? [...document.querySelectorAll('table.cases tbody tr')].indexOf(row) : -1;
    }""")
    )


def active_id(page: "sync_api.Page") -> str:
    return str(page.evaluate("document.activeElement.id"))


def test_reviewer_works_the_list_and_a_case_from_the_keyboard(
    servers: tuple[str, str, Path, Path], reviewer: tuple["sync_api.Page", list[str]]
) -> None:
    page, problems = reviewer
    review_url = servers[1]
    response = page.goto(review_url + "/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("table.cases tbody tr").count() == 3
    assert page.locator("footer.site").is_visible()  # "press ? ..." appears once the script runs

    # j/k (and the arrows) move a visible focus between the rows
    page.keyboard.press("j")
    assert row_of_focus(page) == 0
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert row_of_focus(page) == 2
    page.keyboard.press("k")
    assert row_of_focus(page) == 1
    assert page.locator("table.cases tbody tr.current").count() == 1
    assert "current" in (page.locator("table.cases tbody tr").nth(1).get_attribute("class") or "")
    page.keyboard.press("ArrowUp")
    assert row_of_focus(page) == 0

    # ? shows the (translated) help, Esc hides it again
    assert not page.locator("#shortcuts").is_visible()
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    assert "Pintasan papan ketik" in page.inner_text("#shortcuts")
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()

    # / goes to the filters; a letter typed in a field is text, not a shortcut
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.closest('form.filters') !== null")
    page.focus("input[name=label]")
    page.keyboard.type("jk?")
    assert page.input_value("input[name=label]") == "jk?"
    assert not page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")  # leaves the field
    assert page.evaluate("document.activeElement === document.body")

    # Enter opens the selected case
    page.keyboard.press("j")
    page.keyboard.press("j")
    # (the selection continues from row 0, where the arrows left it)
    assert row_of_focus(page) == 2
    chosen = page.locator("table.cases tbody tr").nth(2).locator("a").first.get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert chosen and page.url.endswith(chosen)

    # On the case: r is the reply box, s the status choice, u and g l the list
    page.keyboard.press("r")
    assert active_id(page) == "text"
    page.keyboard.type("s")  # typed into the reply, not a jump to the status
    assert active_id(page) == "text" and page.input_value("#text") == "s"
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    assert active_id(page) == "new_status"
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.url.rstrip("/") == review_url
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("o")
    assert "/cases/" in page.url
    with page.expect_navigation():
        page.keyboard.press("g")
        page.keyboard.press("l")
    assert page.url.rstrip("/") == review_url

    assert problems == []


def test_the_portal_runs_no_script_and_works_without_javascript(
    servers: tuple[str, str, Path, Path], browser: "sync_api.Browser"
) -> None:  # noqa: F811
    page = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740}).new_page()
    for path in PORTAL_PAGES:
        response = page.goto(servers[0] + path)
        assert response is not None and response.status == 200, path
        assert "script-src" not in response.headers["content-security-policy"], path
        assert page.locator("script").count() == 0, path
        assert "<script" not in page.content().lower(), path
        assert page.locator("main h1").count() == 1, path
    page.context.close()
