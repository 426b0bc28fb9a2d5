"""Server-side reviewer sessions that hold the private key without exposing it.

The cookie carries a random 256-bit token. The row is found by a hash of the
token, and the private key in it is wrapped under a key derived from the
token: a stolen database alone, or a stolen cookie alone, yields no private
key. Expiry: 30 minutes idle, 12 hours absolute (configurable); an expired
row is deleted when it is next seen, and `purge_expired` removes the rest.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.models import Reviewer, ReviewerSession
from cases.platform.clock import utc_now
from crypto.derive import derive_key, unwrap, wrap
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
    session.add(
        ReviewerSession(
            id=_row_id(token),
            reviewer_id=reviewer.id,
            purpose=purpose,
            wrapped_private_key=wrapped,
            wrapped_signing_key=wrapped_signing,
            created_at=now,
            last_seen_at=now,
            stepped_up_at=now if stepped_up else None,
        )
    )
    session.flush()
    return token


def mark_stepped_up(row: ReviewerSession) -> None:
    row.stepped_up_at = utc_now()


def recently_stepped_up(row: ReviewerSession) -> bool:
    return row.stepped_up_at is not None and utc_now() - row.stepped_up_at <= STEP_UP


def _expired(row: ReviewerSession, now: datetime, idle: timedelta, absolute: timedelta) -> bool:
    return now - row.last_seen_at > idle or now - row.created_at > absolute


def find_session(session: Session, *, token: str, idle: timedelta, absolute: timedelta) -> ReviewerSession | None:
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = session.get(ReviewerSession, _row_id(token))
    if row is None:
        return None
    now = utc_now()
    if _expired(row, now, idle, absolute) or (row.reviewer.state != "active" and row.purpose != "activation"):
        session.delete(row)
        session.flush()
        return None
    row.last_seen_at = now
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
    session.execute(delete(ReviewerSession).where(ReviewerSession.reviewer_id == reviewer_id))


def purge_expired(session: Session, *, idle: timedelta, absolute: timedelta) -> int:
    now = utc_now()
    rows = session.scalars(
        select(ReviewerSession).where(
            (ReviewerSession.last_seen_at < now - idle) | (ReviewerSession.created_at < now - absolute)
        )
    ).all()
    for row in rows:
        session.delete(row)
    return len(rows)
