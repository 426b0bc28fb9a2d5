"""Retention: concluded cases are purged after a configurable period.

Archive rules keep closed and rejected cases for a while (2 years by default);
after that nothing of them should remain: items, attachments and their chunks,
grants, labels, read markers and reporter sessions all go (database cascades),
and the audit log keeps a `case.purge` event with no content. The admin's
dashboard warns 30 days ahead.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.models import Case, CaseStatus
from cases.platform.clock import utc_now

DEFAULT_RETENTION_DAYS = 730
WARNING_DAYS = 30


def purge_due(
    session: Session, *, retention_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
) -> list[str]:
    now = now or utc_now()
    cutoff = now - timedelta(days=retention_days)
    return list(session.scalars(select(Case.id).where(Case.status.in_(CaseStatus.CONCLUDED), Case.closed_at < cutoff)))


def purge_soon(session: Session, *, retention_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None) -> int:
    """How many cases will be purged within the warning period."""
    now = now or utc_now()
    cutoff = now - timedelta(days=retention_days - WARNING_DAYS)
    return len(
        session.scalars(select(Case.id).where(Case.status.in_(CaseStatus.CONCLUDED), Case.closed_at < cutoff)).all()
    )


def purge_expired(
    session: Session, *, retention_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
) -> int:
    """Delete every concluded case past retention; returns how many. The cases' rows are locked first
    (in id order), before their labels and the rest go: a deadline change locks the case, then its
    labels (cases.triage.label_order), so the purge takes them in the same order and cannot deadlock
    with it on PostgreSQL (review finding). A case reopened meanwhile is no longer due, and stays."""
    cutoff = (now or utc_now()) - timedelta(days=retention_days)
    ids = list(
        session.scalars(
            select(Case.id)
            .where(Case.status.in_(CaseStatus.CONCLUDED), Case.closed_at < cutoff)
            .order_by(Case.id)
            .with_for_update()
        )
    )
    if not ids:
        return 0
    session.execute(update(Case).where(Case.duplicate_of_id.in_(ids)).values(duplicate_of_id=None))
    for case_id in ids:
        case = session.get(Case, case_id)
        if case is not None:
            session.delete(case)  # items, grants and labels by the ORM; the rest by ON DELETE CASCADE
        audit.record(session, action="case.purge", case_id=case_id)
    session.flush()
    return len(ids)
