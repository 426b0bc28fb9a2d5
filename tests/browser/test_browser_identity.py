"""The confidential identity (issue 20) in Debian's Chromium, against gunicorn.

Three founders: "admin" (dev-setup), "wakil" and "kustodian" (create-founder). The admin proposes
kustodian as custodian on the Team page and wakil confirms (four eyes). A reporter on a phone with
JavaScript OFF reports with an identity and asks for protection, then reads on their page that it is
not disclosed. The admin (a reader) sees only that it exists and asks a custodian; kustodian decides
in the request queue (screenshot); the reporter's page then says on which day and to whom. A second
report's identity is withdrawn by its reporter, again without JavaScript. Every page kept passes the
Nu HTML checker and axe-core (serious and critical findings fail). Screenshots 18 to 22.
"""

import re
from pathlib import Path

import pytest

from tests.browser.checks import Sources, axe_on_sources, html_errors
from tests.browser.test_browser_journeys import CHROMIUM, Shots, browser  # noqa: F401 - a fixture
from tests.browser.test_browser_roster import Authenticators, activate, create_founder
from tests.live import one_time_passphrase

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
NAME = "Retno Kanariwati"


def _report_with_identity(page: "sync_api.Page", sources: Sources, portal_url: str, name: str) -> str:
    sources.goto(page, portal_url, "/lapor", f"report-form-{len(sources.pages)}")
    page.select_option("#category", index=1)
    page.select_option("#opd", index=2)
    page.fill("#what", "Kepala seksi memungut setoran dari setiap kenaikan pangkat staf.")
    page.fill("#identity_name", name)
    page.fill("#identity_nip", "198104042006041004")
    page.fill("#identity_unit", "Seksi Kepegawaian, staf")
    page.check("#identity_protection")
    sources.submit(page, portal_url, "main form button[type=submit]", f"receipt-{len(sources.pages)}")
    receipt = page.inner_text(".receipt").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", receipt), receipt
    return receipt


def _open(page: "sync_api.Page", sources: Sources, portal_url: str, receipt: str, name: str) -> None:
    page.goto(portal_url + "/status")
    page.fill("#receipt", receipt)
    sources.submit(page, portal_url, "main form button[type=submit]", name)


def test_identity_custodian_disclosure_and_withdrawal(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    tmp_path: Path,
) -> None:
    portal_url, review_url, data, root = servers
    codes = Authenticators()
    shots = Shots(tmp_path / "screenshots")
    shots.number = 17  # numbered after docs/screenshots' 17
    portal_pages, review_pages = Sources(), Sources()

    admin = browser.new_context(viewport=DESK).new_page()
    activate(admin, review_url, "admin", one_time_passphrase(root), codes)
    wakil = browser.new_context(viewport=DESK).new_page()
    activate(wakil, review_url, "wakil", create_founder(data, root, "wakil"), codes)
    kustodian = browser.new_context(viewport=DESK).new_page()
    # the custodian reads no case: an account without the reviewer role
    activate(kustodian, review_url, "kustodian", create_founder(data, root, "kustodian", "--no-reviewer"), codes)

    # Four eyes: the admin proposes, another key holder confirms
    review_pages.goto(admin, review_url, "/team", "team")
    review_pages.submit(admin, review_url, "button:has-text('Usulkan Kustodian sebagai kustodian')", "team-proposed")
    assert "Pemegang kunci lain harus mengonfirmasinya" in admin.content()
    assert admin.locator("#custodians form[action*='/confirm']").count() == 0  # not for the proposer
    wakil.goto(review_url + "/team")
    with wakil.expect_navigation():
        wakil.click("#custodians form[action*='/confirm'] button")
    assert "Kustodian ditetapkan" in wakil.content()

    # A reporter on a phone, JavaScript off: an identity, protection asked
    phone = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    receipt = _report_with_identity(phone, portal_pages, portal_url, NAME)
    _open(phone, portal_pages, portal_url, receipt, "my-report-identity-held")
    assert "Tidak dibuka untuk siapa pun." in phone.inner_text("#identity")
    shots.take(phone, "portal-identity-held")

    # The admin reads the case, not the identity, and asks a custodian
    admin.goto(review_url + "/")
    with admin.expect_navigation() as opened:
        admin.click("table.cases tbody tr a >> nth=0")
    review_pages.keep("case-identity-locked", review_url, opened.value)
    assert "Pelapor meminta perlindungan" in admin.inner_text("#identity") and NAME not in admin.content()
    admin.fill("#identity-reason", "Saksi kunci untuk rujukan ke Inspektorat dan LPSK")
    review_pages.submit(admin, review_url, "#identity button[type=submit] >> nth=0", "case-identity-asked")
    shots.take(admin, "review-identity-requested")

    # The custodian's request queue
    kustodian.goto(review_url + "/")
    with kustodian.expect_navigation() as queue:
        kustodian.click("nav a:has-text('Permintaan identitas')")
    review_pages.keep("identity-requests", review_url, queue.value)
    assert "Saksi kunci untuk rujukan" in kustodian.inner_text("main")
    shots.take(kustodian, "review-identity-requests")
    kustodian.select_option("main select", "grant")
    kustodian.fill("main textarea", "Diperlukan untuk rujukan perlindungan")
    review_pages.submit(kustodian, review_url, "main form button[type=submit]", "identity-requests-decided")
    assert "Identitas dibuka untuk peminta" in kustodian.content()

    review_pages.keep("case-identity-disclosed", review_url, admin.goto(admin.url.split("#")[0]))
    assert NAME in admin.inner_text("#identity")

    # The reporter is told: the day, and to whom
    portal_pages.keep("my-report-identity-disclosed", portal_url, phone.reload())
    told = phone.inner_text("#identity")
    assert "Identitas Anda telah dibuka:" in told and "kepada seorang anggota tim integritas" in told
    assert phone.locator("#identity form").count() == 0  # no withdrawal any more
    shots.take(phone, "portal-identity-disclosed")

    # A second reporter withdraws an identity nobody was granted
    other = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    second = _report_with_identity(other, portal_pages, portal_url, "Kanari Kedua")
    _open(other, portal_pages, portal_url, second, "my-report-second")
    portal_pages.submit(other, portal_url, "#identity form button[type=submit]", "withdraw-unconfirmed")
    assert "Centang kotak ini" in other.inner_text("#identity")
    other.check("#understood")
    portal_pages.submit(other, portal_url, "#identity form button[type=submit]", "withdrawn")
    assert "Anda telah menarik identitas Anda" in other.inner_text("#identity")
    shots.take(other, "portal-identity-withdrawn")

    problems = html_errors({k: v for k, (_b, v) in portal_pages.pages.items()}, tmp_path / "vnu-portal")
    problems += html_errors({k: v for k, (_b, v) in review_pages.pages.items()}, tmp_path / "vnu-review")
    problems += axe_on_sources(browser, portal_pages, PHONE) + axe_on_sources(browser, review_pages, DESK)
    assert problems == []
