"""What a reviewer sees: the case list and one decrypted case.

A reviewer sees only cases sealed to them. A case without a grant for the
caller raises `CaseNotFound`, the same as a case that does not exist, so a
recused or newly added reviewer learns nothing, not even that it exists.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crypto.envelope import decrypt_item

from . import audit
from .conversation import ThreadEntry, thread
from .errors import CaseNotFound
from .evidence.store import Download, open_download
from .grants import open_reviewer_key
from .models import Case, CaseItem, CaseRead, Category, KeyGrant, Opd, Reviewer
from .report_content import ReportContent


@dataclass(frozen=True)
class CaseSummary:
    id: str
    status: str
    category_code: str
    category_name_id: str
    category_name_en: str
    opd_name: str
    received_at: datetime
    first_response_due: datetime
    unread: bool = False


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    report: ReportContent
    thread: list[ThreadEntry]


def _summary(case: Case, category: Category, opd: Opd, seen_seq: int | None = None) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        status=case.status,
        category_code=category.code,
        category_name_id=category.name_id,
        category_name_en=category.name_en,
        opd_name=opd.name,
        received_at=case.received_at,
        first_response_due=case.first_response_due,
        unread=seen_seq is not None and case.reporter_seq > seen_seq,
    )


def list_cases(session: Session, *, reviewer: Reviewer, limit: int = 200) -> list[CaseSummary]:
    """Cases this reviewer holds the case key for, newest first."""
    rows = session.execute(
        select(Case, Category, Opd, func.coalesce(CaseRead.seen_seq, 0))
        .join(Category, Case.category_id == Category.id)
        .join(Opd, Case.opd_id == Opd.id)
        .join(KeyGrant, (KeyGrant.case_id == Case.id) & (KeyGrant.key_kind == "case"))
        .outerjoin(CaseRead, (CaseRead.case_id == Case.id) & (CaseRead.reviewer_id == reviewer.id))
        .where(KeyGrant.recipient_id == reviewer.recipient_id)
        .order_by(Case.received_at.desc(), Case.id)
        .limit(limit)
    ).all()
    return [_summary(case, category, opd, seen) for case, category, opd, seen in rows]


def _mark_read(session: Session, *, reviewer: Reviewer, case: Case) -> None:
    marker = session.get(CaseRead, (reviewer.id, case.id))
    if marker is None:
        session.add(CaseRead(reviewer_id=reviewer.id, case_id=case.id, seen_seq=case.item_seq))
    else:
        marker.seen_seq = case.item_seq


def read_case(session: Session, *, reviewer: Reviewer, case_id: str, private_key: bytes) -> CaseDetail:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    case_key = open_reviewer_key(session, case_id=case.id, reviewer=reviewer, private_key=private_key)
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case.id, CaseItem.kind == "report")).one()
    report = ReportContent.from_bytes(decrypt_item(case_key, item.ciphertext, case_id=case.id, item_id=item.id))
    entries = thread(session, case=case, case_key=case_key, audience="team")
    _mark_read(session, reviewer=reviewer, case=case)
    audit.record(session, action="case.view", actor_id=reviewer.id, case_id=case.id)
    return CaseDetail(summary=_summary(case, case.category, case.opd), report=report, thread=entries)


def download_attachment(session: Session, *, sessions: sessionmaker[Session], reviewer: Reviewer, case_id: str,
                        attachment_id: str, private_key: bytes) -> Download:
    """An evidence file for a reviewer holding the case key; audited."""
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=private_key)
    download = open_download(sessions, session, case_id=case_id, attachment_id=attachment_id, case_key=case_key)
    audit.record(session, action="attachment.download", actor_id=reviewer.id, case_id=case_id,
                 detail=f"attachment={attachment_id}")
    return download
