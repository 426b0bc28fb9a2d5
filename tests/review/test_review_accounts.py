"""Accounts that survive real life (issue 19, point 4), through the review app: one's own passphrase
changed, a colleague's lost authenticator and forgotten passphrase reset by another key-holding admin,
a disabled account brought back unapproved. Each test plays the attack it guards against."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import BackupCode, Reviewer, ReviewerSession, TrustedDevice
from cases.team.accounts import authenticate
from cases.team.errors import LoginFailed
from cases.team.login_throttle import clear_failures
from cases.team.second_factor import use_backup_code
from tests.actions import (
    TotpClock,
    activate,
    case_ids,
    csrf_token,
    enrol,
    full_login,
    login,
    submit_report,
)
from tests.domain import CHEAP_KDF, age_session, events
from tests.review.test_review_workspace import approve_in_ui, post, reviewer_id
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer

CHANGED = "sate kambing di alun-alun kudus malam minggu"


@pytest.fixture
def admin(review_app: Flask) -> FlaskClient:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")  # a founding key holder
    return client


def colleague(review_app: Flask, name: str, *extra: str) -> FlaskClient:
    client = review_app.test_client()
    activated_reviewer(review_app, client, name, *extra)  # another founder: a verified key holder
    return client


def row(session: Session, username: str) -> Reviewer:
    session.expire_all()
    return session.scalars(select(Reviewer).where(Reviewer.username == username)).one()


def sessions_of(session: Session, username: str) -> int:
    return len(
        session.scalars(
            select(ReviewerSession.id).where(ReviewerSession.reviewer_id == row(session, username).id)
        ).all()
    )


def change(
    client: FlaskClient,
    clock: TotpClock,
    *,
    current: str,
    new: str,
    code: str | None = None,
    confirm: str | None = None,
) -> "object":
    return client.post(
        "/me/passphrase",
        data={
            "csrf_token": csrf_token(client, "/me/passphrase"),
            "current": current,
            "passphrase": new,
            "confirm": new if confirm is None else confirm,
            "code": clock.next_code("ani") if code is None else code,
        },
    )


# -- one's own passphrase --------------------------------------------------------------------------------------


def test_passphrase_change_rewraps_the_keys_and_ends_other_sessions(
    review_app: Flask, portal: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    # Given ani, signed in on two browsers, reading a case
    ani = colleague(review_app, "ani")
    submit_report(portal, what="Setoran bulanan kepada kepala bidang.")
    other = review_app.test_client()
    full_login(other, "ani", NEW_PASSPHRASE)
    case_id = case_ids(ani)[0]
    assert sessions_of(session, "ani") == 2
    wrapped_before = row(session, "ani").wrapped_private_key

    # When the current passphrase is wrong, a code is wrong, or the new one is refused: nothing changes
    assert change(ani, totp_clock, current="bukan frasa sandi saya yang lama", new=CHANGED).status_code == 401
    assert change(ani, totp_clock, current=NEW_PASSPHRASE, new=CHANGED, code="000000").status_code == 401
    assert change(ani, totp_clock, current=NEW_PASSPHRASE, new=CHANGED, confirm=CHANGED + "x").status_code == 400
    assert change(ani, totp_clock, current=NEW_PASSPHRASE, new="password1234567").status_code == 400
    assert row(session, "ani").wrapped_private_key == wrapped_before
    assert sessions_of(session, "ani") == 2 and other.get("/").status_code == 200
    assert len(events(session, "login.fail")) >= 2  # the two wrong attempts are audited

    # When the old passphrase, a fresh code and a good new passphrase are given
    done = change(ani, totp_clock, current=NEW_PASSPHRASE, new=CHANGED)
    assert done.status_code == 302, done.get_data(as_text=True)[:400]

    # Then the other browser is signed out, this one goes on, and the change is audited
    assert other.get("/").headers["Location"].endswith("/login")
    assert sessions_of(session, "ani") == 1
    assert case_ids(ani) == [case_id]
    assert "Setoran bulanan" in ani.get(f"/cases/{case_id}").get_data(as_text=True)
    assert [e.actor_id for e in events(session, "account.passphrase_change")] == [row(session, "ani").id]

    # And the old passphrase opens nothing, the new one opens the same keys
    reviewer = row(session, "ani")
    with pytest.raises(LoginFailed):
        authenticate(session, username="ani", passphrase=NEW_PASSPHRASE, kdf=CHEAP_KDF)
    outcome = authenticate(session, username="ani", passphrase=CHANGED, kdf=CHEAP_KDF)
    assert outcome.keypair is not None and outcome.keypair.public == reviewer.public_key
    assert outcome.signing is not None and outcome.signing.public == reviewer.signing_public_key
    clear_failures(reviewer)  # those two attempts above counted like logins
    session.commit()
    fresh = review_app.test_client()
    assert login(fresh, "ani", NEW_PASSPHRASE).status_code == 401
    full_login(fresh, "ani", CHANGED)
    assert "Setoran bulanan" in fresh.get(f"/cases/{case_id}").get_data(as_text=True)


def test_passphrase_change_forgets_trusted_devices(review_app: Flask, session: Session, totp_clock: TotpClock) -> None:
    ani = colleague(review_app, "ani")
    other = review_app.test_client()
    full_login(other, "ani", NEW_PASSPHRASE)  # a second trusted browser
    assert (
        len(session.scalars(select(TrustedDevice.id).where(TrustedDevice.reviewer_id == row(session, "ani").id)).all())
        == 2
    )
    assert change(ani, totp_clock, current=NEW_PASSPHRASE, new=CHANGED).status_code == 302
    # only the browser that changed it is trusted again
    assert (
        len(session.scalars(select(TrustedDevice.id).where(TrustedDevice.reviewer_id == row(session, "ani").id)).all())
        == 1
    )


# -- a lost authenticator --------------------------------------------------------------------------------------


def test_second_factor_reset_by_another_key_holding_admin_only(
    review_app: Flask, admin: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    ani = colleague(review_app, "ani")
    budi = colleague(review_app, "budi", "--admin")
    ani_id = reviewer_id(session, "ani")
    old_secret = totp_clock.secrets["ani"]
    assert session.scalars(select(BackupCode.id).where(BackupCode.reviewer_id == ani_id)).all()

    # A reviewer who is not an admin cannot reset anyone's second factor
    assert post(ani, f"/team/{reviewer_id(session, 'budi')}/second-factor/reset", {}, "/team").status_code == 403
    # Nobody resets their own (four eyes): not even an admin
    post(admin, f"/team/{reviewer_id(session, 'admin')}/second-factor/reset", {}, "/team")
    assert row(session, "admin").totp_enabled
    # Without a fresh code (the step-up is older than 5 minutes), the admin is sent to confirm first
    age_session(
        session.scalars(
            select(ReviewerSession).where(ReviewerSession.reviewer_id == reviewer_id(session, "budi"))
        ).one(),
        stepped_up=timedelta(minutes=6),
    )
    session.commit()
    refused = post(budi, f"/team/{ani_id}/second-factor/reset", {}, "/team")
    assert "/step-up" in refused.headers["Location"]
    assert row(session, "ani").totp_enabled

    # Another key-holding admin, with a fresh code, resets it
    budi.post(
        "/step-up?next=/team", data={"csrf_token": csrf_token(budi, "/step-up"), "code": totp_clock.next_code("budi")}
    )
    assert post(budi, f"/team/{ani_id}/second-factor/reset", {}, "/team").status_code == 302
    reviewer = row(session, "ani")
    assert not reviewer.totp_enabled and reviewer.totp_secret is None
    assert not session.scalars(select(BackupCode.id).where(BackupCode.reviewer_id == ani_id)).all()
    assert ani.get("/").headers["Location"].endswith("/login")  # her sessions ended
    assert [e.detail for e in events(session, "account.second_factor_reset")] == [f"reviewer={ani_id}"]

    # The old authenticator no longer works: after the passphrase, the owner must enrol a new one
    phone = review_app.test_client()
    assert login(phone, "ani", NEW_PASSPHRASE).headers["Location"].endswith("/enrol")
    from crypto.totp import current_code

    assert phone.get("/").headers["Location"].endswith("/enrol")  # nothing else is reachable
    wrong = phone.post(
        "/enrol",
        data={"csrf_token": csrf_token(phone, "/enrol"), "code": current_code(old_secret, now=totp_clock.now + 30)},
    )
    assert wrong.status_code == 400
    assert enrol(phone, "ani").status_code == 200  # a new secret, and new backup codes
    assert row(session, "ani").totp_enabled
    assert phone.get("/").status_code == 200


def test_old_backup_codes_do_not_work_after_a_second_factor_reset(
    review_app: Flask, admin: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    # Given ani's backup codes, as shown once at enrolment
    client = review_app.test_client()
    from tests.test_end_to_end import create_account

    one_time = create_account(review_app, "ani")
    login(client, "ani", one_time)
    activate(client, NEW_PASSPHRASE)
    page = enrol(client, "ani").get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", page) or re.findall(
        r"<code>([0-9A-Za-z-]{8,})</code>", page
    )
    assert codes, page[:600]

    # When an admin resets her second factor
    assert post(admin, f"/team/{reviewer_id(session, 'ani')}/second-factor/reset", {}, "/team").status_code == 302

    # Then a backup code does not get anyone past the passphrase step: it goes to enrolment instead
    thief = review_app.test_client()
    assert login(thief, "ani", NEW_PASSPHRASE).headers["Location"].endswith("/enrol")
    assert (
        thief.post("/login/code", data={"csrf_token": csrf_token(thief, "/enrol"), "code": codes[0]})
        .headers["Location"]
        .endswith("/enrol")
    )
    assert not row(session, "ani").totp_enabled
    assert not use_backup_code(session, reviewer=row(session, "ani"), code=codes[0])


# -- a forgotten passphrase ------------------------------------------------------------------------------------


def forgot(client: FlaskClient, username: str) -> "object":
    return client.post("/login/forgot", data={"csrf_token": csrf_token(client, "/login/forgot"), "username": username})


def test_forgotten_passphrase_request_answers_the_same_for_unknown_names(
    review_app: Flask, admin: FlaskClient, session: Session
) -> None:
    colleague(review_app, "ani")
    stranger = review_app.test_client()
    assert 'href="/login/forgot"' in stranger.get("/login").get_data(as_text=True)

    known, unknown = forgot(stranger, "ani"), forgot(stranger, "tidak-ada-orang-ini")
    strip = lambda response: re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert "menunggu pemulihan" in strip(known)

    # The account shows as waiting to admins, not the unknown name; both requests are audited
    assert row(session, "ani").recovery_requested_at is not None
    team = admin.get("/team").get_data(as_text=True)
    assert "Menunggu pemulihan" in team and "ani" in team.split("Menunggu pemulihan", 1)[1]
    assert "tidak-ada-orang-ini" not in team
    assert [e.detail for e in events(session, "account.recovery_request")] == [
        f"reviewer={reviewer_id(session, 'ani')}",
        "unknown",
    ]


def test_forgotten_passphrase_reset_starts_over_with_new_keys_and_a_new_approval(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    # Given ani reads a case, forgets her passphrase and asks
    ani = colleague(review_app, "ani")
    budi = colleague(review_app, "budi", "--admin")
    submit_report(portal, what="Jual beli jabatan eselon tiga.")
    case_id = case_ids(ani)[0]
    old_public = row(session, "ani").public_key
    forgot(review_app.test_client(), "ani")
    ani_id = reviewer_id(session, "ani")

    # Nobody resets their own passphrase this way; a non-admin cannot reset anyone's
    assert post(ani, f"/team/{reviewer_id(session, 'budi')}/passphrase/reset", {}, "/team").status_code == 403

    # When the admin resets it, a one-time passphrase is shown once
    reset = post(admin, f"/team/{ani_id}/passphrase/reset", {}, "/team")
    assert reset.status_code == 200
    one_time = re.search(r'<code class="secret">([0-9A-Z-]+)</code>', reset.get_data(as_text=True)).group(1)
    assert ani.get("/").headers["Location"].endswith("/login")
    assert "menunggu pemulihan" in admin.get("/team").get_data(as_text=True)
    assert len(events(session, "account.reset_passphrase")) == 1

    # Then the old passphrase opens nothing; the one-time one leads to activation and enrolment
    back = review_app.test_client()
    assert login(back, "ani", NEW_PASSPHRASE).status_code == 401
    assert login(back, "ani", one_time).headers["Location"].endswith("/activate")
    assert activate(back, CHANGED).headers["Location"].endswith("/enrol")
    assert enrol(back, "ani").status_code == 200
    assert row(session, "ani").public_key != old_public

    # And she reads nothing until someone other than the admin who reset her approves the new keys
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)  # a key holder's re-grant pass
    assert case_ids(back) == [] and back.get(f"/cases/{case_id}").status_code == 404
    assert "menunggu pemulihan" in back.get("/").get_data(as_text=True)
    refused = approve_in_ui(admin, "admin", ani_id)
    assert refused.status_code == 400 and row(session, "ani").approved_at is None
    assert approve_in_ui(budi, "budi", ani_id).status_code == 302
    assert case_ids(back) == [case_id]
    assert "Jual beli jabatan" in back.get(f"/cases/{case_id}").get_data(as_text=True)
    assert row(session, "ani").recovery_requested_at is None  # recovered
    assert "menunggu pemulihan" not in admin.get("/team").get_data(as_text=True)


# -- re-enabling a disabled account ----------------------------------------------------------------------------


def test_reenabled_account_needs_a_new_approval_and_gets_no_keys_before(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session, totp_clock: TotpClock
) -> None:
    ani = colleague(review_app, "ani")
    budi = colleague(review_app, "budi", "--admin")
    submit_report(portal, what="Pungli perizinan usaha.")
    case_id = case_ids(ani)[0]
    ani_id = reviewer_id(session, "ani")
    assert post(admin, f"/team/{ani_id}/disable", {}, "/team").status_code == 302
    assert row(session, "ani").state == "disabled"

    # A non-admin cannot bring it back
    assert post(review_app.test_client(), f"/team/{ani_id}/enable", {}, "/login").status_code == 302  # no session
    # The admin re-enables it: it can sign in, but is sealed nothing
    assert post(admin, f"/team/{ani_id}/enable", {}, "/team").status_code == 302
    reviewer = row(session, "ani")
    assert reviewer.state == "active" and reviewer.approved_at is None
    assert len(events(session, "account.enable")) == 1
    again = review_app.test_client()
    full_login(again, "ani", NEW_PASSPHRASE)
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)  # key holders' re-grant passes
    full_login(review_app.test_client(), "budi", NEW_PASSPHRASE)
    assert case_ids(again) == [] and again.get(f"/cases/{case_id}").status_code == 404

    # The admin who re-enabled it cannot approve it; another key holder can, and the keys follow
    assert approve_in_ui(admin, "admin", ani_id).status_code == 400
    assert approve_in_ui(budi, "budi", ani_id).status_code == 302
    assert case_ids(again) == [case_id]


def test_nobody_reenables_or_resets_their_own_account(review_app: Flask, admin: FlaskClient, session: Session) -> None:
    admin_id = reviewer_id(session, "admin")
    post(admin, f"/team/{admin_id}/passphrase/reset", {}, "/team")
    assert row(session, "admin").state == "active" and row(session, "admin").wrapped_private_key is not None
    assert not events(session, "account.reset_passphrase")
