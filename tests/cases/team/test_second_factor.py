"""cases.team.second_factor: TOTP enrolment, codes that work once, single-use backup codes."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import AuditEvent, BackupCode, Reviewer
from cases.team.second_factor import (
    check_code,
    enrolment_details,
    enrolment_secret,
    finish_enrolment,
    last_step,
    remaining_backup_codes,
    start_enrolment,
    use_backup_code,
)
from crypto.totp import STEP_SECONDS, backup_code_hash, current_code, open_secret
from tests.actions import TotpClock
from tests.domain import account

SERVER_SECRET = b"test-review-secret-for-totp-only"
NOW = 1_700_000_000.0


def _last_step(reviewer: Reviewer) -> int | None:
    """The step of the last code used, which the row keeps only sealed (in plaintext it is a time)."""
    step = last_step(reviewer=reviewer, server_secret=SERVER_SECRET)
    assert step is not None and reviewer.totp_last_step_sealed is not None
    assert step.to_bytes(8, "big") not in reviewer.totp_last_step_sealed
    return step


def _reviewer(session: Session, username: str = "rina") -> Reviewer:
    reviewer, _ = account(session, username=username, display_name=username.title())
    return reviewer


def _enrolled(session: Session, clock: TotpClock, username: str = "rina") -> tuple[Reviewer, bytes, list[str]]:
    reviewer = _reviewer(session, username)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    clock.now = NOW
    codes = finish_enrolment(
        session, reviewer=reviewer, code=current_code(secret, now=NOW), server_secret=SERVER_SECRET
    )
    assert codes is not None
    session.commit()
    return reviewer, secret, codes


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_start_enrolment_stores_a_sealed_secret_without_enabling(session: Session) -> None:
    # given a reviewer, when enrolment starts
    reviewer = _reviewer(session)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    session.commit()
    session.expire_all()
    # then the stored secret is sealed (not the secret itself), opens to it, and TOTP is not yet on
    assert reviewer.totp_secret is not None and secret not in reviewer.totp_secret
    assert open_secret(SERVER_SECRET, reviewer.totp_secret, owner_id=reviewer.id) == secret
    assert enrolment_secret(reviewer=reviewer, server_secret=SERVER_SECRET) == secret
    assert reviewer.totp_enabled is False and reviewer.totp_last_step_sealed is None


def test_enrolment_details_give_uri_and_typed_secret(session: Session) -> None:
    # given a started enrolment, then the QR URI names the issuer and account, and the secret is grouped
    reviewer = _reviewer(session)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    details = enrolment_details(reviewer=reviewer, secret=secret)
    assert details.uri.startswith("otpauth://totp/Kanal%20Integritas:rina?")
    assert "issuer=Kanal+Integritas" in details.uri
    assert details.secret_text.replace(" ", "") in details.uri


def test_enrolment_secret_is_none_under_another_server_secret(session: Session) -> None:
    # given a started enrolment, when read with another server secret, then nothing comes back
    reviewer = _reviewer(session)
    start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    assert enrolment_secret(reviewer=reviewer, server_secret=b"another-review-secret-0123456789") is None


def test_finish_enrolment_with_a_wrong_code_changes_nothing(session: Session, totp_clock: TotpClock) -> None:
    # given a started enrolment
    reviewer = _reviewer(session)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    totp_clock.now = NOW
    wrong = f"{(int(current_code(secret, now=NOW)) + 1) % 10**6:06d}"
    # when a wrong code is entered, then it is refused, TOTP stays off and no backup codes exist
    assert finish_enrolment(session, reviewer=reviewer, code=wrong, server_secret=SERVER_SECRET) is None
    assert reviewer.totp_enabled is False and reviewer.totp_last_step_sealed is None
    assert remaining_backup_codes(session, reviewer=reviewer) == 0
    assert _actions(session, "account.totp_enabled") == []


def test_finish_enrolment_with_the_right_code_enables_totp_and_stores_hashed_codes(
    session: Session, totp_clock: TotpClock
) -> None:
    # given a started enrolment, when the app's current code is entered
    reviewer = _reviewer(session)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    totp_clock.now = NOW
    codes = finish_enrolment(
        session, reviewer=reviewer, code=current_code(secret, now=NOW), server_secret=SERVER_SECRET
    )
    session.commit()
    # then TOTP is on, the step is burnt, and ten distinct backup codes come back
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    assert reviewer.totp_enabled is True and _last_step(reviewer) == int(NOW) // STEP_SECONDS
    # and the database holds only their hashes
    stored = session.scalars(select(BackupCode.code_hash).where(BackupCode.reviewer_id == reviewer.id)).all()
    assert sorted(stored) == sorted(backup_code_hash(code) for code in codes)
    assert all(code.encode() not in digest for code in codes for digest in stored)
    assert [e.actor_id for e in _actions(session, "account.totp_enabled")] == [reviewer.id]


def test_finish_enrolment_refuses_the_code_already_used(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolment finished with a code, when the same code finishes it again, then it is refused
    reviewer, secret, _ = _enrolled(session, totp_clock)
    assert (
        finish_enrolment(session, reviewer=reviewer, code=current_code(secret, now=NOW), server_secret=SERVER_SECRET)
        is None
    )


def test_check_code_accepts_a_fresh_code_once(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer, when the next step's code is checked, then it is accepted and burnt
    reviewer, secret, _ = _enrolled(session, totp_clock)
    later = NOW + STEP_SECONDS
    code = current_code(secret, now=later)
    assert check_code(reviewer=reviewer, code=code, server_secret=SERVER_SECRET, now=later) is True
    assert _last_step(reviewer) == int(later) // STEP_SECONDS
    # when the same code is offered again (even a few seconds later), then it is refused
    assert check_code(reviewer=reviewer, code=code, server_secret=SERVER_SECRET, now=later + 5) is False


def test_check_code_refuses_a_code_three_steps_old(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer and a code from a step never used
    reviewer, secret, _ = _enrolled(session, totp_clock)
    old = NOW + 10 * STEP_SECONDS
    code = current_code(secret, now=old)
    # when it is entered three steps later, then it has expired
    assert check_code(reviewer=reviewer, code=code, server_secret=SERVER_SECRET, now=old + 3 * STEP_SECONDS) is False
    assert _last_step(reviewer) == int(NOW) // STEP_SECONDS


def test_check_code_accepts_one_step_of_drift(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer whose phone is one step behind, then the code is accepted
    reviewer, secret, _ = _enrolled(session, totp_clock)
    later = NOW + 5 * STEP_SECONDS
    code = current_code(secret, now=later - STEP_SECONDS)
    assert check_code(reviewer=reviewer, code=code, server_secret=SERVER_SECRET, now=later) is True


def test_check_code_uses_the_clock_when_no_time_is_given(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer and the clock moved on one step
    reviewer, secret, _ = _enrolled(session, totp_clock)
    totp_clock.now = NOW + STEP_SECONDS
    # when the code for that step is checked without `now`, then it is accepted
    assert (
        check_code(reviewer=reviewer, code=current_code(secret, now=totp_clock.now), server_secret=SERVER_SECRET)
        is True
    )


def test_check_code_without_a_secret_or_with_the_wrong_server_secret_fails(
    session: Session, totp_clock: TotpClock
) -> None:
    # given a reviewer never enrolled, then no code is accepted
    never = _reviewer(session, "joko")
    assert check_code(reviewer=never, code="123456", server_secret=SERVER_SECRET, now=NOW) is False
    # given an enrolled reviewer, when the server secret is not the one that sealed it, then refused
    reviewer, secret, _ = _enrolled(session, totp_clock)
    later = NOW + STEP_SECONDS
    assert (
        check_code(
            reviewer=reviewer,
            code=current_code(secret, now=later),
            server_secret=b"another-review-secret-0123456789",
            now=later,
        )
        is False
    )


def test_backup_code_works_once(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer with ten backup codes
    reviewer, _, codes = _enrolled(session, totp_clock)
    assert remaining_backup_codes(session, reviewer=reviewer) == 10
    # when one is used, then it works and is audited, and nine remain
    assert use_backup_code(session, reviewer=reviewer, code=codes[0]) is True
    session.commit()
    assert remaining_backup_codes(session, reviewer=reviewer) == 9
    assert [e.actor_id for e in _actions(session, "login.backup_code")] == [reviewer.id]
    # when it is used again, then it is refused and the count stays
    assert use_backup_code(session, reviewer=reviewer, code=codes[0]) is False
    assert remaining_backup_codes(session, reviewer=reviewer) == 9
    # and another code still works, typed in lower case without its dash
    assert use_backup_code(session, reviewer=reviewer, code=codes[1].lower().replace("-", "")) is True
    assert remaining_backup_codes(session, reviewer=reviewer) == 8


def test_wrong_or_foreign_backup_code_is_refused(session: Session, totp_clock: TotpClock) -> None:
    # given two enrolled reviewers
    rina, _, _ = _enrolled(session, totp_clock, "rina")
    _, _, joko_codes = _enrolled(session, totp_clock, "joko")
    # when rina offers joko's code or a made-up one, then both are refused
    assert use_backup_code(session, reviewer=rina, code=joko_codes[0]) is False
    assert use_backup_code(session, reviewer=rina, code="00000-00000") is False
    assert remaining_backup_codes(session, reviewer=rina) == 10


def test_re_enrolment_replaces_the_old_backup_codes(session: Session, totp_clock: TotpClock) -> None:
    # given an enrolled reviewer, when they enrol again with a new secret
    reviewer, _, old_codes = _enrolled(session, totp_clock)
    secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
    assert reviewer.totp_enabled is False and reviewer.totp_last_step_sealed is None
    later = NOW + 2 * STEP_SECONDS
    totp_clock.now = later
    new_codes = finish_enrolment(
        session, reviewer=reviewer, code=current_code(secret, now=later), server_secret=SERVER_SECRET
    )
    session.commit()
    # then only the new ten backup codes work
    assert new_codes is not None and remaining_backup_codes(session, reviewer=reviewer) == 10
    assert use_backup_code(session, reviewer=reviewer, code=old_codes[0]) is False
    assert use_backup_code(session, reviewer=reviewer, code=new_codes[0]) is True
