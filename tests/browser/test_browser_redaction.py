"""Redaction before referral in Chromium, without JavaScript: the form, the preview and the export
form pass the Nu HTML checker and axe; screenshots of the form and the preview (KANAL_SCREENSHOTS=dir
copies them, as docs/screenshots was made)."""

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.checks import Sources, axe_on_sources, html_errors
from tests.browser.test_browser_journeys import CHROMIUM, browser, photo  # noqa: F401 - a fixture
from tests.browser.test_browser_keyboard import activate_admin

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

WHAT = (
    "Kepala Subbagian Umum, Bapak Sutrisno Hadiwijoyo, meminta setoran Rp 300.000 dari setiap staf "
    "sebelum penilaian kinerja. Saya melihatnya sendiri di ruang arsip lantai dua."
)


def _shoot(page: "sync_api.Page", directory: Path, name: str) -> None:
    target = directory / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if extra := os.environ.get("KANAL_SCREENSHOTS"):
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(extra) / target.name)


def test_redaction_pages_work_without_javascript_and_pass_the_checkers(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    tmp_path: Path,
) -> None:
    portal_url, review_url, _data, root = servers
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    activate_admin(admin, review_url, root)  # first: a report is sealed to those who hold keys when it arrives
    reporter = browser.new_context(java_script_enabled=False).new_page()
    reporter.goto(portal_url + "/lapor")
    reporter.select_option("#category", index=1)
    reporter.select_option("#opd", index=3)
    reporter.fill("#what", WHAT)
    reporter.set_input_files("#evidence", str(photo(tmp_path)))
    reporter.click("main form button[type=submit]")
    reporter.locator(".receipt").wait_for()
    reporter.context.close()

    team = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    team.add_cookies(admin.context.cookies())  # the same signed-in session, now without JavaScript
    page = team.new_page()
    sources = Sources()
    page.goto(review_url + "/")
    page.click("table.cases a >> nth=0")
    case_path = page.url.removeprefix(review_url)
    sources.goto(page, review_url, case_path + "/redact", "review-redaction-empty")
    page.fill("#phrases", "Sutrisno Hadiwijoyo\nruang arsip lantai dua")
    page.check("input[name=files]")
    _shoot(page, tmp_path, "25-review-redaction-form")
    sources.submit(page, review_url, "main form.stack button[type=submit]", "review-redaction-preview")
    assert "[disamarkan]" in page.content() and "Hadiwijoyo" not in page.content()
    _shoot(page, tmp_path, "26-review-redaction-preview")
    sources.goto(page, review_url, case_path + "/redact", "review-redaction-list")
    assert "Hanya penelaah lain yang dapat mencabut penyamaran Anda" in page.content()
    sources.goto(page, review_url, case_path + "/export", "review-export-redacted")
    assert "Disamarkan: 2 frasa" in page.content()
    sources.goto(page, review_url, case_path, "review-case-redacted")
    assert "Hadiwijoyo" in page.content() and "1 penyamaran berlaku" in page.content()  # the original stays
    sources.goto(page, review_url, case_path + "/redact", "review-redaction-problem")
    page.fill("#phrases", "disamarkan")
    sources.submit(page, review_url, "main form.stack button[type=submit]", "review-redaction-refused")
    assert "minimal 2 karakter" in page.content()

    pages = {name: html for name, (_base, html) in sources.pages.items()}
    assert html_errors(pages, tmp_path / "html") == []
    assert axe_on_sources(browser, sources, {"width": 1280, "height": 900}) == []
