"""A reviewer's working day in the browser (issue 19, point 7), at a desk (1,280 × 800):

sign in; the late case is the first thing on the list; open it; reply to the reporter (seen before
it is sent, inline); add an internal note; find another case by a word of its report; reset a
colleague's lost authenticator (with a fresh code of one's own; the colleague enrols a new one at
their next sign-in); change one's own passphrase (the new one signs in, the old one no longer).
axe-core finds no serious problem on any page reached. Screenshots 13 onwards (docs/screenshots).
"""

import re
import sqlite3
from pathlib import Path

import pytest

from tests.browser.checks import html_errors
from tests.browser.test_browser_accessibility import serious_violations
from tests.browser.test_browser_journeys import CHROMIUM, PASSPHRASE, Shots, browser  # noqa: F401 - a fixture
from tests.browser.test_browser_keyboard import report
from tests.browser.test_browser_roster import Authenticators, activate, create_founder
from tests.live import one_time_passphrase

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

DESK = {"width": 1280, "height": 800}
NEW_PASSPHRASE = "sate ayam bumbu kacang di alun alun kota"


def test_a_reviewers_day(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    tmp_path: Path,
) -> None:
    portal_url, review_url, data, root = servers
    codes = Authenticators()
    shots = Shots(tmp_path / "screenshots")
    for _ in range(12):  # numbered after docs/screenshots' 12
        shots.number += 1
    context = browser.new_context(viewport=DESK, bypass_csp=True)  # bypass: axe is injected by the test
    page = context.new_page()
    problems: list[str] = []
    sources: dict[str, str] = {}  # each page as served, for the Nu HTML checker

    def check(where: str, response: "sync_api.Response | None" = None) -> None:
        problems.extend(f"{where}: {v}" for v in serious_violations(page))
        if response is not None:
            sources[re.sub(r"\W+", "-", where).strip("-") or "list"] = response.text()

    try:
        activate(page, review_url, "admin", one_time_passphrase(root), codes)
        reporter = browser.new_context(java_script_enabled=False).new_page()
        report(reporter, portal_url, "Kepala bidang meminta setoran bulanan dari semua staf pelaksana.")
        report(reporter, portal_url, "Pungutan liar di loket perizinan: pemohon membayar KANARIPASAR tanpa kuitansi.")
        reporter.context.close()
        # one report's first response is late (its deadline moved back, as a day would)
        with sqlite3.connect(data / "kanal.db") as db:
            db.execute(
                "UPDATE \"case\" SET first_response_due = '2026-01-01 00:00:00.000000', "
                "next_due = '2026-01-01 00:00:00.000000' WHERE id = "
                "(SELECT case_id FROM case_item WHERE kind = 'report' ORDER BY created_at, case_id LIMIT 1)"
            )

        # The list opens with the late case, said first
        listing = page.goto(review_url + "/")
        assert "melewati batas tanggapan pertama" in page.inner_text("main .late-first")
        check("/", listing)
        shots.take(page, "review-day-list")
        with page.expect_navigation():
            page.click("main .late-first a")
        assert page.locator("table.cases tbody tr").count() == 1
        with page.expect_navigation() as opened:
            page.click("table.cases tbody tr a >> nth=0")
        check("case", opened.value)

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
        with page.expect_navigation() as searched:
            page.click("form[role=search] .search-box button")
        assert page.locator("table.cases tbody tr").count() == 1
        assert "KANARIPASAR" in page.inner_text("table.cases")
        check("search", searched.value)
        shots.take(page, "review-day-search")

        # A colleague lost their phone: the admin resets their authenticator (a fresh code of the
        # admin's own first), and the colleague sets up a new one at their next sign-in
        colleague = browser.new_context(viewport=DESK).new_page()
        activate(colleague, review_url, "joko", create_founder(data, root, "joko"), codes)
        colleague.context.clear_cookies()
        page.goto(review_url + "/team")
        row = page.locator("table.cases tr", has_text="(joko)")
        with page.expect_navigation():
            row.locator("form[action$='/second-factor/reset'] button").click()
        if "/step-up" in page.url:
            page.fill("#code", codes.code("admin"))
            with page.expect_navigation():
                page.click("main button[type=submit]")
            with page.expect_navigation():
                page.locator("table.cases tr", has_text="(joko)").locator(
                    "form[action$='/second-factor/reset'] button"
                ).click()
        assert "Autentikator diatur ulang" in page.content()
        check("/team", page.goto(review_url + "/team"))
        shots.take(page, "review-day-team")
        colleague.goto(review_url + "/login")
        colleague.fill("#username", "joko")
        colleague.fill("#passphrase", PASSPHRASE)
        with colleague.expect_navigation():
            colleague.click("main button[type=submit]")
        assert colleague.url.endswith("/enrol") and colleague.locator("code.secret").count() == 1
        colleague.context.close()

        # The admin changes their own passphrase: the new one signs in, the old one no longer
        check("/me/passphrase", page.goto(review_url + "/me/passphrase"))
        page.fill("#current", PASSPHRASE)
        page.fill("#passphrase", NEW_PASSPHRASE)
        page.fill("#confirm", NEW_PASSPHRASE)
        page.fill("#code", codes.code("admin"))
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "Frasa sandi Anda telah diubah" in page.content()
        fresh = browser.new_context(viewport=DESK).new_page()
        for passphrase, works in ((PASSPHRASE, False), (NEW_PASSPHRASE, True)):
            fresh.goto(review_url + "/login")
            fresh.fill("#username", "admin")
            fresh.fill("#passphrase", passphrase)
            with fresh.expect_navigation():
                fresh.click("main button[type=submit]")
            assert fresh.url.endswith("/login/code") is works, (passphrase, fresh.url)
        fresh.context.close()

        # The pages of accounts and lists, also under axe: the admin's lists, and the request a
        # reviewer who forgot their passphrase makes (no session)
        check("/lists", page.goto(review_url + "/lists"))
        page.context.clear_cookies()
        check("/login/forgot", page.goto(review_url + "/login/forgot"))
        assert problems == []
        assert html_errors(sources, tmp_path / "html") == []
    finally:
        context.close()
