"""cases.team.login: one state machine for login, enrolment, step-up and the CLI; cases.team.actor: keys
are unwrapped only inside `cases`."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.errors import CaseNotFound
from cases.models import BackupCode, ReviewerSession
from cases.team import login as steps
from cases.team.actor import Actor
from cases.team.errors import AccountLocked, CodeRejected, LoginFailed, NotActivated, NotAKeyHolder
from cases.team.second_factor import finish_enrolment, start_enrolment
from cases.team.sessions import find_session
from tests import actions
from tests.domain import CHEAP_KDF, PASSPHRASE, SERVER_SECRET, account, activated, events, founder

IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


def _actor(session: Session, token: str) -> Actor:
    row = find_session(session, token=token, idle=IDLE, absolute=ABSOLUTE)
    assert row is not None
    return Actor.of_session(row, token=token)


def _enrolled(session: Session, username: str) -> list[str]:
    """Enrol `username` (activated) in TOTP as their phone would; returns the backup codes."""
    holder = founder(session, username)
    secret = start_enrolment(reviewer=holder.reviewer, server_secret=SERVER_SECRET)
    actions.CLOCK.secrets[username] = secret
    codes = finish_enrolment(
        session, reviewer=holder.reviewer, code=actions.CLOCK.next_code(username), server_secret=SERVER_SECRET
    )
    assert codes is not None
    return codes


def _start(session: Session, username: str, passphrase: str = PASSPHRASE) -> steps.Step:
    return steps.start(session, username=username, passphrase=passphrase, kdf=CHEAP_KDF, server_secret=SERVER_SECRET)


def _rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReviewerSession)) or 0


def test_every_step_issues_a_new_token_and_the_old_one_stops_working(session: Session) -> None:
    # given an enrolled reviewer
    _enrolled(session, "rina")
    # when she passes the passphrase, then a second-factor session
    first = _start(session, "rina")
    assert first.purpose == "second_factor"
    # when she enters a code, then a full session with a new token replaces it
    full = steps.second_factor(
        session, actor=_actor(session, first.token), code=actions.CLOCK.next_code("rina"), server_secret=SERVER_SECRET
    )
    assert full.purpose == "full" and full.token != first.token
    assert find_session(session, token=first.token, idle=IDLE, absolute=ABSOLUTE) is None
    assert _rows(session) == 1
    # and the full session is stepped up and holds her keys, inside the actor only
    actor = _actor(session, full.token)
    assert actor.stepped_up and actor.holds_keys and len(actor.private_key()) > 0
    assert "private" not in repr(actor) and full.token not in repr(actor)
    assert [e.action for e in events(session, "login")] == ["login"]


def test_a_used_code_is_refused_at_login_and_at_step_up(session: Session) -> None:
    # given rina signed in with a code
    _enrolled(session, "rina")
    first = _start(session, "rina")
    code = actions.CLOCK.next_code("rina")
    full = steps.second_factor(session, actor=_actor(session, first.token), code=code, server_secret=SERVER_SECRET)
    # when the same code is replayed at step-up, then it is refused and the failure audited
    with pytest.raises(LoginFailed):
        steps.step_up(session, actor=_actor(session, full.token), code=code, server_secret=SERVER_SECRET)
    assert [e.detail for e in events(session, "login.fail")] == ["second factor"]
    # and a fresh code passes
    steps.step_up(
        session, actor=_actor(session, full.token), code=actions.CLOCK.next_code("rina"), server_secret=SERVER_SECRET
    )


def test_a_backup_code_opens_a_login_but_never_a_step_up(session: Session) -> None:
    codes = _enrolled(session, "rina")
    # when a backup code is offered at step-up, it is refused (and stays unused)
    full = steps.second_factor(
        session,
        actor=_actor(session, _start(session, "rina").token),
        code=actions.CLOCK.next_code("rina"),
        server_secret=SERVER_SECRET,
    )
    with pytest.raises(LoginFailed):
        steps.step_up(session, actor=_actor(session, full.token), code=codes[0], server_secret=SERVER_SECRET)
    # and at login it is accepted once
    second = steps.second_factor(
        session, actor=_actor(session, _start(session, "rina").token), code=codes[0], server_secret=SERVER_SECRET
    )
    assert second.purpose == "full"
    used = session.scalar(select(func.count()).select_from(BackupCode).where(BackupCode.used_at.is_not(None)))
    assert used == 1
    with pytest.raises(LoginFailed):
        steps.second_factor(
            session, actor=_actor(session, _start(session, "rina").token), code=codes[0], server_secret=SERVER_SECRET
        )


def test_step_up_guesses_lock_the_account_like_login_guesses(session: Session) -> None:
    # given a full session: a stolen, open laptop
    _enrolled(session, "rina")
    full = steps.second_factor(
        session,
        actor=_actor(session, _start(session, "rina").token),
        code=actions.CLOCK.next_code("rina"),
        server_secret=SERVER_SECRET,
    )
    actor = _actor(session, full.token)
    # when someone guesses step-up codes, then the same throttle locks the account
    outcomes = []
    for _ in range(12):
        try:
            steps.step_up(session, actor=actor, code="000000", server_secret=SERVER_SECRET)
        except (LoginFailed, AccountLocked) as error:
            outcomes.append(type(error).__name__)
    assert "AccountLocked" in outcomes
    # and while locked, even the right code waits
    with pytest.raises(AccountLocked):
        steps.step_up(session, actor=actor, code=actions.CLOCK.next_code("rina"), server_secret=SERVER_SECRET)


def _unlock(session: Session, username: str, passphrase: str, code: str) -> Actor:
    login = steps.KeyHolderLogin(
        username=username, passphrase=passphrase, ask_code=lambda: code, kdf=CHEAP_KDF, server_secret=SERVER_SECRET
    )
    return steps.unlock(session, login)


def test_the_cli_unlock_asks_the_code_the_same_way(session: Session) -> None:
    _enrolled(session, "rina")
    # a wrong code is refused (and audited as a failed second factor), a fresh one unlocks the keys
    with pytest.raises(CodeRejected):
        _unlock(session, "rina", PASSPHRASE, "000000")
    assert [e.detail for e in events(session, "login.fail")] == ["second factor"]
    actor = _unlock(session, "rina", PASSPHRASE, actions.CLOCK.next_code("rina"))
    assert actor.signing_key() is not None and actor.holds_keys
    # and an account not activated yet has no keys to act with
    _, activation = account(session, "joko")
    with pytest.raises(NotActivated):
        _unlock(session, "joko", activation, "")


def test_an_activation_session_opens_no_case_and_signs_nothing(session: Session) -> None:
    # given a pending account's first step
    _, activation = account(session, "joko")
    step = _start(session, "joko", activation)
    actor = _actor(session, step.token)
    # then it holds no key: case operations see "no such case", roster operations "not a key holder"
    assert step.purpose == "activation" and not actor.holds_keys
    with pytest.raises(CaseNotFound):
        actor.private_key()
    with pytest.raises(NotAKeyHolder):
        actor.signing_key()


def test_entering_the_enrolment_step_prepares_the_secret_so_the_page_only_reads(session: Session) -> None:
    # given an activated reviewer who never enrolled
    holder = activated(session, "sari")
    assert holder.reviewer.totp_secret is None
    # when she signs in, the enrolment step is entered with a secret waiting (a POST made it)
    step = _start(session, "sari")
    assert step.purpose == "enrol" and holder.reviewer.totp_secret is not None
    sealed = holder.reviewer.totp_secret
    # then the enrolment page shows it without writing anything, the same on every view
    actor = _actor(session, step.token)
    first, second = (steps.enrolment_page(actor=actor, server_secret=SERVER_SECRET) for _ in range(2))
    assert first is not None and first == second and holder.reviewer.totp_secret == sealed
    assert not session.dirty or holder.reviewer not in session.dirty
