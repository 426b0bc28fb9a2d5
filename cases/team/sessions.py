"""Server-side reviewer sessions that hold the private key without exposing it.

The cookie carries a random 256-bit token. The row is found by a hash of the
token, and the private key in it is wrapped under a key derived from the
token: a stolen database alone, or a stolen cookie alone, yields no private
key. Expiry: 30 minutes idle, 12 hours absolute (configurable); an expired
row is deleted when it is next seen, and `purge_expired` removes the rest.

The session's times (opened, last seen, last code entered) are exact, and a
login is an audit event: in plaintext they would pin that event to the second,
and through the audit chain date what lies around it (DESIGN.md §3, the time
rule). So they are kept only sealed (`times`, cases.team.sealed_times, bound to
the row); a row whose times do not open counts as expired.
"""

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from cases.models import Reviewer, ReviewerSession
from cases.platform.clock import utc_now
from cases.team import sealed_times
from cases.team.trusted_devices import forget_devices
from crypto.derive import derive_key, unwrap, wrap
from crypto.errors import CryptoError
from crypto.keys import KeyPair, keypair_from_private
from crypto.signing import SigningKey as SigningKey  # re-exported for the apps, which never import crypto
from crypto.signing import signing_key_from_private

_WRAP_LABEL = "reviewer-session"
_SIGNING_WRAP_LABEL = "reviewer-session-signing"
MAX_TOKEN_CHARS = 64


def _row_id(token: str) -> bytes:
    return hashlib.sha256(b"kanal-integritas/v1/session-id\x00" + token.encode()).digest()


def _wrap_key(token: str) -> bytes:
    return derive_key(token.encode(), label="session-wrap")


# What a session may reach: activation (set a passphrase), enrol (set up TOTP),
# second_factor (enter a code), full (everything the account's role allows).
PURPOSES = ("activation", "enrol", "second_factor", "full")
STEP_UP = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionTimes:
    created: datetime
    last_seen: datetime
    stepped_up: datetime | None = None


def _session_of(row: ReviewerSession) -> Session:
    session = object_session(row)
    if session is None:
        raise ValueError("a session row outside a database session")
    return session


def session_times(row: ReviewerSession) -> SessionTimes | None:
    """The row's exact times, or None when they do not open (changed, or moved from another row)."""
    try:
        created, last_seen, stepped_up = sealed_times.unseal(
            _session_of(row), "reviewer-session", row.times, context=row.id
        )
    except (CryptoError, ValueError):
        return None
    if created is None or last_seen is None:
        return None
    return SessionTimes(created, last_seen, stepped_up)


def set_session_times(row: ReviewerSession, times: SessionTimes, *, session: Session | None = None) -> None:
    row.times = sealed_times.seal(
        session or _session_of(row),
        "reviewer-session",
        [times.created, times.last_seen, times.stepped_up],
        context=row.id,
    )


def open_session(
    session: Session,
    *,
    reviewer: Reviewer,
    keypair: KeyPair | None,
    purpose: str = "full",
    stepped_up: bool = False,
    signing: SigningKey | None = None,
) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    token = secrets.token_urlsafe(32)
    now = utc_now()
    wrapped = None
    if keypair is not None:
        wrapped = wrap(_wrap_key(token), keypair.private, label=_WRAP_LABEL, context=reviewer.id.encode())
    wrapped_signing = None
    if signing is not None:
        wrapped_signing = wrap(
            _wrap_key(token), signing.private, label=_SIGNING_WRAP_LABEL, context=reviewer.id.encode()
        )
    row = ReviewerSession(
        id=_row_id(token),
        reviewer_id=reviewer.id,
        purpose=purpose,
        wrapped_private_key=wrapped,
        wrapped_signing_key=wrapped_signing,
    )
    set_session_times(row, SessionTimes(now, now, now if stepped_up else None), session=session)
    session.add(row)
    session.flush()
    return token


def mark_stepped_up(row: ReviewerSession) -> None:
    times = session_times(row)
    if times is not None:
        set_session_times(row, replace(times, stepped_up=utc_now()))


def recently_stepped_up(row: ReviewerSession) -> bool:
    times = session_times(row)
    return times is not None and times.stepped_up is not None and utc_now() - times.stepped_up <= STEP_UP


def _expired(times: SessionTimes | None, now: datetime, idle: timedelta, absolute: timedelta) -> bool:
    return times is None or now - times.last_seen > idle or now - times.created > absolute


def find_session(session: Session, *, token: str, idle: timedelta, absolute: timedelta) -> ReviewerSession | None:
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = session.get(ReviewerSession, _row_id(token))
    if row is None:
        return None
    now = utc_now()
    times = session_times(row)
    if _expired(times, now, idle, absolute) or (row.reviewer.state != "active" and row.purpose != "activation"):
        session.delete(row)
        session.flush()
        return None
    assert times is not None  # not expired
    set_session_times(row, replace(times, last_seen=now))
    return row


def session_keypair(row: ReviewerSession, *, token: str) -> KeyPair | None:
    if row.wrapped_private_key is None:
        return None
    private = unwrap(_wrap_key(token), row.wrapped_private_key, label=_WRAP_LABEL, context=row.reviewer_id.encode())
    return keypair_from_private(private)


def session_signing_key(row: ReviewerSession, *, token: str) -> SigningKey | None:
    if row.wrapped_signing_key is None:
        return None
    private = unwrap(
        _wrap_key(token), row.wrapped_signing_key, label=_SIGNING_WRAP_LABEL, context=row.reviewer_id.encode()
    )
    return signing_key_from_private(private)


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(ReviewerSession).where(ReviewerSession.id == _row_id(token)))


def end_all_sessions(session: Session, *, reviewer_id: str) -> None:
    """Every session of the account ends, and its trusted devices with them (a new passphrase, a
    disabled account: a browser trusted before must log in fully again)."""
    session.execute(delete(ReviewerSession).where(ReviewerSession.reviewer_id == reviewer_id))
    forget_devices(session, reviewer_id=reviewer_id)


def purge_expired(session: Session, *, idle: timedelta, absolute: timedelta) -> int:
    """Delete every expired session (or one whose times do not open). The times are sealed, so each
    row is opened: the table holds a few rows per reviewer at most."""
    now = utc_now()
    expired = [
        row for row in session.scalars(select(ReviewerSession)) if _expired(session_times(row), now, idle, absolute)
    ]
    for row in expired:
        session.delete(row)
    return len(expired)
