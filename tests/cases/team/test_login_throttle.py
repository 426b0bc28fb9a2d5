"""cases.team.login_throttle: failed logins lock the account, even against parallel guesses."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cases.models import Reviewer
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.team.accounts import activate, authenticate
from cases.team.errors import AccountLocked, LoginFailed
from cases.team.login_throttle import (
    FREE_FAILURES,
    MAX_LOCK,
    clear_failures,
    lock_after,
    locked_until,
    reserve_attempt,
    set_locked_until,
)
from tests.conftest import CHEAP_KDF
from tests.domain import account

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
WRONG = "teh poci di alun-alun tegal sore hari"
THREADS = 8


def _active(session: Session, username: str = "rina") -> Reviewer:
    reviewer, _ = account(session, username=username, display_name=username.title())
    activate(session, reviewer=reviewer, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    session.commit()
    return reviewer


def _login(session: Session, passphrase: str, username: str = "rina") -> None:
    """One login attempt, committed whatever the outcome (as the views do)."""
    try:
        authenticate(session, username=username, passphrase=passphrase, kdf=CHEAP_KDF)
    finally:
        session.commit()


@pytest.mark.parametrize(
    ("failures", "lock"),
    [
        (0, timedelta(0)),
        (1, timedelta(0)),
        (3, timedelta(0)),
        (4, timedelta(seconds=30)),
        (5, timedelta(minutes=1)),
        (6, timedelta(minutes=2)),
        (7, timedelta(minutes=4)),
        (10, timedelta(minutes=32)),
        (11, timedelta(hours=1)),
        (12, timedelta(hours=1)),
        (200, timedelta(hours=1)),
    ],
)
def test_lock_after_grows_from_thirty_seconds_to_an_hour(failures: int, lock: timedelta) -> None:
    # given a number of failures, then the lock is none for the free ones, then doubles from 30 s up to 1 h
    assert lock_after(failures) == lock


def test_reserve_attempt_counts_and_locks_after_the_fourth(session: Session) -> None:
    # given a reviewer with no failures
    reviewer, _ = account(session, username="rina", display_name="Rina")
    session.commit()
    # when three attempts are reserved, then each is counted and the account is not locked
    for expected in (1, 2, 3):
        reserve_attempt(session, reviewer=reviewer)
        session.commit()
        assert (reviewer.failed_logins, locked_until(session, reviewer)) == (expected, None)
    # when a fourth is reserved, then it is counted and the account is locked for about 30 seconds
    before = utc_now()
    reserve_attempt(session, reviewer=reviewer)
    session.commit()
    assert reviewer.failed_logins == 4 and locked_until(session, reviewer) is not None
    assert (
        before + timedelta(seconds=29)
        <= (locked_until(session, reviewer) or before)
        <= utc_now() + timedelta(seconds=30)
    )


def test_reserve_attempt_while_locked_raises_with_the_unlock_time(session: Session) -> None:
    # given a locked reviewer
    reviewer, _ = account(session, username="rina", display_name="Rina")
    for _ in range(4):
        reserve_attempt(session, reviewer=reviewer)
    session.commit()
    until = locked_until(session, reviewer)
    # when another attempt is reserved, then AccountLocked says until when, and nothing is counted
    with pytest.raises(AccountLocked) as locked:
        reserve_attempt(session, reviewer=reviewer)
    session.commit()
    session.expire_all()
    assert until is not None and locked.value.until == until
    assert reviewer.failed_logins == 4 and locked_until(session, reviewer) == until


def test_attempts_are_allowed_again_once_the_lock_has_passed(session: Session) -> None:
    # given a reviewer whose lock ran out a second ago
    reviewer, _ = account(session, username="rina", display_name="Rina")
    for _ in range(4):
        reserve_attempt(session, reviewer=reviewer)
    set_locked_until(session, reviewer, utc_now() - timedelta(seconds=1))
    session.commit()
    # when an attempt is reserved, then it is counted and the next lock is twice as long
    before = utc_now()
    reserve_attempt(session, reviewer=reviewer)
    session.commit()
    assert reviewer.failed_logins == 5 and locked_until(session, reviewer) is not None
    assert (locked_until(session, reviewer) or before) >= before + timedelta(seconds=59)


def test_a_long_running_guesser_is_locked_for_an_hour_not_crashed(session: Session) -> None:
    # given a reviewer an attacker has kept guessing for two days (45 failures, last lock just over)
    reviewer, _ = account(session, username="rina", display_name="Rina")
    reviewer.failed_logins = 45
    set_locked_until(session, reviewer, utc_now() - timedelta(seconds=1))
    session.commit()
    # when one more attempt is reserved, then it is counted and locks for the one-hour cap
    before = utc_now()
    reserve_attempt(session, reviewer=reviewer)
    session.commit()
    assert reviewer.failed_logins == 46 and locked_until(session, reviewer) is not None
    assert before + MAX_LOCK <= (locked_until(session, reviewer) or before) <= utc_now() + MAX_LOCK


def test_lockout_holds_even_for_the_right_passphrase(session: Session) -> None:
    # given an active reviewer who typed a wrong passphrase four times
    _active(session)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            _login(session, WRONG)
    # when the right passphrase is typed while locked, then the account is still locked
    with pytest.raises(AccountLocked):
        _login(session, PASSPHRASE)
    # and once the lock passes, the right passphrase logs in and clears the count
    reviewer = session.query(Reviewer).filter_by(username="rina").one()
    set_locked_until(session, reviewer, utc_now() - timedelta(seconds=1))
    session.commit()
    _login(session, PASSPHRASE)
    session.expire_all()
    assert (reviewer.failed_logins, locked_until(session, reviewer)) == (0, None)


def test_successful_login_clears_earlier_failures(session: Session) -> None:
    # given a reviewer with two failed logins
    reviewer = _active(session)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            _login(session, WRONG)
    assert reviewer.failed_logins == 2
    # when the right passphrase is typed, then the count is cleared
    _login(session, PASSPHRASE)
    session.expire_all()
    assert reviewer.failed_logins == 0 and locked_until(session, reviewer) is None


def test_passphrase_alone_does_not_clear_failures_when_a_code_follows(session: Session) -> None:
    # given a reviewer with TOTP on and one failed login
    reviewer = _active(session)
    reviewer.totp_enabled = True
    session.commit()
    with pytest.raises(LoginFailed):
        _login(session, WRONG)
    # when the right passphrase is typed, then the attempt still counts until the code is checked
    _login(session, PASSPHRASE)
    session.expire_all()
    assert reviewer.failed_logins == 2


def test_unknown_user_counts_nothing_and_raises_login_failed(session: Session) -> None:
    # given a reviewer, when someone tries a name that does not exist, then LoginFailed and no count
    reviewer = _active(session)
    with pytest.raises(LoginFailed):
        _login(session, PASSPHRASE, username="nobody")
    assert reviewer.failed_logins == 0


def test_clear_failures_unlocks(session: Session) -> None:
    # given a locked reviewer, when failures are cleared, then the next attempt is accepted
    reviewer, _ = account(session, username="rina", display_name="Rina")
    for _ in range(4):
        reserve_attempt(session, reviewer=reviewer)
    clear_failures(reviewer)
    session.commit()
    reserve_attempt(session, reviewer=reviewer)
    assert reviewer.failed_logins == 1 and locked_until(session, reviewer) is None


@pytest.mark.committed  # threads, each with its own connection
def test_parallel_attempts_cannot_get_past_the_lock(engine: Engine, config: Config) -> None:
    # given a committed reviewer and eight requests arriving at once, each in its own session
    factory = make_session_factory(engine, config.trust())
    with factory() as setup:
        reviewer, _ = account(setup, username="rina", display_name="Rina")
        setup.commit()
        reviewer_id = reviewer.id
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def attempt() -> None:
        try:
            with factory() as session:
                row = session.get(Reviewer, reviewer_id)
                assert row is not None
                start.wait(timeout=30)
                try:
                    reserve_attempt(session, reviewer=row)
                    session.commit()
                    outcome = "counted"
                except AccountLocked:
                    session.rollback()
                    outcome = "locked"
            with guard:
                outcomes.append(outcome)
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            with guard:
                errors.append(error)

    # when each request reserves an attempt and commits
    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
    # then every request was either counted or refused, and only four got past before the lock
    with factory() as check:
        final = check.get(Reviewer, reviewer_id)
        assert final is not None
        assert final.failed_logins + outcomes.count("locked") == THREADS
        assert final.failed_logins == FREE_FAILURES + 1 == outcomes.count("counted")
        assert outcomes.count("locked") == THREADS - FREE_FAILURES - 1
        until = locked_until(check, final)
        assert until is not None and until > utc_now()


def test_the_end_of_a_lock_is_sealed_and_bound_to_its_account(session: Session) -> None:
    # given a locked reviewer and a colleague
    rina, _ = account(session, username="rina", display_name="Rina")
    joko, _ = account(session, username="joko", display_name="Joko")
    for _ in range(4):
        reserve_attempt(session, reviewer=rina)
    session.commit()
    # then the row keeps no plaintext time of the lock (it would date the failed attempt to the second)
    assert "locked_until" not in Reviewer.__table__.c and rina.locked_until_sealed is not None
    assert locked_until(session, rina) is not None
    # and a lock copied onto another account does not open there
    joko.locked_until_sealed = rina.locked_until_sealed
    assert locked_until(session, joko) is None
