"""Retaliation reports (issue 20, point 4): a reporter who was found out and moved to another
section, or whose performance rating (SKP) was lowered, reports it as a case of its own.

Two ways in, one operation:

- from their report's page (the visit already holds the case: no receipt is typed again);
- with a new report that cites the receipt of an earlier one (`earlier_report`: checked with the
  same constant work as the status check, never stored or logged).

Either way a new case is made in the retaliation category (never offered on the ordinary form),
high priority, first response due within 24 hours at most (cases.reporting.submission), sealed for
its own unit like any case, and linked to the earlier case (`case_link`, one row read both ways:
cases.reporting.links). The reporter gets the new report's own receipt, shown once.
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.evidence.store import Limits, PreparedFile
from cases.identity.content import IdentityContent
from cases.models import Case, CaseLink, Category
from cases.platform.seed import RETALIATION
from cases.reporting.errors import UnknownChoice
from cases.reporting.receipts import open_case_by_receipt
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import SubmittedReport, submit_report

LINK_KIND = "retaliation"


def earlier_report(session: Session, *, receipt_text: str, receipt_key: bytes) -> Case:
    """The case an earlier receipt opens, after the same work whether or not it exists
    (ReceiptNotRecognised otherwise). The receipt is used here and dropped."""
    case, _keypair = open_case_by_receipt(session, receipt_text=receipt_text, receipt_key=receipt_key)
    return case


def report_retaliation(
    session: Session,
    *,
    original: Case,
    opd_id: int | None,
    content: ReportContent,
    receipt_key: bytes,
    first_response_hours: int = 24,
    files: Sequence[PreparedFile] = (),
    limits: Limits | None = None,
    identity: IdentityContent | None = None,
    protection: bool = False,
) -> SubmittedReport:
    """A retaliation report linked to `original`, about `opd_id` (the original's unit when None:
    the reporter may name another, e.g. the section they were moved to); with a confidential
    identity when the reporter gives one (cases.identity)."""
    category = session.scalars(select(Category).where(Category.code == RETALIATION)).first()
    if category is None:
        raise UnknownChoice()
    # Retaliation reported from a retaliation report's page is about the same first report: links stay
    # one deep, so that the first report's recusals reach every retaliation report made after it.
    root = session.scalar(select(CaseLink.linked_case_id).where(CaseLink.case_id == original.id))
    if root is not None:
        original = session.get(Case, root) or original
    submitted = submit_report(
        session,
        category_id=category.id,
        opd_id=opd_id if opd_id is not None else original.opd_id,
        content=content,
        receipt_key=receipt_key,
        first_response_hours=first_response_hours,
        files=files,
        limits=limits,
        retaliation=True,
        identity=identity,
        protection=protection,
        # whoever is recused from the first report's unit is recused from this one too (review finding)
        also_recused_units=(original.opd_id,),
    )
    session.add(CaseLink(case_id=submitted.case_id, linked_case_id=original.id, kind=LINK_KIND))
    session.flush()
    return submitted
