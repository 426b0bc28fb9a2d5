"""Real-browser journeys in Debian's Chromium (Playwright), against gunicorn.

(a) A reporter on a 360×740 phone screen with JavaScript off reports with an
    evidence photo, saves the receipt, comes back, reads the team's question and
    answers. (b) A reviewer activates with TOTP, reads the case, replies and
    changes its status. Screenshots of every step go to the test's temporary
    directory (and, with KANAL_SCREENSHOTS=dir, there too).
"""

import base64
import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from crypto.totp import current_code
from tests.live import one_time_passphrase

CHROMIUM = "/usr/bin/chromium"
PASSPHRASE = "gudang garam merah di atas meja"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Chromium is not installed (.ci/run installs it; so does `make test`)",
)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def photo(tmp_path: Path) -> Path:
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (6.0, 58.0, 30.0), 3: "E", 4: (110.0, 24.0, 0.0)}
    path = tmp_path / "slip-transfer.jpg"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 90, 160)).save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


class Shots:
    """Screenshots numbered in the order taken. A shot taken `between` two numbered ones gets the
    previous number and a letter ("03a-..."), so the numbers of docs/screenshots stay put."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.count, self.number, self.letters = directory, 0, 0, 0
        directory.mkdir(parents=True, exist_ok=True)

    def take(self, page: "sync_api.Page", name: str, *, between: bool = False) -> None:
        self.count += 1
        if between:
            self.letters += 1
            label = f"{self.number:02d}{'abcdefghij'[self.letters - 1]}"
        else:
            self.number, self.letters = self.number + 1, 0
            label = f"{self.number:02d}"
        target = self.directory / f"{label}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        extra = os.environ.get("KANAL_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(target, Path(extra) / target.name)


def test_reporter_and_reviewer_journeys(
    servers: tuple[str, str, Path, Path], browser: "sync_api.Browser", tmp_path: Path
) -> None:
    from tests.browser.checks import Sources, axe_on_sources, html_errors

    portal_url, review_url, _data, root = servers
    shots = Shots(tmp_path / "screenshots")
    portal_pages, review_pages = Sources(), Sources()  # every page reached, as served, for the checkers

    # (b, first half) The reviewer activates: own passphrase, then TOTP from the page's secret.
    team = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    review_pages.goto(team, review_url, "/login", "review-login")
    team.fill("#username", "admin")
    team.fill("#passphrase", one_time_passphrase(root))
    review_pages.submit(team, review_url, "main button[type=submit]", "review-activate")
    team.fill("#passphrase", PASSPHRASE)
    team.fill("#confirm", PASSPHRASE)
    review_pages.submit(team, review_url, "main button[type=submit]", "review-enrol")
    shots.take(team, "review-enrol-totp")
    compact = team.inner_text("code.secret").replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    team.fill("#code", current_code(secret, now=time.time()))
    review_pages.submit(team, review_url, "main button[type=submit]", "review-backup-codes")
    assert team.locator("ol.codes li").count() == 10
    shots.take(team, "review-backup-codes")

    # (a) The reporter, on a phone, without JavaScript.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    reporter = phone.new_page()
    portal_pages.goto(reporter, portal_url, "/", "portal-home")
    shots.take(reporter, "portal-home")
    # the primary action is on the first screen of a phone
    assert reporter.locator("main a.button.primary").first.bounding_box()["y"] < 740
    portal_pages.submit(reporter, portal_url, "main a.button.primary >> nth=0", "portal-report-form")
    # nothing is chosen for the reporter: sent as it opens, the form comes back with a note at each list
    reporter.fill("#what", "Setiap awal bulan Kabid meminta setoran Rp 250.000 dari setiap staf pelaksana.")
    reporter.set_input_files("#evidence", str(photo(tmp_path)))
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-report-errors")
    assert "Pilih kategori" in reporter.content() and "tidak perlu dipilih lagi" in reporter.content()
    shots.take(reporter, "portal-report-kept-file", between=True)
    reporter.select_option("#category", index=1)
    reporter.select_option("#opd", index=10)
    reporter.fill("#who", "Kepala Bidang Anggaran")
    shots.take(reporter, "portal-report-form")
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-receipt")
    receipt = reporter.inner_text(".receipt").strip()
    assert "Metadata sudah dihapus" in reporter.content() and "slip-transfer.jpg" in reporter.content()
    # the receipt code is on one line, within the phone's screen
    box = reporter.locator(".receipt").bounding_box()
    assert box["x"] + box["width"] <= 360 and box["height"] < 110
    shots.take(reporter, "portal-receipt")
    portal_pages.submit(reporter, portal_url, "text=Saya sudah menyimpan kode ini", "portal-saved")
    assert "Terima kasih sudah melapor" in reporter.content()

    # (b) The reviewer reads the case, asks a question, moves it to verification.
    review_pages.goto(team, review_url, "/", "review-case-list")
    review_pages.submit(team, review_url, "table.cases a >> nth=0", "review-case")
    assert "Kepala Bidang Anggaran" in team.content()
    team.fill("#text", "Terima kasih. Apakah ada saksi lain yang juga diminta setoran?")
    team.click("form.reply [data-action=check]")
    # the reviewer sees exactly what the reporter will read before it is sent (inline, with JavaScript)
    assert "Apakah ada saksi lain" in team.inner_text(".inline-confirm .preview")
    shots.take(team, "review-reply-confirm", between=True)
    # without JavaScript, the same check is a page of its own (kept for the HTML checkers; nothing sent)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', team.content())
    assert token
    confirm = team.context.request.post(
        team.url + "/reply", form={"csrf_token": token.group(1), "text": "Tanpa skrip?"}
    )
    assert confirm.status == 200 and "Periksa balasan sebelum dikirim" in confirm.text()
    review_pages.pages["review-reply-confirm"] = (review_url, confirm.text())
    with team.expect_navigation():
        team.click(".inline-confirm [data-action=send]")
    team.select_option("#new_status", "verifying")
    review_pages.submit(team, review_url, "aside form button.primary", "review-case-verifying")
    assert "Verifikasi" in team.content()
    shots.take(team, "review-case")
    for path, name in (
        ("/dashboard", "review-dashboard"),
        ("/team", "review-team"),
        ("/management", "review-management"),
    ):
        review_pages.goto(team, review_url, path, name)
    review_pages.goto(team, review_url, "/tidak-ada", "review-404", status=404)

    # (a) The reporter comes back with the receipt, reads the question and answers.
    portal_pages.goto(reporter, portal_url, "/status", "portal-status")
    reporter.fill("#receipt", "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-status-unknown")
    reporter.fill("#receipt", receipt.lower())
    portal_pages.submit(reporter, portal_url, "main form button[type=submit]", "portal-my-report")
    assert "Apakah ada saksi lain" in reporter.content() and "Verifikasi" in reporter.content()
    assert "Pesan baru dari tim" in reporter.content()
    portal_pages.submit(reporter, portal_url, "main form[enctype] button[type=submit]", "portal-my-report-empty")
    assert "Tulis pesan atau pilih berkas" in reporter.content()
    reporter.fill("#text", "Ada, dua rekan di subbagian yang sama.")
    portal_pages.submit(reporter, portal_url, "main form[enctype] button[type=submit]", "portal-my-report-sent")
    assert "Terkirim" in reporter.content()
    shots.take(reporter, "portal-my-report")
    reporter.click("text=Keluar dan lupakan perangkat ini")
    for path, name in (
        ("/panduan", "portal-guide"),
        ("/statistik", "portal-statistics"),
        ("/?lang=en", "portal-home-en"),
    ):
        portal_pages.goto(reporter, portal_url, path, name)
    portal_pages.goto(reporter, portal_url, "/tidak-ada", "portal-404", status=404)
    width = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    width.goto(portal_url + "/lapor")
    assert width.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    assert width.title() == "Buat laporan · Kanal Integritas"
    width.goto(portal_url + "/")
    assert width.title() == "Kanal Integritas"  # the channel's name once, not twice
    h1, h2 = width.evaluate(
        "() => ['h1', 'h2'].map(t => parseFloat(getComputedStyle(document.querySelector('main ' + t)).fontSize))"
    )
    assert h1 > h2, (h1, h2)

    # And the team sees the answer, marked new, with the report's beginning and the reporter's reply on the row.
    review_pages.goto(team, review_url, "/", "review-case-list-activity")
    assert "baru" in team.inner_text("table.cases")
    assert "Setiap awal bulan Kabid meminta setoran" in team.inner_text("table.cases .preview")
    assert "pelapor membalas" in team.inner_text("table.cases .activity")
    # and finds the case by a word of that reply, typed in capitals, through the labelled search box
    team.get_by_label("Cari dalam teks perkara").fill("SUBBAGIAN")
    review_pages.submit(team, review_url, ".search-box button", "review-case-list-search")
    assert "1 perkara memuat kata-kata ini" in team.content() and team.locator("table.cases tbody tr").count() == 1
    shots.take(team, "review-case-list-search", between=True)
    assert len(list((tmp_path / "screenshots").glob("*.png"))) == shots.count

    # Every page both journeys reached: the Nu HTML checker finds no error, axe no serious problem.
    pages = {name: html for name, (_base, html) in {**portal_pages.pages, **review_pages.pages}.items()}
    assert len(pages) >= 25
    assert html_errors(pages, tmp_path / "html") == []
    assert axe_on_sources(browser, portal_pages, {"width": 360, "height": 740}) == []
    assert axe_on_sources(browser, review_pages, {"width": 1280, "height": 900}) == []
