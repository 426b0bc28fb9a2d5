"""The team's workspace through the review app: four eyes, recusal, step-up,
second factor, lockout, and a case taken from receipt to conclusion."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, Opd, Reviewer, ReviewerSession
from tests.actions import (
    TotpClock,
    case_ids,
    check_status,
    csrf_token,
    enter_code,
    full_login,
    login,
    logout,
    submit_report,
    team_replies,
)
from tests.domain import age_session
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer, create_account


def post(client: FlaskClient, url: str, data: dict[str, str], page: str) -> "object":
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def reviewer_id(session: Session, username: str) -> str:
    session.expire_all()
    return session.scalars(select(Reviewer.id).where(Reviewer.username == username)).one()


@pytest.fixture
def admin(review_app: Flask) -> FlaskClient:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")  # a founding key holder (installation ceremony)
    return client


def approved_colleague(review_app: Flask, admin: FlaskClient, session: Session, name: str) -> FlaskClient:
    """Another founding key holder: a verified reader the admin did not create."""
    client = review_app.test_client()
    activated_reviewer(review_app, client, name)
    return client


def regrant_pass(review_app: Flask, holder: str = "admin") -> None:
    """A key holder's re-grant pass, as the app runs it: when they sign in (a GET never writes grants)."""
    full_login(review_app.test_client(), holder, NEW_PASSPHRASE)


def approve_in_ui(client: FlaskClient, username: str, reviewer: str, code: str | None = None) -> "object":
    """The approval page: fingerprints confirmed out of band, a fresh code."""
    from tests.actions import CLOCK

    page = f"/team/{reviewer}/approve"
    html = client.get(page).get_data(as_text=True)
    shown = dict(re.findall(r'name="(signing_fp|encryption_fp)" type="hidden" value="([0-9a-f ]*)"', html))
    return post(
        client, page, {"confirmed": "y", "code": CLOCK.next_code(username) if code is None else code, **shown}, page
    )


def test_four_eyes_new_reviewer_reads_only_after_a_second_person_approves(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    # Given a key-holding colleague (approved by the admin) and a case both can read
    ani = approved_colleague(review_app, admin, session, "ani")
    submit_report(portal, what="Pungutan untuk tanda tangan berkas mutasi pegawai.")
    case_id = case_ids(admin)[0]
    assert case_ids(ani) == [case_id]

    # When the admin creates a sock puppet in the UI, which activates itself
    created = post(admin, "/team/create", {"username": "boneka", "display_name": "Boneka", "is_reviewer": "y"}, "/team")
    one_time = re.search(r'<code class="secret">([0-9A-Z-]+)</code>', created.get_data(as_text=True)).group(1)
    puppet = review_app.test_client()
    login(puppet, "boneka", one_time)
    from tests.actions import activate, enrol

    activate(puppet, NEW_PASSPHRASE)
    enrol(puppet, "boneka")
    regrant_pass(review_app)  # the admin's re-grant pass reaches approved reviewers only

    # Then the puppet reads nothing, and its creator cannot approve it
    assert case_ids(puppet) == []
    assert puppet.get(f"/cases/{case_id}").status_code == 404
    refusal = approve_in_ui(admin, "admin", reviewer_id(session, "boneka"))
    assert refusal.status_code == 400 and "tidak dapat menyetujuinya" in refusal.get_data(as_text=True)
    assert session.get(Reviewer, reviewer_id(session, "boneka")).approved_at is None

    # When another key holder approves without a fresh code, or with a wrong one, it is refused
    page = ani.get(f"/team/{reviewer_id(session, 'boneka')}/approve").get_data(as_text=True)
    fingerprints = re.findall(r'<code class="fingerprint">([0-9a-f ]+)</code>', page)
    assert len(fingerprints) == 2 and fingerprints[0] in puppet.get("/team").get_data(as_text=True)
    assert approve_in_ui(ani, "ani", reviewer_id(session, "boneka"), code="").status_code == 400
    assert approve_in_ui(ani, "ani", reviewer_id(session, "boneka"), code="123456").status_code == 400
    assert session.get(Reviewer, reviewer_id(session, "boneka")).approved_at is None

    # When another key holder approves with a fresh code, that holder's keys follow at once
    assert approve_in_ui(ani, "ani", reviewer_id(session, "boneka")).status_code == 302
    assert case_ids(puppet) == [case_id]
    assert "Pungutan untuk tanda tangan" in puppet.get(f"/cases/{case_id}").get_data(as_text=True)


def test_recusal_in_the_ui_removes_access_at_once(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    ani = approved_colleague(review_app, admin, session, "ani")
    submit_report(portal)
    case_id = case_ids(admin)[0]
    case_ids(ani)
    opd_id = session.get(Case, case_id).opd_id

    post(admin, f"/team/{reviewer_id(session, 'ani')}/affiliations", {"opd": str(opd_id), "kind": "member"}, "/team")

    assert ani.get(f"/cases/{case_id}").status_code == 404
    regrant_pass(review_app)  # a re-grant pass must not give it back
    assert case_ids(ani) == []


def test_reviewer_declares_own_conflict(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    submit_report(portal)
    case_id = case_ids(admin)[0]
    opd_id = session.get(Case, case_id).opd_id
    post(admin, "/me/conflicts", {"opd": str(opd_id), "kind": "conflict"}, "/team")
    assert admin.get(f"/cases/{case_id}").status_code == 404
    assert session.get(Opd, opd_id).name in admin.get("/team").get_data(as_text=True)


def test_admin_actions_need_a_recent_code(
    review_app: Flask, admin: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    # Given an admin whose last code was entered 6 minutes ago
    for row in session.scalars(select(ReviewerSession)):
        age_session(row, stepped_up=timedelta(minutes=6))
    session.commit()
    # When they create an account, they are sent to confirm with a code first
    attempt = post(admin, "/team/create", {"username": "rudi", "is_reviewer": "y"}, "/team")
    assert "/step-up" in attempt.headers["Location"]
    assert session.scalars(select(Reviewer).where(Reviewer.username == "rudi")).first() is None
    # And after a fresh code the same action works
    admin.post(
        "/step-up?next=/team", data={"csrf_token": csrf_token(admin, "/step-up"), "code": totp_clock.next_code("admin")}
    )
    done = post(admin, "/team/create", {"username": "rudi", "is_reviewer": "y"}, "/team")
    assert done.status_code == 200 and "rudi" in done.get_data(as_text=True)


def test_non_admins_cannot_reach_admin_actions(review_app: Flask, admin: FlaskClient, session: Session) -> None:
    ani = approved_colleague(review_app, admin, session, "ani")
    assert ani.get("/audit").status_code == 403
    assert post(ani, "/team/create", {"username": "x"}, "/team").status_code == 403
    assert post(ani, f"/team/{reviewer_id(session, 'admin')}/disable", {}, "/team").status_code == 403


def test_codes_work_once_and_backup_codes_once(review_app: Flask, totp_clock: TotpClock) -> None:
    client = review_app.test_client()
    one_time = create_account(review_app, "sari")
    login(client, "sari", one_time)
    from tests.actions import activate, enrol

    activate(client, NEW_PASSPHRASE)
    backup = re.findall(r"<code>([0-9A-Z]{5}-[0-9A-Z]{5})</code>", enrol(client, "sari").get_data(as_text=True))
    logout(client)

    login(client, "sari", NEW_PASSPHRASE)
    code = totp_clock.next_code("sari")
    assert enter_code(client, "sari", code).headers["Location"].endswith("/")
    logout(client)
    login(client, "sari", NEW_PASSPHRASE)
    assert enter_code(client, "sari", code).status_code == 401  # the same code again
    assert enter_code(client, "sari", backup[0].lower()).headers["Location"].endswith("/")
    logout(client)
    login(client, "sari", NEW_PASSPHRASE)
    assert enter_code(client, "sari", backup[0]).status_code == 401  # backup codes are single-use


def test_wrong_passphrases_lock_the_account_even_for_the_right_one(review_app: Flask, admin: FlaskClient) -> None:
    logout(admin)
    for _ in range(4):
        assert login(admin, "admin", "salah salah salah salah").status_code == 401
    locked = login(admin, "admin", NEW_PASSPHRASE)
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.get_data(as_text=True)


def test_case_from_receipt_to_conclusion_with_outcome_for_the_reporter(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    receipt = submit_report(portal)
    case_id = case_ids(admin)[0]
    team_replies(admin, case_id, "Laporan kami terima, sedang diverifikasi.")
    page = f"/cases/{case_id}"
    steps = [
        ("verifying", "", ""),
        ("investigating", "", ""),
        ("closed", "Terbukti, sanksi disiplin dijatuhkan.", "Laporan Anda terbukti dan sudah ditindaklanjuti."),
    ]
    for status, reason, outcome in steps:
        response = post(admin, f"{page}/status", {"new_status": status, "reason": reason, "outcome": outcome}, page)
        assert response.status_code == 302, status
    post(admin, f"{page}/notes", {"text": "Catatan internal: saksi kedua bersedia."}, page)

    session.expire_all()
    case = session.get(Case, case_id)
    assert case.status == "closed" and case.first_response_at is not None and case.next_due is None
    reporter_page = check_status(portal, receipt).get_data(as_text=True)
    assert "Laporan Anda terbukti dan sudah ditindaklanjuti." in reporter_page
    assert "Terbukti, sanksi disiplin" not in reporter_page and "saksi kedua" not in reporter_page
    assert "Selesai" in reporter_page


def test_closing_without_an_outcome_is_refused_and_explained(admin: FlaskClient, portal: FlaskClient) -> None:
    submit_report(portal)
    case_id = case_ids(admin)[0]
    page = f"/cases/{case_id}"
    response = post(admin, f"{page}/status", {"new_status": "rejected", "reason": "Di luar kewenangan."}, page)
    assert response.status_code == 400
    assert "Tulis hasil yang akan dibaca pelapor." in response.get_data(as_text=True)


def test_audit_log_shows_what_happened(admin: FlaskClient, portal: FlaskClient) -> None:
    submit_report(portal)
    case_id = case_ids(admin)[0]
    admin.get(f"/cases/{case_id}")
    log = admin.get(f"/audit?case={case_id}").get_data(as_text=True)
    assert "case.view" in log


def test_account_names_are_plain(admin: FlaskClient, session: Session) -> None:
    response = post(admin, "/team/create", {"username": "<b>x</b> y", "is_reviewer": "y"}, "/team")
    assert response.status_code == 400
    assert "huruf, angka" in response.get_data(as_text=True)
    assert session.scalars(select(Reviewer).where(Reviewer.username.like("%x%"))).first() is None


def test_an_enrolled_secret_is_never_shown_again(admin: FlaskClient) -> None:
    response = admin.get("/enrol")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert admin.post("/enrol", data={"csrf_token": csrf_token(admin, "/login"), "code": "123456"}).status_code == 302


def test_lifting_a_recusal_in_the_ui_takes_a_second_key_holder(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    # Given ani recused from the unit of a case, by the admin
    ani = approved_colleague(review_app, admin, session, "ani")
    submit_report(portal)
    case_id = case_ids(admin)[0]
    opd_id = session.get(Case, case_id).opd_id
    post(admin, f"/team/{reviewer_id(session, 'ani')}/affiliations", {"opd": str(opd_id), "kind": "member"}, "/team")
    assert ani.get(f"/cases/{case_id}").status_code == 404

    # When the admin tries to remove her own affiliation (with another unit), she cannot even propose it
    other = session.scalars(select(Opd.id).where(Opd.id != opd_id)).first()
    post(admin, "/me/conflicts", {"opd": str(other), "kind": "conflict"}, "/team")
    own = post(admin, f"/team/{reviewer_id(session, 'admin')}/affiliations/remove", {"opd": str(other)}, "/team")
    assert "Tidak seorang pun dapat menghapus" in admin.get(own.headers["Location"]).get_data(as_text=True)

    # When the admin proposes lifting ani's recusal, nothing changes yet, and she cannot confirm it herself
    post(admin, f"/team/{reviewer_id(session, 'ani')}/affiliations/remove", {"opd": str(opd_id)}, "/team")
    from cases.models import RosterProposal

    proposal = session.scalars(
        select(RosterProposal).where(RosterProposal.subject_id == reviewer_id(session, "ani"))
    ).one()
    assert post(admin, f"/team/removals/{proposal.id}/confirm", {}, "/team").status_code == 302
    regrant_pass(review_app)
    assert ani.get(f"/cases/{case_id}").status_code == 404

    # And ani cannot confirm the lifting of her own recusal
    post(ani, f"/team/removals/{proposal.id}/confirm", {}, "/team")
    regrant_pass(review_app)
    assert ani.get(f"/cases/{case_id}").status_code == 404

    # When a second key holder (who came after the case and holds none of it) confirms, the keys follow
    # when a holder of the case next signs in (a GET writes no grant: the admin's page views change nothing)
    ketua = approved_colleague(review_app, admin, session, "ketua")
    assert post(ketua, f"/team/removals/{proposal.id}/confirm", {}, "/team").status_code == 302
    admin.get("/")
    assert ani.get(f"/cases/{case_id}").status_code == 404
    regrant_pass(review_app)
    assert ani.get(f"/cases/{case_id}").status_code == 200
