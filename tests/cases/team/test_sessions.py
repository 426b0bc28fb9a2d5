"""cases.team.sessions: the session row and the cookie token are each useless alone."""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import DateTime, func, select
from sqlalchemy.orm import Session

from cases.models import Reviewer, ReviewerSession
from cases.team import sessions as custody
from cases.team.sessions import (
    end_all_sessions,
    end_session,
    find_session,
    open_session,
    purge_expired,
    session_keypair,
    session_times,
)
from crypto.errors import CryptoError
from crypto.keys import KeyPair
from tests.domain import account, activated, age_session

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


def _active(session: Session, username: str = "rina") -> tuple[Reviewer, KeyPair]:
    holder = activated(session, username)
    return holder.reviewer, holder.keypair


def _find(session: Session, token: str) -> ReviewerSession | None:
    return find_session(session, token=token, idle=IDLE, absolute=ABSOLUTE)


def _rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReviewerSession)) or 0


def test_session_round_trip_returns_the_same_private_key(session: Session) -> None:
    # given an active reviewer with an open session, committed and reloaded
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    session.commit()
    session.expire_all()
    # when the session is found by its token
    row = _find(session, token)
    # then it belongs to the reviewer and unwraps to the same key pair
    assert row is not None and row.reviewer_id == reviewer.id and row.purpose == "full"
    assert session_keypair(row, token=token) == keypair


def test_session_without_key_pair_yields_none(session: Session) -> None:
    # given a pending reviewer's activation-only session, then it holds no key
    reviewer, _ = account(session, username="joko", display_name="Joko")
    token = open_session(session, reviewer=reviewer, keypair=None, purpose="activation")
    row = _find(session, token)
    assert row is not None and row.wrapped_private_key is None
    assert session_keypair(row, token=token) is None


def test_unknown_empty_or_overlong_token_finds_nothing(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a session whose token is longer than any real token can be
    reviewer, keypair = _active(session)
    overlong = "t" * (custody.MAX_TOKEN_CHARS + 1)
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: overlong)
    assert open_session(session, reviewer=reviewer, keypair=keypair) == overlong
    monkeypatch.undo()
    # when it, an empty token or an unknown token is looked up, then nothing is found
    assert _find(session, overlong) is None
    assert _find(session, "") is None
    assert _find(session, secrets.token_urlsafe(32)) is None


def test_token_is_not_stored_in_the_row(session: Session) -> None:
    # given an open session
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    session.commit()
    row = session.scalars(select(ReviewerSession)).one()
    # then the row is keyed by a 32-byte hash, and neither the token nor the private key appears in it
    assert len(row.id) == 32 and row.id != token.encode()
    assert row.wrapped_private_key is not None
    for stored in (row.id, row.wrapped_private_key):
        assert token.encode() not in stored and keypair.private not in stored


def test_row_alone_cannot_be_unwrapped_with_another_token(session: Session) -> None:
    # given an open session row
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    row = _find(session, token)
    assert row is not None
    # when an attacker with the database tries another random token, then unwrapping fails
    with pytest.raises(CryptoError):
        session_keypair(row, token=secrets.token_urlsafe(32))


def test_two_sessions_have_different_tokens(session: Session) -> None:
    # given one reviewer logging in twice, then the tokens differ and each opens its own row
    reviewer, keypair = _active(session)
    first = open_session(session, reviewer=reviewer, keypair=keypair)
    second = open_session(session, reviewer=reviewer, keypair=keypair)
    assert first != second
    row_first, row_second = _find(session, first), _find(session, second)
    assert row_first is not None and row_second is not None and row_first.id != row_second.id


@pytest.mark.parametrize(
    "field, back, alive",
    [
        ("last_seen", timedelta(minutes=29), True),
        ("last_seen", timedelta(minutes=31), False),
        ("created", timedelta(hours=11, minutes=59), True),  # recently used, but opened long ago
        ("created", timedelta(hours=13), False),
    ],
)
def test_idle_and_absolute_expiry(session: Session, field: str, back: timedelta, alive: bool) -> None:
    # given a session whose last use or creation is moved into the past
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    row = _find(session, token)
    assert row is not None
    age_session(row, **{field: back})
    session.commit()
    # when it is looked up, then it is found only within both limits, and an expired row is deleted
    assert (_find(session, token) is not None) is alive
    session.commit()
    assert _rows(session) == (1 if alive else 0)


def test_find_session_refreshes_last_seen(session: Session) -> None:
    # given a session idle for 20 minutes
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    row = _find(session, token)
    assert row is not None
    age_session(row, last_seen=timedelta(minutes=20))
    stale = session_times(row)
    # when it is used, then its idle clock restarts
    found = _find(session, token)
    fresh = session_times(found) if found is not None else None
    assert stale is not None and fresh is not None and fresh.last_seen - stale.last_seen >= timedelta(minutes=20)


def test_the_row_keeps_no_plaintext_time_and_its_times_do_not_move(session: Session) -> None:
    # given two open sessions
    reviewer, keypair = _active(session)
    first, second = (open_session(session, reviewer=reviewer, keypair=keypair) for _ in range(2))
    session.commit()
    row, other = _find(session, first), _find(session, second)
    assert row is not None and other is not None
    # then the table has no time column (the times are sealed, and would date the login)
    assert not any(isinstance(c.type, DateTime) for c in ReviewerSession.__table__.columns)
    # and times copied from another row do not open: the session counts as expired and ends
    row.times = other.times
    session.commit()
    assert _find(session, first) is None and _find(session, second) is not None


def test_full_session_of_a_no_longer_active_reviewer_is_dropped(session: Session) -> None:
    # given an open session, when the account is disabled, then the session is gone
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    reviewer.state = "disabled"
    session.flush()
    assert _find(session, token) is None
    assert _rows(session) == 0


def test_end_session_makes_the_token_useless(session: Session) -> None:
    # given two open sessions
    reviewer, keypair = _active(session)
    token = open_session(session, reviewer=reviewer, keypair=keypair)
    other = open_session(session, reviewer=reviewer, keypair=keypair)
    session.commit()
    # when one is ended (logout)
    end_session(session, token=token)
    session.commit()
    session.expire_all()
    # then its token finds nothing, and the other session remains
    assert _find(session, token) is None
    assert _find(session, other) is not None and _rows(session) == 1


def test_end_all_sessions_ends_only_that_reviewers_sessions(session: Session) -> None:
    # given two sessions for rina and one for joko
    rina, rina_keys = _active(session, "rina")
    joko, joko_keys = _active(session, "joko")
    rina_tokens = [open_session(session, reviewer=rina, keypair=rina_keys) for _ in range(2)]
    joko_token = open_session(session, reviewer=joko, keypair=joko_keys)
    session.commit()
    # when all of rina's sessions are ended
    end_all_sessions(session, reviewer_id=rina.id)
    session.commit()
    session.expire_all()
    # then none of hers work and joko's still does
    assert all(_find(session, t) is None for t in rina_tokens)
    joko_row = _find(session, joko_token)
    assert joko_row is not None and session_keypair(joko_row, token=joko_token) == joko_keys


def test_purge_expired_removes_only_expired_rows(session: Session) -> None:
    # given one idle-expired, one absolutely expired and one fresh session
    reviewer, keypair = _active(session)
    tokens = [open_session(session, reviewer=reviewer, keypair=keypair) for _ in range(3)]
    idle_row, old_row = _find(session, tokens[0]), _find(session, tokens[1])
    assert idle_row is not None and old_row is not None
    age_session(idle_row, last_seen=timedelta(minutes=31))
    age_session(old_row, created=timedelta(hours=13))
    session.commit()
    # when expired sessions are purged, then two are removed and the fresh one survives
    assert purge_expired(session, idle=IDLE, absolute=ABSOLUTE) == 2
    session.commit()
    assert _rows(session) == 1 and _find(session, tokens[2]) is not None
