"""Retaliation reports in a real browser (issue 20, point 4), JavaScript off for the reporter.

A reporter on a phone reports, comes back with the receipt, presses "Saya mengalami pembalasan",
sends the form (first empty: the notes come back), gets the new report's receipt, and sees the link
on the earlier report's page; then makes a new report citing the earlier receipt (first mistyped).
The team sees the link on each case page. Every page reached passes the Nu HTML checker and axe.
Screenshots go to the test's directory (and, with KANAL_SCREENSHOTS=dir, there too).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.test_browser_journeys import CHROMIUM, browser  # noqa: F401 - a fixture
from tests.browser.test_browser_keyboard import activate_admin

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")


def _shot(page: "sync_api.Page", directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    extra = os.environ.get("KANAL_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(extra) / target.name)


def test_a_reporter_without_javascript_reports_retaliation_and_the_team_sees_the_link(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.browser.checks import Sources, axe_on_sources, html_errors

    portal_url, review_url, _data, root = servers
    shots = tmp_path / "screenshots"
    portal_pages, review_pages = Sources(), Sources()
    team = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    activate_admin(team, review_url, root)

    # The reporter, on a phone, without JavaScript: a report, and its receipt.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    reporter = phone.new_page()
    portal_pages.goto(reporter, portal_url, "/lapor", "portal-report-form")
    assert "Pembalasan terhadap pelapor" not in reporter.content()  # not an ordinary category
    reporter.select_option("#category", index=1)
    reporter.select_option("#opd", index=5)
    reporter.fill("#what", "Kepala bidang meminta setoran Rp 500.000 dari setiap staf setiap bulan.")
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-receipt")
    receipt = reporter.inner_text(".receipt").strip()

    # Weeks later: back with the receipt, on the report's page, "Saya mengalami pembalasan".
    portal_pages.goto(reporter, portal_url, "/status", "portal-status")
    reporter.fill("#receipt", receipt)
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-my-report")
    portal_pages.submit(reporter, portal_url, "text=Saya mengalami pembalasan", "portal-retaliation-form")
    assert reporter.title() == "Laporkan pembalasan · Kanal Integritas"
    # sent empty, the form comes back with a note, and nothing is made
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-retaliation-errors")
    assert "Mohon ceritakan apa yang terjadi" in reporter.content()
    reporter.fill("#what", "Seminggu setelah melapor saya dimutasi ke bagian arsip dan nilai SKP saya diturunkan.")
    reporter.fill("#when", "April 2026")
    reporter.fill("#who", "Sekretaris dinas")
    _shot(reporter, shots, "23-portal-retaliation-form")
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-retaliation-receipt")
    second = reporter.inner_text(".receipt").strip()
    assert second != receipt and "laporan pembalasan" in reporter.content()
    box = reporter.locator(".receipt").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360

    # The earlier report's page shows the retaliation report and its status.
    portal_pages.goto(reporter, portal_url, "/laporan-saya", "portal-my-report-linked")
    assert "Anda melaporkan pembalasan pada" in reporter.content() and "Diterima" in reporter.content()
    _shot(reporter, shots, "23a-portal-my-report-retaliation")
    reporter.click("text=Keluar dan lupakan perangkat ini")

    # Later still: a new report citing the earlier receipt, first mistyped (everything typed is kept).
    portal_pages.goto(reporter, portal_url, "/lapor", "portal-report-form-again")
    reporter.select_option("#opd", index=5)
    reporter.fill("#what", "Tunjangan kinerja saya dipotong sejak bulan lalu tanpa penjelasan.")
    reporter.fill("#earlier_receipt", "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-report-earlier-unknown")
    assert "tidak dikenali" in reporter.content()
    assert reporter.input_value("#what").startswith("Tunjangan kinerja saya dipotong")
    reporter.fill("#earlier_receipt", receipt.lower())
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-report-earlier-receipt")
    assert reporter.locator(".receipt").count() == 1 and "laporan pembalasan" in reporter.content()

    # The team: both retaliation reports are high priority on the list, and each case page links the other.
    review_pages.goto(team, review_url, "/", "review-case-list")
    assert team.locator("table.cases", has_text="Pembalasan terhadap pelapor").count() == 1
    row = team.locator("table.cases tbody tr", has_text="Pembalasan terhadap pelapor").first
    assert "tinggi" in row.inner_text().lower()  # the priority marker (CSS capitals)
    review_pages.submit(
        team, review_url, "table.cases tbody tr:has-text('Pembalasan terhadap pelapor') a", "review-case"
    )
    assert "Pembalasan atas perkara" in team.content()
    _shot(team, shots, "24-review-case-retaliation")
    team.click("dd.case-link a")
    team.wait_for_load_state()
    assert "Pembalasan yang dilaporkan pelapor ini" in team.content()
    assert team.locator("dd.case-link").count() == 2  # both retaliation reports follow this case

    pages = {name: html for name, (_base, html) in {**portal_pages.pages, **review_pages.pages}.items()}
    assert html_errors(pages, tmp_path / "html") == []
    assert axe_on_sources(browser, portal_pages, {"width": 360, "height": 740}) == []
    assert axe_on_sources(browser, review_pages, {"width": 1280, "height": 900}) == []
