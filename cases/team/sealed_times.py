"""Exact team times, sealed under a key kept outside the database (DESIGN.md §3, the time rule).

A copy of the database must not date a reporter's action finer than its hour, and an exact
plaintext time of anything the team did could: through the order of rows, the audit chain
and the links between them. So every plaintext time in the database is an hour; where a
function needs the exact time of a team action (the admins' audit view, a session's idle
expiry, a 30-second login lock, the TOTP step of the last code), it is sealed here with
`crypto.moments` under a key derived from the audit key (cases.team.trust), bound to the
row it belongs to. Whoever runs the apps reads it; a copy of the database alone does not.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cases.team.trust import trust_of
from crypto.moments import moment_key, open_moments, seal_moments

PURPOSES = ("audit", "reviewer-session", "login-lock")


def _key(session: Session, purpose: str) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    trust = trust_of(session)
    cache = trust.cache.setdefault("moment_keys", {})
    key = cache.get(purpose)
    if key is None:
        key = cache[purpose] = moment_key(trust.audit_key, purpose=purpose)
    assert isinstance(key, bytes)
    return key


def seal(session: Session, purpose: str, moments: Sequence[datetime | None], *, context: bytes) -> bytes:
    return seal_moments(_key(session, purpose), moments, context=context)


def unseal(session: Session, purpose: str, sealed: bytes, *, context: bytes) -> tuple[datetime | None, ...]:
    """The sealed moments; `crypto.errors.CryptoError` when the value was changed or moved."""
    return open_moments(_key(session, purpose), sealed, context=context)
