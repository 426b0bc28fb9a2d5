"""Attack class: the limits as levers (issue 17, point 2) — floods that fill the global buckets with
junk so genuine reporters get 429, receipt guessing that drops its cookie to reset the per-visit
count, unlimited replies from the reporter's page, and one visitor using up the hour's upload
allowance for everyone.

Global buckets count well-formed work only (after CSRF and form validation); per-visit limits still
count every POST of their visit. Each test runs on memory storage and, when TEST_REDIS_URL is set, on
the shared Redis of `make test` (failing, never skipping, when it is set but down).
"""

import dataclasses
import io
import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from cases.models import Attachment, Case, CaseItem, KeptFile
from cases.platform.config import Config
from cases.web.app import dispose
from crypto.receipts import new_receipt
from portal import create_app
from tests.actions import (
    check_status,
    csrf_token,
    post_multipart,
    report_form,
    reporter_sends,
    submit_report,
    submit_report_with_files,
    upload,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
TEXT = "Kepala bidang meminta setoran setiap bulan dari semua staf pelayanan."

MakePortal = Callable[..., Flask]


@pytest.fixture(params=["memory", "redis"])
def make_portal(
    request: pytest.FixtureRequest, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakePortal]:
    """Builds portals with the given limits, on memory storage or on the test Redis (own key prefix)."""
    apps: list[Flask] = []
    storage: dict[str, object] = {}
    cleanup = None
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("TEST_REDIS_URL is not set; Redis tests run under `make test`")
        import redis

        cleanup = redis.Redis.from_url(REDIS_URL)
        cleanup.ping()
        prefix = "kanal-test-" + secrets.token_hex(6)
        storage = {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
        from cases.web.ratelimit import limiter

        monkeypatch.setattr(limiter, "_key_prefix", "")  # this test's own prefix (see test_attack_rate_limiting)

    def build(**limits: object) -> Flask:
        app = create_app(dataclasses.replace(config, **storage, **limits))  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose(app)
    if cleanup is not None:
        for key in cleanup.scan_iter(match=f"*{storage['redis_key_prefix']}-*"):
            cleanup.delete(key)
        cleanup.close()


def _junk_report(client: FlaskClient) -> int:
    """A POST with a valid CSRF token and an invalid form (nothing written)."""
    return client.post("/lapor", data=report_form(client, what="")).status_code


def test_a_flood_of_invalid_posts_does_not_stop_a_valid_report(make_portal: MakePortal, session: Session) -> None:
    # Given a global ceiling of 3 submissions a minute
    app = make_portal(limit_submit_global="3/minute", limit_submit="1000/hour")
    # When 60 junk POSTs (valid CSRF token, invalid form) arrive from 20 visits, each with its own cookie
    junk = [_junk_report(client) for client in (app.test_client() for _ in range(20)) for _ in range(3)]
    assert set(junk) == {400}
    # Then a genuine reporter still gets through: the global bucket was not touched by the junk
    genuine = [app.test_client() for _ in range(4)]
    codes = [client.post("/lapor", data=report_form(client, what=TEXT)).status_code for client in genuine]
    # and the ceiling still holds for well-formed submissions: exactly 3 served
    assert codes == [200, 200, 200, 429]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == 3


def test_invalid_forms_with_files_count_against_the_global_budget(make_portal: MakePortal, session: Session) -> None:
    # Given a global ceiling of 3 submissions a minute
    app = make_portal(limit_submit_global="3/minute", limit_submit="1000/hour")
    # When invalid forms arrive with a file each (cleaning and keeping a file is work), from fresh visits
    codes = []
    for _ in range(4):
        client = app.test_client()
        form: dict[str, object] = dict(report_form(client, what=""))
        form["evidence"] = [(io.BytesIO(b"catatan rapat\n" * 50), "catatan.txt")]
        codes.append(post_multipart(client, "/lapor", form).status_code)
    # Then the fourth is refused before any cleaning, its files named as not kept
    assert codes == [400, 400, 400, 429]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(KeptFile)) == 3


def test_junk_status_checks_do_not_crowd_out_a_genuine_reporter(make_portal: MakePortal) -> None:
    # Given a real case and a global ceiling of 4 status checks a minute
    app = make_portal(limit_status_global="4/minute", limit_status="1000/minute")
    receipt = submit_report(app.test_client(), what=TEXT)
    # When 40 malformed checks arrive from visitors who drop their cookie each time
    junk = [check_status(app.test_client(), "").status_code for _ in range(40)]
    assert set(junk) == {400}
    # Then the reporter opens their case
    opened = check_status(app.test_client(), receipt)
    assert opened.status_code == 200 and "Laporan Anda" in opened.get_data(as_text=True)


def test_receipt_guessing_is_bounded_globally_even_when_the_cookie_is_dropped(make_portal: MakePortal) -> None:
    # Given a generous per-visit limit and a global ceiling of 5 checks a minute
    app = make_portal(limit_status="1000/minute", limit_status_global="5/minute")
    # When a guesser starts a fresh visit (new cookie, new CSRF token) for every one of 12 guesses
    codes = [check_status(app.test_client(), new_receipt()).status_code for _ in range(12)]
    # Then only the global ceiling of guesses is checked; the rest are refused
    assert codes == [200] * 5 + [429] * 7


def _reporter_visit(app: Flask) -> FlaskClient:
    """A reporter with a case and an open visit (receipt entered)."""
    client = app.test_client()
    receipt = submit_report(client, what=TEXT)
    assert check_status(client, receipt).status_code == 200
    return client


def test_the_reporters_replies_are_limited_per_visit(make_portal: MakePortal, session: Session) -> None:
    app = make_portal(limit_reply="2/hour", limit_reply_global="1000/minute")
    reporter = _reporter_visit(app)
    sent = [reporter_sends(reporter, f"Tambahan nomor {n}", follow=False).status_code for n in range(2)]
    assert sent == [302, 302]
    third = reporter_sends(reporter, "Tambahan ketiga yang tidak boleh hilang.", follow=False)
    page = third.get_data(as_text=True)
    assert third.status_code == 429
    assert "Tambahan ketiga yang tidak boleh hilang." in page  # what they typed is shown back
    assert "beberapa menit" in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CaseItem).where(CaseItem.kind == "message")) == 2


def test_the_reporters_replies_are_limited_globally(make_portal: MakePortal) -> None:
    app = make_portal(limit_reply="1000/hour", limit_reply_global="3/minute")
    reporters = [_reporter_visit(app) for _ in range(2)]
    codes = [reporter_sends(reporters[n % 2], f"Pesan {n}", follow=False).status_code for n in range(5)]
    assert codes == [302, 302, 302, 429, 429]


def test_junk_replies_do_not_fill_the_global_reply_bucket(make_portal: MakePortal) -> None:
    app = make_portal(limit_reply="1000/hour", limit_reply_global="2/minute")
    reporter = _reporter_visit(app)
    # a reply whose CSRF token is fine but whose form is not (text over the limit) is junk
    junk = [
        reporter.post(
            "/laporan-saya", data={"csrf_token": csrf_token(reporter, "/laporan-saya"), "text": "x" * 30_000}
        ).status_code
        for _ in range(10)
    ]
    assert set(junk) == {400}
    assert reporter_sends(reporter, "Pesan yang sebenarnya.", follow=False).status_code == 302


def test_one_visit_cannot_take_the_whole_hourly_upload_allowance(make_portal: MakePortal, session: Session) -> None:
    # Given an hour's allowance of 8 MB for everyone, of which one visit may use 1 MB
    app = make_portal(max_upload_mb_per_hour=8, max_upload_mb_per_visit_hour=1, limit_submit="1000/hour")
    evidence = b"bukti transfer setoran\n" * 30_000  # ~690 KB of plain text
    greedy = app.test_client()
    # When one visit sends report after report with a file
    first = _with_file(greedy, evidence, "bukti1.txt")
    second = _with_file(greedy, evidence, "bukti2.txt", what=TEXT + " (kedua)")
    # Then its first file is taken and its second refused, with the text kept and nothing stored
    assert first.status_code == 200
    page = second.get_data(as_text=True)
    assert second.status_code == 400 and 'class="receipt"' not in page
    assert TEXT + " (kedua)" in page and "kunjungan ini" in page
    # while another visitor in the same hour still uploads
    assert _with_file(app.test_client(), evidence, "bukti3.txt").status_code == 200
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Attachment)) == 2


def _with_file(client: FlaskClient, data: bytes, name: str, *, what: str = TEXT) -> TestResponse:
    return submit_report_with_files(client, [upload(data, name)], what=what)


def test_an_identity_given_later_past_the_visits_limit_is_shown_back_not_lost(
    make_portal: MakePortal, session: Session
) -> None:
    """The "give your identity" form counts in the visit's replies: refused past the limit, what was
    typed comes back on the page (left over from issue 20), and nothing of it is kept."""
    from cases.models import CaseIdentity

    app = make_portal(limit_reply="1/hour", limit_reply_global="1000/minute")
    reporter = _reporter_visit(app)
    first = reporter.post(
        "/laporan-saya/identitas",
        data={"csrf_token": csrf_token(reporter, "/laporan-saya"), "identity_name": "Nama Pertama"},
    )
    assert first.status_code == 302
    refused = reporter.post(
        "/laporan-saya/identitas",
        data={
            "csrf_token": csrf_token(reporter, "/laporan-saya"),
            "identity_name": "Kanari Budiwati",
            "identity_nip": "198001012005012001",
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Kanari Budiwati" in page and "198001012005012001" in page and "belum terkirim" in page
    assert "beberapa menit lagi" in page and "Kunjungan Anda berakhir" not in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CaseIdentity)) == 1  # the first one only
