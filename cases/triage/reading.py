"""One case as a reviewer sees it, and evidence downloads.

A case without a grant for the caller raises `CaseNotFound`, the same as a
case that does not exist, so a recused or newly added reviewer learns nothing,
not even that it exists. (The list is in `cases/triage/case_list.py`.)
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cases.accountability import audit
from cases.errors import CaseNotFound, ItemTampered
from cases.evidence.store import Download, open_download
from cases.items import open_report
from cases.models import Case, CaseItem, CaseLabel, CaseRead, CaseStatus, KeyGrant, Reviewer
from cases.platform.clock import utc_now
from cases.reporting.conversation import ThreadEntry, thread
from cases.reporting.links import LinkedCase, linked_cases
from cases.reporting.report_content import ReportContent
from cases.team.actor import Actor
from cases.team.grants import holds_case_key, open_reviewer_key
from cases.triage.deadlines import next_due, overdue_kinds
from cases.triage.workflow import TRANSITIONS, needs_outcome, needs_reason


@dataclass(frozen=True)
class CaseSummary:
    id: str
    status: str
    priority: str
    category_name_id: str
    category_name_en: str
    opd_name: str
    received_at: datetime
    first_response_due: datetime
    first_response_at: datetime | None
    assessment_due: datetime | None
    feedback_due: datetime | None
    next_due: datetime | None
    overdue: tuple[str, ...]
    assigned_to_id: str | None
    duplicate_of_id: str | None
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    status: str
    needs_reason: bool
    needs_outcome: bool


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    report: ReportContent | None  # None: it failed its integrity check (cases.items)
    thread: list[ThreadEntry]
    transitions: list[Transition]
    assignable: list[tuple[str, str]]  # (reviewer id, display name) of those who hold the case key
    # Retaliation links (issue 20, point 4), only to cases whose key is sealed to the reader.
    links: tuple[LinkedCase, ...] = ()
    redactions: int = 0  # redactions not lifted, counted from item kinds (docs/EXPORT.md, redaction)


def _summary(session: Session, case: Case, now: datetime) -> CaseSummary:
    labels = tuple(
        session.scalars(select(CaseLabel.label).where(CaseLabel.case_id == case.id).order_by(CaseLabel.label))
    )
    return CaseSummary(
        id=case.id,
        status=case.status,
        priority=case.priority,
        category_name_id=case.category.name_id,
        category_name_en=case.category.name_en,
        opd_name=case.opd.name,
        received_at=case.received_at,
        first_response_due=case.first_response_due,
        first_response_at=case.first_response_at,
        assessment_due=case.assessment_due,
        feedback_due=case.feedback_due,
        next_due=next_due(case),
        overdue=tuple(overdue_kinds(case, now)),
        assigned_to_id=case.assigned_to_id,
        duplicate_of_id=case.duplicate_of_id,
        labels=labels,
    )


def _redaction_count(session: Session, case: Case) -> int:
    """Redactions minus lifts, from the plaintext kinds: a hint on the case page only (the export
    opens and checks every one)."""
    counts = dict(
        session.execute(
            select(CaseItem.kind, func.count())
            .where(CaseItem.case_id == case.id, CaseItem.kind.in_(("redaction", "redaction_lift")))
            .group_by(CaseItem.kind)
        ).all()
    )
    return max(0, counts.get("redaction", 0) - counts.get("redaction_lift", 0))


def _mark_read(session: Session, *, reviewer: Reviewer, case: Case) -> None:
    marker = session.get(CaseRead, (reviewer.id, case.id))
    if marker is None:
        session.add(CaseRead(reviewer_id=reviewer.id, case_id=case.id, seen_seq=case.item_seq))
    else:
        marker.seen_seq = case.item_seq


def read_case(session: Session, *, actor: Actor, case_id: str) -> CaseDetail:
    reviewer, private_key = actor.reviewer, actor.private_key()
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    case_key = open_reviewer_key(session, case_id=case.id, reviewer=reviewer, private_key=private_key)
    team_key = open_reviewer_key(session, case_id=case.id, reviewer=reviewer, private_key=private_key, key_kind="team")
    try:
        report: ReportContent | None = open_report(session, case=case, case_key=case_key)
    except ItemTampered:
        report = None
    entries = thread(session, case=case, case_key=case_key, audience="team", team_key=team_key)
    assignable = [
        (rid, name)
        for rid, name in session.execute(
            select(Reviewer.id, Reviewer.display_name)
            .join(KeyGrant, KeyGrant.reviewer_id == Reviewer.id)
            .where(KeyGrant.case_id == case.id, KeyGrant.key_kind == "case", Reviewer.state == "active")
            .order_by(Reviewer.display_name)
        )
    ]
    transitions = [
        Transition(new, needs_reason(case.status, new), needs_outcome(new))
        for new in sorted(TRANSITIONS.get(case.status, frozenset()), key=list(CaseStatus).index)
    ]
    _mark_read(session, reviewer=reviewer, case=case)
    audit.record(session, action="case.view", actor_id=reviewer.id, case_id=case.id)
    return CaseDetail(
        summary=_summary(session, case, utc_now()),
        report=report,
        thread=entries,
        transitions=transitions,
        assignable=assignable,
        links=tuple(linked_cases(session, case_id=case.id, readable=holds_case_key(reviewer))),
        redactions=_redaction_count(session, case),
    )


def download_attachment(
    session: Session,
    *,
    sessions: sessionmaker[Session],
    actor: Actor,
    case_id: str,
    attachment_id: str,
) -> Download:
    """An evidence file for a reviewer holding the case key; audited. ItemTampered when its details
    item fails its integrity check (the content itself is checked as it streams)."""
    reviewer, private_key = actor.reviewer, actor.private_key()
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=private_key)
    download = open_download(sessions, session, case_id=case_id, attachment_id=attachment_id, case_key=case_key)
    audit.record(
        session,
        action="attachment.download",
        actor_id=reviewer.id,
        case_id=case_id,
        detail=f"attachment={attachment_id}",
    )
    return download
