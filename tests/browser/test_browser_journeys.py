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
    def __init__(self, directory: Path) -> None:
        self.directory, self.count = directory, 0
        directory.mkdir(parents=True, exist_ok=True)

    def take(self, page: "sync_api.Page", name: str) -> None:
        self.count += 1
        target = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        extra = os.environ.get("KANAL_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(target, Path(extra) / target.name)


def test_reporter_and_reviewer_journeys(
    servers: tuple[str, str, Path, Path], browser: "sync_api.Browser", tmp_path: Path
) -> None:
    portal_url, review_url, _data, root = servers
    shots = Shots(tmp_path / "screenshots")

    # (b, first half) The reviewer activates: own passphrase, then TOTP from the page's secret.
    team = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    team.goto(review_url + "/login")
    team.fill("#username", "admin")
    team.fill("#passphrase", one_time_passphrase(root))
    team.click("main button[type=submit]")
    team.fill("#passphrase", PASSPHRASE)
    team.fill("#confirm", PASSPHRASE)
    team.click("main button[type=submit]")
    shots.take(team, "review-enrol-totp")
    compact = team.inner_text("code.secret").replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    team.fill("#code", current_code(secret, now=time.time()))
    team.click("main button[type=submit]")
    assert team.locator("ol.codes li").count() == 10
    shots.take(team, "review-backup-codes")

    # (a) The reporter, on a phone, without JavaScript.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    reporter = phone.new_page()
    reporter.goto(portal_url + "/")
    shots.take(reporter, "portal-home")
    reporter.click("main a.button.primary")
    reporter.select_option("#category", index=0)
    reporter.select_option("#opd", index=10)
    reporter.fill("#what", "Setiap awal bulan Kabid meminta setoran Rp 250.000 dari setiap staf pelaksana.")
    reporter.fill("#who", "Kepala Bidang Anggaran")
    reporter.set_input_files("#evidence", str(photo(tmp_path)))
    shots.take(reporter, "portal-report-form")
    reporter.click("main form button[type=submit]")
    receipt = reporter.inner_text(".receipt").strip()
    assert "Metadata sudah dihapus" in reporter.content()
    shots.take(reporter, "portal-receipt")
    reporter.click("text=Saya sudah menyimpan kode ini")
    assert "Terima kasih sudah melapor" in reporter.content()

    # (b) The reviewer reads the case, asks a question, moves it to verification.
    team.goto(review_url + "/")
    team.click("table.cases a >> nth=0")
    assert "Kepala Bidang Anggaran" in team.content()
    team.fill("#text", "Terima kasih. Apakah ada saksi lain yang juga diminta setoran?")
    team.click("form.reply button.primary")
    team.select_option("#new_status", "verifying")
    team.click("aside form button.primary")
    assert "Verifikasi" in team.content()
    shots.take(team, "review-case")

    # (a) The reporter comes back with the receipt, reads the question and answers.
    reporter.goto(portal_url + "/status")
    reporter.fill("#receipt", receipt.lower())
    reporter.click("main form button[type=submit]")
    assert "Apakah ada saksi lain" in reporter.content() and "Verifikasi" in reporter.content()
    reporter.fill("#text", "Ada, dua rekan di subbagian yang sama.")
    reporter.click("main form[enctype] button[type=submit]")
    assert "Terkirim" in reporter.content()
    shots.take(reporter, "portal-my-report")
    width = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    width.goto(portal_url + "/lapor")
    assert width.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone

    # And the team sees the answer, marked new.
    team.goto(review_url + "/")
    assert "baru" in team.inner_text("table.cases")
    reporter.click("text=Keluar dan lupakan perangkat ini")
    assert len(list((tmp_path / "screenshots").glob("*.png"))) == shots.count
