"""Small helpers for tests of the `cases` layer: submit a case, list grants and audit events."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.config import Config
from cases.models import AuditEvent, KeyGrant, Opd, Reviewer
from cases.report_content import ReportContent
from cases.seed import active_categories
from cases.submission import submit_report


def submit_case(session: Session, config: Config, what: str, opd: Opd) -> str:
    case_id = submit_report(session, category_id=active_categories(session)[0].id, opd_id=opd.id,
                            content=ReportContent(what=what), receipt_key=config.receipt_key_bytes).case_id
    session.commit()
    return case_id


def grants_of(session: Session, reviewer: Reviewer) -> set[tuple[str, str]]:
    return {(g.case_id, g.key_kind) for g in session.scalars(select(KeyGrant).where(
        KeyGrant.reviewer_id == reviewer.id))}


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
