"""The signed team roster (issue 14) in Debian's Chromium, against gunicorn.

Two founders made with the CLI (admin "admin", from dev-setup, and reviewer
"ketua", from `create-founder --no-admin`) activate and enrol TOTP in the
browser. The admin creates "joko" on the team page (after a fresh step-up
code); joko activates in his own browser and reads his key fingerprints there.
The admin, his creator, is refused on joko's approval page; ketua sees the same
two fingerprints, is refused without the confirmation box or with a wrong code,
and approves with the box ticked and a fresh code. A reviewer row written
directly into the database then raises the red integrity banner on the admin's
pages (and only there).

axe-core runs on the team pages and the approval page (serious and critical
findings fail), and so does the Nu HTML checker (vnu.jar and Java, which `make test` installs).
Screenshots go to the test's temporary directory (and to KANAL_SCREENSHOTS),
numbered 10 to 12 to follow the ones in docs/screenshots.
"""

import base64
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Reviewer, ReviewerSession
from cases.platform.clock import utc_now
from cases.platform.config import read_config
from cases.platform.db import make_engine, make_session_factory
from crypto.keys import generate_keypair
from crypto.signing import generate_signing_key
from crypto.totp import STEP_SECONDS, current_code
from tests.browser.checks import html_errors
from tests.browser.test_browser_accessibility import AXE, serious_violations
from tests.browser.test_browser_journeys import CHROMIUM, PASSPHRASE, Shots, browser  # noqa: F401 - a fixture
from tests.domain import age_session
from tests.live import ROOT, one_time_passphrase

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")

FINGERPRINT = re.compile(r"[0-9a-f]{4}(?: [0-9a-f]{4}){15}")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


class Authenticators:
    """Each person's authenticator app: a fresh code each time, never a step already used (the server
    refuses a replayed or older step, and accepts one step either side of now)."""

    def __init__(self) -> None:
        self.secrets: dict[str, bytes] = {}
        self.last: dict[str, int] = {}

    def code(self, username: str) -> str:
        step = max(self.last.get(username, -1) + 1, int(time.time()) // STEP_SECONDS)
        while step > int(time.time()) // STEP_SECONDS + 1:
            time.sleep(0.5)
        self.last[username] = step
        return current_code(self.secrets[username], now=step * STEP_SECONDS)

    def unsent(self, username: str) -> str:
        """The code typed last, which the browser never sent: still unused, so typed again while the
        server still accepts it (a fresh one after that). Waiting 30 seconds for a new step would
        test nothing more."""
        step = self.last[username]
        if step < int(time.time()) // STEP_SECONDS:  # it may expire any second now
            return self.code(username)
        return current_code(self.secrets[username], now=step * STEP_SECONDS)

    def wrong(self, username: str) -> str:
        now = int(time.time()) // STEP_SECONDS
        valid = {current_code(self.secrets[username], now=s * STEP_SECONDS) for s in range(now - 2, now + 3)}
        return next(c for c in ("000000", "111111", "222222") if c not in valid)


def live_env(data: Path, root: Path) -> dict[str, str]:
    """The environment tests/live.py starts both servers with."""
    return {
        **os.environ,
        "KANAL_DATA_DIR": str(data),
        "KANAL_KDF_MEMORY_KIB": "1024",
        "KANAL_KDF_ITERATIONS": "1",
        "KANAL_KDF_LANES": "1",
        "TMPDIR": str(root / "tmp"),
    }


def create_founder(data: Path, root: Path, username: str, *flags: str) -> str:
    """The installation ceremony's CLI, against the live servers' database; the one-time passphrase."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi:review",
            "create-founder",  # noqa: S603
            username,
            *flags,
        ],
        cwd=ROOT,
        env=live_env(data, root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", result.stdout)
    assert match, result.stdout
    return match.group(1)


@contextmanager
def live_database(data: Path, root: Path) -> Iterator[Session]:
    """A session on the live servers' database (the URL their configuration names), committed at the end."""
    config = read_config(live_env(data, root))
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine, config.trust())() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def plant_reviewer(data: Path, root: Path, username: str) -> None:
    """A database writer's reader: a row inserted directly, active, approved, with keys of its own."""
    with live_database(data, root) as session:
        session.add(
            Reviewer(
                username=username,
                display_name="Siluman",
                state="active",
                is_reviewer=True,
                public_key=generate_keypair().public,
                signing_public_key=generate_signing_key().public,
                created_at=utc_now(),
                activated_at=utc_now(),
                approved_at=utc_now(),
                needs_grants=True,
            )
        )


def later(data: Path, root: Path, username: str) -> None:
    """Ten minutes after the code typed at login: the session's step-up has expired."""
    with live_database(data, root) as session:
        reviewer = session.scalars(select(Reviewer).where(Reviewer.username == username)).one()
        for row in session.scalars(select(ReviewerSession).where(ReviewerSession.reviewer_id == reviewer.id)):
            age_session(row, stepped_up=timedelta(minutes=10))


def activate(page: "sync_api.Page", review_url: str, username: str, one_time: str, codes: Authenticators) -> None:
    """First login: own passphrase, then TOTP from the secret the page shows, then the backup codes."""
    page.goto(review_url + "/login")
    page.fill("#username", username)
    page.fill("#passphrase", one_time)
    page.click("main button[type=submit]")
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#confirm", PASSPHRASE)
    page.click("main button[type=submit]")
    compact = page.inner_text("code.secret").replace(" ", "")
    codes.secrets[username] = base64.b32decode(compact + "=" * (-len(compact) % 8))
    page.fill("#code", codes.code(username))
    page.click("main button[type=submit]")
    page.locator("ol.codes li").first.wait_for()  # the answer to the POST, not the page before it
    assert page.locator("ol.codes li").count() == 10


def fingerprints(page: "sync_api.Page") -> list[str]:
    found = [" ".join(text.split()) for text in page.locator("main code.fingerprint").all_inner_texts()]
    assert len(found) == 2 and all(FINGERPRINT.fullmatch(fp) for fp in found), found
    return found


def submit_approval(page: "sync_api.Page", *, tick: bool, code: str) -> "sync_api.Response":
    page.set_checked("#confirmed", tick)
    page.fill("#code", code)
    with page.expect_response(lambda r: r.request.method == "POST" and "/approve" in r.url) as answer:
        page.click("main form button.primary")
    page.wait_for_load_state()
    return answer.value


def accessible(
    browser: "sync_api.Browser",
    signed_in: "sync_api.BrowserContext",  # noqa: F811
    url: str,
) -> list[str]:
    """axe-core on `url` as the same person sees it at a desk (a context that lets the test inject axe);
    and on a phone, no fingerprint wider than the screen."""
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        context.add_cookies(signed_in.cookies())
        page = context.new_page()
        assert page.goto(url).status == 200
        found = serious_violations(page)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("""() => [...document.querySelectorAll('code.fingerprint')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .map(e => e.textContent)""")
        return found + [f"fingerprint wider than a phone screen: {fp}" for fp in overflow]
    finally:
        context.close()


@pytest.fixture
def contexts(browser: "sync_api.Browser") -> Iterator[dict[str, "sync_api.Page"]]:  # noqa: F811
    """Each person in their own browser (no shared cookies)."""
    opened = {name: browser.new_context(viewport=DESKTOP) for name in ("admin", "ketua", "joko")}
    yield {name: context.new_page() for name, context in opened.items()}
    for context in opened.values():
        context.close()


def test_a_new_reviewer_is_approved_by_a_second_key_holder_in_the_browser(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
    contexts: dict[str, "sync_api.Page"],
    tmp_path: Path,
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core from npm")
    _portal, review_url, data, root = servers
    shots = Shots(tmp_path / "screenshots")
    shots.count = 9  # docs/screenshots/10-… to 12-…
    codes, sources, problems = Authenticators(), {}, {}
    admin, ketua, joko = contexts["admin"], contexts["ketua"], contexts["joko"]

    # Given two founders from the CLI (dev-setup's admin, and ketua), activated and enrolled in the browser
    activate(admin, review_url, "admin", one_time_passphrase(root), codes)
    activate(
        ketua, review_url, "ketua", create_founder(data, root, "ketua", "--name", "Ketua Tim", "--no-admin"), codes
    )

    # When the admin, some time after signing in, creates joko on the team page: a fresh code first, then again
    later(data, root, "admin")
    admin.goto(review_url + "/team")
    admin.fill("#username", "joko")
    admin.fill("#display_name", "Joko Susilo")
    admin.click("form[action$='/team/create'] button[type=submit]")
    assert "/step-up" in admin.url
    admin.fill("#code", codes.code("admin"))
    admin.click("main button[type=submit]")
    assert admin.url.endswith("/team")
    admin.fill("#username", "joko")
    admin.fill("#display_name", "Joko Susilo")
    admin.click("form[action$='/team/create'] button[type=submit]")
    one_time = admin.inner_text("main .notice[role=status] code.secret").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}", one_time), one_time
    assert admin.locator("table.cases tr", has_text="(joko)").locator("a[href$='/approve']").count() == 0

    # Then joko activates in his own browser and reads his own fingerprints on the team page
    activate(joko, review_url, "joko", one_time, codes)
    response = joko.goto(review_url + "/team")
    assert response is not None and response.status == 200
    sources["team-joko"] = response.text()
    own = fingerprints(joko)
    assert own[0] != own[1]
    shots.take(joko, "review-fingerprints")
    problems["/team as joko"] = accessible(browser, joko.context, review_url + "/team")

    # When the admin, his creator, approves him (now active) with the box ticked and a fresh code, it is refused
    admin.goto(review_url + "/team")
    approve_link = admin.locator("table.cases tr", has_text="(joko)").locator("a[href$='/approve']")
    approve_url = review_url + str(approve_link.get_attribute("href"))
    response = admin.goto(approve_url)
    assert response is not None and response.status == 200
    assert fingerprints(admin) == own
    refused = submit_approval(admin, tick=True, code=codes.code("admin"))
    assert refused.status == 400
    sources["approve-refused-creator"] = refused.text()
    assert "Pembuat akun tidak dapat menyetujuinya" in admin.inner_text("main [role=alert]")

    # When ketua opens the approval page, she is shown the very fingerprints joko reads on his screen
    response = ketua.goto(approve_url)
    assert response is not None and response.status == 200
    sources["approve"] = response.text()
    assert fingerprints(ketua) == own
    assert not ketua.is_checked("#confirmed")
    shots.take(ketua, "review-approve")
    problems["approval page"] = accessible(browser, ketua.context, approve_url)

    # Then without the box ticked (even with a valid code), or with a wrong code, she is refused
    ketua.fill("#code", codes.code("ketua"))
    ketua.click("main form button.primary")  # the browser itself does not send the form (the box is required)
    assert ketua.evaluate("document.querySelector('#confirmed').validity.valueMissing")
    assert ketua.url == approve_url and fingerprints(ketua) == own
    ketua.evaluate("document.querySelector('main form').noValidate = true")  # and if it did, the server refuses
    unticked = submit_approval(ketua, tick=False, code=codes.unsent("ketua"))
    assert unticked.status == 400 and ketua.locator("main p.error").count() >= 1
    wrong = submit_approval(ketua, tick=True, code=codes.wrong("ketua"))
    assert wrong.status == 400
    sources["approve-refused-code"] = wrong.text()
    assert "Kode itu tidak berlaku" in ketua.inner_text("main [role=alert]")
    admin.goto(review_url + "/team")
    assert admin.locator("table.cases tr", has_text="(joko)").locator("a[href$='/approve']").count() == 1

    # And with the box ticked and a fresh code, joko is approved
    approved = submit_approval(ketua, tick=True, code=codes.code("ketua"))
    assert approved.status == 302 and ketua.url.endswith("/team")
    assert "Disetujui" in ketua.inner_text("main .notice[role=status]")
    row = ketua.locator("table.cases tr", has_text="(joko)")
    assert row.locator("a[href$='/approve']").count() == 0 and row.locator("td").nth(3).inner_text().strip() != "—"

    # The admin's team page is accessible, and carries no integrity warning while all is well
    response = admin.goto(review_url + "/team")
    assert response is not None and response.status == 200
    sources["team-admin"] = response.text()
    assert admin.locator("section.integrity").count() == 0
    problems["/team as admin"] = accessible(browser, admin.context, review_url + "/team")

    # When a database writer inserts a reviewer row directly, every admin page warns, loudly and by name
    plant_reviewer(data, root, "siluman")
    for path in ("/", "/dashboard", "/team"):
        response = admin.goto(review_url + path)
        assert response is not None and response.status == 200
        banner = admin.locator("main section.alert.integrity[role=alert]")
        assert banner.count() == 1, path
        assert "Peringatan keutuhan" in banner.inner_text() and "siluman" in banner.inner_text(), path
    sources["team-admin-integrity"] = response.text()
    border = admin.evaluate("getComputedStyle(document.querySelector('section.integrity')).borderTopColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", border)[:3])
    assert red >= 128 and green < 80 and blue < 80, border  # red, and loud
    shots.take(admin, "review-integrity-warning")
    problems["/team as admin, with the warning"] = accessible(browser, admin.context, review_url + "/team")
    # (the warning is for admins: ketua and joko are reviewers only)
    for page in (ketua, joko):
        page.goto(review_url + "/team")
        assert page.locator("section.integrity").count() == 0

    failing = [f"{where}: {finding}" for where, found in problems.items() for finding in found]
    assert failing == [], "\n".join(failing)
    assert len(list((tmp_path / "screenshots").glob("*.png"))) == 3

    # The Nu HTML checker on every page as served (`make test` installs Java and vnu.jar).
    errors = html_errors(sources, tmp_path / "html")
    assert errors == [], "\n".join(errors)
