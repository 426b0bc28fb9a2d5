"""Append-only, keyed, hash-chained audit log of team actions.

Each event's hash is an HMAC-SHA256, under the audit key kept outside the
database (cases.team.trust), over the previous event's hash and its own fields: a
deleted, reordered or edited row breaks the chain, and a database writer
without the key cannot recompute it. What the chain cannot show on its own
(rows cut from its end) the anchors show (cases.accountability.anchors).

Time (DESIGN.md §3, the time rule). An event's plaintext `at` is its hour; the
exact time is in `sealed_at`, sealed (crypto.moments) under a key derived from the
audit key and bound to the event's `prev_hash`. The HMAC covers both, and
`walk` opens the sealed time and checks it falls in the plaintext hour. Admins
read the exact time in the audit view (`recent_events`); a copy of the database
dates no team action, and so no reporter's action between two of them, finer
than the hour.

Versions. Installations from before the key (schema 0003 and older) have unkeyed
events: `version` 1, plain SHA-256. They stay verifiable as they are, and the
first keyed event takes the last unkeyed hash as its `prev_hash`, so the old
prefix is covered by every keyed HMAC after it. Version 2 events (schema 0004
to 0008) are keyed but keep their exact time in plaintext `at`: the chain covers
that time, so they keep it; only events recorded since schema 0009 (version 3)
have a sealed time. No event may follow one of a newer version: an attacker who
relabels keyed events as version 1 and recomputes them breaks that rule or the
anchored hash.

Details never contain case content.
"""

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import AuditEvent
from cases.platform.clock import to_hour, utc_now
from cases.team import sealed_times
from cases.team.trust import trust_of
from crypto.derive import encode_fields
from crypto.errors import CryptoError

GENESIS = bytes(32)
UNKEYED = 1
KEYED = 2
SEALED = 3
VERSIONS = (UNKEYED, KEYED, SEALED)
_UNKEYED_LABEL = b"kanal-integritas/v1/audit"
_KEYED_LABEL = b"kanal-integritas/v2/audit"
_SEALED_LABEL = b"kanal-integritas/v3/audit"


def _fields(prev: bytes, at: datetime, actor_id: str | None, action: str, case_id: str | None, detail: str) -> bytes:
    return encode_fields(
        prev,
        at.isoformat().encode(),
        (actor_id or "").encode(),
        action.encode(),
        (case_id or "").encode(),
        detail.encode(),
    )


def _event_hash(
    prev: bytes, at: datetime, actor_id: str | None, action: str, case_id: str | None, detail: str
) -> bytes:
    """The unkeyed (version 1) hash of events recorded before the audit key existed."""
    return hashlib.sha256(_UNKEYED_LABEL + _fields(prev, at, actor_id, action, case_id, detail)).digest()


def keyed_hash(
    key: bytes, prev: bytes, at: datetime, actor_id: str | None, action: str, case_id: str | None, detail: str
) -> bytes:
    """The keyed (version 2) hash: HMAC-SHA256 under the audit key."""
    return hmac.new(key, _KEYED_LABEL + _fields(prev, at, actor_id, action, case_id, detail), hashlib.sha256).digest()


def sealed_hash(
    key: bytes,
    prev: bytes,
    at: datetime,
    actor_id: str | None,
    action: str,
    case_id: str | None,
    detail: str,
    sealed_at: bytes,
) -> bytes:
    """The version 3 hash: HMAC-SHA256 under the audit key, over the plaintext hour and the sealed exact time."""
    fields = _fields(prev, at, actor_id, action, case_id, detail) + encode_fields(sealed_at)
    return hmac.new(key, _SEALED_LABEL + fields, hashlib.sha256).digest()


def seal_time(session: Session, exact: datetime, *, prev: bytes) -> bytes:
    return sealed_times.seal(session, "audit", [exact], context=prev)


def record(
    session: Session, *, action: str, actor_id: str | None = None, case_id: str | None = None, detail: str = ""
) -> AuditEvent:
    key = trust_of(session).audit_key
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1).with_for_update()).first()
    prev = last.hash if last else GENESIS
    exact = utc_now()
    at = to_hour(exact)
    sealed_at = seal_time(session, exact, prev=prev)
    event = AuditEvent(
        at=at,
        sealed_at=sealed_at,
        actor_id=actor_id,
        action=action,
        case_id=case_id,
        detail=detail,
        prev_hash=prev,
        hash=sealed_hash(key, prev, at, actor_id, action, case_id, detail, sealed_at),
        version=SEALED,
    )
    session.add(event)
    session.flush()
    return event


def authentic(session: Session, event: AuditEvent) -> bool:
    """This event's keyed hash holds (a row a database writer inserted or edited does not: the key is
    outside the database). Unkeyed events of before the audit key are never "authentic" here; their
    place in the chain, like every event's, is `walk`'s business."""
    key = trust_of(session).audit_key
    fields = (event.prev_hash, event.at, event.actor_id, event.action, event.case_id, event.detail)
    if event.version == SEALED:
        expected = sealed_hash(key, *fields, event.sealed_at or b"")
    elif event.version == KEYED:
        expected = keyed_hash(key, *fields)
    else:
        return False
    return hmac.compare_digest(expected, event.hash)


def first_keyed_id(session: Session) -> int | None:
    """The id of the first keyed event: an unkeyed one after it was relabelled (`walk` says so too)."""
    # In id order from the start, stopping at the first keyed one: no scan of the whole log.
    return session.scalar(select(AuditEvent.id).where(AuditEvent.version >= KEYED).order_by(AuditEvent.id).limit(1))


def chain_head(session: Session) -> tuple[int, str]:
    """(number of events, hash of the last one in hex)."""
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return count, (last.hash if last else GENESIS).hex()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit event {self.event_id}: {self.reason}"


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.case_id,
    AuditEvent.detail,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.version,
    AuditEvent.sealed_at,
)
_BATCH = 2000


def _rows(session: Session, first_id: int, limit: int | None) -> Iterator[Any]:
    """Events from `first_id` on, a batch at a time by id (no server-side cursor left open
    when a caller stops early)."""
    remaining = limit
    while remaining is None or remaining > 0:
        size = _BATCH if remaining is None else min(_BATCH, remaining)
        batch = session.execute(
            select(*_COLUMNS).where(AuditEvent.id >= first_id).order_by(AuditEvent.id).limit(size)
        ).all()
        yield from batch
        if len(batch) < size:
            return
        first_id = batch[-1][0] + 1
        if remaining is not None:
            remaining -= len(batch)


def walk(
    session: Session, *, first_id: int = 0, limit: int | None = None
) -> Iterator[tuple[int, bytes, ChainBreak | None]]:
    """Check the events from id `first_id` on (at most `limit` of them), in id order, each against
    its predecessor.

    Every check is local (an event's own hash, and its link to the event stored just
    before it), so a range verifies on its own and a whole-chain walk is the range
    from 0. Yields (id, stored hash, the first problem with this event or None);
    after a problem the walk goes on from the stored hash, so one edit is reported
    once and not at every later event.
    """
    key = trust_of(session).audit_key
    before = session.execute(
        select(AuditEvent.hash, AuditEvent.version)
        .where(AuditEvent.id < first_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    prev, prev_version = (before[0], before[1]) if before else (GENESIS, UNKEYED)
    for row in _rows(session, first_id, limit):
        event_id, at, actor_id, action, case_id, detail, prev_hash, stored, version, sealed_at = row
        problem = None
        if version == SEALED:
            expected = sealed_hash(key, prev_hash, at, actor_id, action, case_id, detail, sealed_at or b"")
        elif version == KEYED:
            expected = keyed_hash(key, prev_hash, at, actor_id, action, case_id, detail)
        elif version == UNKEYED:
            expected = _event_hash(prev_hash, at, actor_id, action, case_id, detail)
        else:
            expected = None
        if expected is None:
            problem = ChainBreak(event_id, f"unknown version {version}")
        elif not hmac.compare_digest(prev_hash, prev):
            problem = ChainBreak(
                event_id, "does not link to the event before it (an event was deleted, inserted or moved)"
            )
        elif version < prev_version:
            problem = ChainBreak(
                event_id,
                "unkeyed event after a keyed one (relabelled and recomputed)"
                if version == UNKEYED
                else f"version {version} event after a version {prev_version} one (relabelled)",
            )
        elif not hmac.compare_digest(stored, expected):
            problem = ChainBreak(
                event_id, "hash does not match its contents (edited, or recomputed without the audit key)"
            )
        elif version == SEALED and _exact_time(session, at, sealed_at, prev_hash) is None:
            problem = ChainBreak(event_id, "its sealed time does not open, or lies outside its hour")
        yield event_id, stored, problem
        prev, prev_version = stored, max(prev_version, version if version in VERSIONS else prev_version)


def verify_chain(session: Session) -> int | None:
    """Id of the first event that breaks the chain, or None when it is intact."""
    for event_id, _, problem in walk(session):
        if problem is not None:
            return event_id
    return None


def _exact_time(session: Session, at: datetime, sealed_at: bytes | None, prev_hash: bytes) -> datetime | None:
    """The sealed exact time of a version 3 event, or None when it does not open or lies outside `at`'s hour."""
    if sealed_at is None:
        return None
    try:
        (exact,) = sealed_times.unseal(session, "audit", sealed_at, context=prev_hash)
    except (CryptoError, ValueError):
        return None
    return exact if exact is not None and to_hour(exact) == at else None


def exact_time(session: Session, event: AuditEvent) -> datetime:
    """When the event happened: the sealed exact time (version 3), or the plaintext one of older
    events; the hour alone when a sealed time does not open (the chain check names the event)."""
    if event.version != SEALED:
        return event.at
    return _exact_time(session, event.at, event.sealed_at, event.prev_hash) or event.at


@dataclass(frozen=True)
class AuditEntry:
    """One event as the admins' audit view shows it, with its exact time."""

    id: int
    at: datetime
    actor_id: str | None
    action: str
    case_id: str | None
    detail: str


AUDIT_PAGE = 100


def recent_events(
    session: Session, *, actor_id: str | None = None, case_id: str | None = None, page: int = 1
) -> list[AuditEntry]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    return [
        AuditEntry(e.id, exact_time(session, e), e.actor_id, e.action, e.case_id, e.detail)
        for e in session.scalars(query.offset((max(page, 1) - 1) * AUDIT_PAGE).limit(AUDIT_PAGE))
    ]
