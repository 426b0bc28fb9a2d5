"""A reviewer's working day in the browser (issue 19, point 7), at a desk (1,280 × 800):

sign in; the late case is the first thing on the list; open it; reply to the reporter (seen before
it is sent, inline); add an internal note; find another case by a word of its report. axe-core
finds no serious problem on any page reached. Screenshots 13 onwards (docs/screenshots).
"""

import sqlite3
from pathlib import Path

import pytest

from tests.browser.test_browser_accessibility import serious_violations
from tests.browser.test_browser_journeys import CHROMIUM, Shots, browser  # noqa: F401 - a fixture
from tests.browser.test_browser_keyboard import activate_admin, report

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

DESK = {"width": 1280, "height": 800}


def test_a_reviewers_day(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    tmp_path: Path,
) -> None:
    portal_url, review_url, data, _root = servers
    shots = Shots(tmp_path / "screenshots")
    for _ in range(12):  # numbered after docs/screenshots' 12
        shots.number += 1
    context = browser.new_context(viewport=DESK, bypass_csp=True)  # bypass: axe is injected by the test
    page = context.new_page()
    problems: list[str] = []

    def check(where: str) -> None:
        problems.extend(f"{where}: {v}" for v in serious_violations(page))

    try:
        activate_admin(page, review_url, _root)
        reporter = browser.new_context(java_script_enabled=False).new_page()
        report(reporter, portal_url, "Kepala bidang meminta setoran bulanan dari semua staf pelaksana.")
        report(reporter, portal_url, "Pungutan liar di loket perizinan: pemohon membayar KANARIPASAR tanpa kuitansi.")
        reporter.context.close()
        # the first report's first response is late (its deadline moved back, as a day would)
        with sqlite3.connect(data / "kanal.db") as db:
            db.execute(
                "UPDATE \"case\" SET first_response_due = '2026-01-01 00:00:00.000000', "
                "next_due = '2026-01-01 00:00:00.000000' WHERE id = "
                "(SELECT case_id FROM case_item WHERE kind = 'report' ORDER BY created_at, case_id LIMIT 1)"
            )

        # The list opens with the late case, said first
        page.goto(review_url + "/")
        assert "melewati batas tanggapan pertama" in page.inner_text("main .late-first")
        check("/")
        shots.take(page, "review-day-list")
        with page.expect_navigation():
            page.click("main .late-first a")
        assert page.locator("table.cases tbody tr").count() == 1
        with page.expect_navigation():
            page.click("table.cases tbody tr a >> nth=0")
        check("case")

        # Reply to the reporter: shown once more before it goes
        page.fill("#text", "Terima kasih. Sejak kapan setoran ini diminta?")
        page.click("form.reply [data-action=check]")
        assert page.inner_text(".inline-confirm .preview") == "Terima kasih. Sejak kapan setoran ini diminta?"
        shots.take(page, "review-day-reply-confirm")
        with page.expect_navigation():
            page.click(".inline-confirm [data-action=send]")
        assert "Balasan sudah dikirim ke pelapor" in page.content()

        # An internal note, in its own panel
        page.fill("#note-text", "Cocokkan dengan laporan pungli bulan lalu.")
        with page.expect_navigation():
            page.click("section.team-only button[type=submit]")
        note = page.locator("article.kind-note")
        assert note.count() == 1 and "Cocokkan" in note.inner_text()
        check("case after reply and note")
        shots.take(page, "review-day-case")

        # Find the other case by a word of its report
        page.goto(review_url + "/")
        page.fill("#q", "kanaripasar")
        with page.expect_navigation():
            page.click("form[role=search] .search-box button")
        assert page.locator("table.cases tbody tr").count() == 1
        assert "KANARIPASAR" in page.inner_text("table.cases")
        check("search")
        shots.take(page, "review-day-search")
        assert problems == []
    finally:
        context.close()
