"""Append-only, hash-chained audit log of team actions.

Each event's hash covers the previous event's hash and its own fields, so a
deleted, reordered or edited row breaks the chain; `verify_chain` finds it.
Details never contain case content.
"""

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.derive import encode_fields

from .clock import utc_now
from .models import AuditEvent

GENESIS = bytes(32)


def _event_hash(
    prev: bytes, at: datetime, actor_id: str | None, action: str, case_id: str | None, detail: str
) -> bytes:
    fields = encode_fields(
        prev,
        at.isoformat().encode(),
        (actor_id or "").encode(),
        action.encode(),
        (case_id or "").encode(),
        detail.encode(),
    )
    return hashlib.sha256(b"kanal-integritas/v1/audit" + fields).digest()


def record(
    session: Session, *, action: str, actor_id: str | None = None, case_id: str | None = None, detail: str = ""
) -> AuditEvent:
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1).with_for_update()).first()
    prev = last.hash if last else GENESIS
    at = utc_now()
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        action=action,
        case_id=case_id,
        detail=detail,
        prev_hash=prev,
        hash=_event_hash(prev, at, actor_id, action, case_id, detail),
    )
    session.add(event)
    session.flush()
    return event


def chain_head(session: Session) -> tuple[int, str]:
    """(number of events, hash of the last one in hex) — for anchoring outside the database."""
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return count, (last.hash if last else GENESIS).hex()


def verify_chain(session: Session) -> int | None:
    """Id of the first event that breaks the chain, or None when it is intact."""
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        expected = _event_hash(prev, event.at, event.actor_id, event.action, event.case_id, event.detail)
        if event.prev_hash != prev or event.hash != expected:
            return event.id
        prev = event.hash
    return None


AUDIT_PAGE = 100


def recent_events(session: Session, *, actor_id: str | None = None, case_id: str | None = None,
                  page: int = 1) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    return list(session.scalars(query.offset((max(page, 1) - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)))
