"""Concluded cases are purged after retention, leaving only a content-free audit event."""

import io
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.accountability.audit import verify_chain
from cases.evidence.store import Limits, Upload, prepare_file
from cases.models import Attachment, AttachmentChunk, AuditEvent, Base, Case, CaseItem, CaseLabel, KeyGrant
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.triage.retention import purge_expired, purge_soon


class _Sized(io.BytesIO):
    @property
    def size(self) -> int:
        return len(self.getvalue())


def _submit(session: Session, config: Config) -> str:
    audio = _Sized(b"OggS" + bytes(200_000))
    prepared = prepare_file(Upload("rekaman.ogg", audio), limits=Limits())
    submitted = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what="x" * 40),
        receipt_key=config.receipt_key_bytes,
        files=[prepared],
    )
    session.add(CaseLabel(case_id=submitted.case_id, label="perlu audit"))
    session.flush()
    return submitted.case_id


def _count(session: Session, model: type[Base], case_id: str | None = None) -> int:
    query = select(func.count()).select_from(model)
    if case_id is not None and hasattr(model, "case_id"):
        query = query.where(model.case_id == case_id)  # type: ignore[attr-defined]
    return session.scalar(query) or 0


def test_concluded_case_past_retention_leaves_nothing_but_an_audit_event(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case closed 800 days ago, with an attachment and a label, and an open case
    old, recent = _submit(session, config), _submit(session, config)
    case = session.get(Case, old)
    case.status, case.closed_at = "closed", utc_now() - timedelta(days=800)
    session.commit()
    assert _count(session, AttachmentChunk) > 0

    # when the purge runs with two years' retention
    assert purge_expired(session, retention_days=730) == 1
    session.commit()

    # then nothing of that case remains, the open one is untouched, and the log says so without content
    assert session.get(Case, old) is None and session.get(Case, recent) is not None
    for model in (CaseItem, KeyGrant, Attachment, CaseLabel):
        assert _count(session, model, old) == 0
    attachments_left = session.scalars(select(Attachment.id)).all()
    assert _count(session, AttachmentChunk) == session.scalar(
        select(func.count()).select_from(AttachmentChunk).where(AttachmentChunk.attachment_id.in_(attachments_left))
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.purge")).one()
    assert event.case_id == old and event.detail == ""
    assert verify_chain(session) is None


def test_cases_inside_retention_and_open_cases_are_kept(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    kept = _submit(session, config)
    case = session.get(Case, kept)
    case.status, case.closed_at = "rejected", utc_now() - timedelta(days=710)
    session.commit()
    assert purge_expired(session, retention_days=730) == 0
    assert purge_soon(session, retention_days=730) == 1  # the dashboard warns 30 days ahead
