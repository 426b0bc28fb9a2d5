"""What the team does to a case: status, assignment, priority, labels, notes, duplicates.

Every operation needs the actor to hold the case's keys (a grant), so a
recused reviewer cannot change what they cannot read; every one is audited.
Internal notes and status reasons are encrypted under the *team* key, never
sealed to the reporter; the outcome the reporter reads is a separate text
under the case key.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.errors import CaseNotFound
from cases.items import add_item, next_seq
from cases.models import Case, CaseLabel, CaseStatus, KeyGrant, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key
from cases.triage.deadlines import DeadlineRules, team_contacted_reporter
from cases.triage.errors import InvalidChoice, ReasonRequired, TransitionNotAllowed

TRANSITIONS: dict[str, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.VERIFYING, CaseStatus.REJECTED}),
    CaseStatus.VERIFYING: frozenset({CaseStatus.INVESTIGATING, CaseStatus.CLOSED, CaseStatus.REJECTED}),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.REFERRED, CaseStatus.CLOSED, CaseStatus.REJECTED}),
    CaseStatus.REFERRED: frozenset({CaseStatus.INVESTIGATING, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.VERIFYING}),  # reopen
    CaseStatus.REJECTED: frozenset({CaseStatus.VERIFYING}),  # reopen
}
PRIORITIES = ("low", "normal", "high", "urgent")
MAX_LABEL_CHARS = 40
MAX_TEXT_CHARS = 20000


def needs_reason(old: str, new: str) -> bool:
    return new in CaseStatus.CONCLUDED or old in CaseStatus.CONCLUDED


def needs_outcome(new: str) -> bool:
    return new in CaseStatus.CONCLUDED


def _readable_case(
    session: Session, *, reviewer: Reviewer, case_id: str, private_key: bytes, key_kind: str = "case"
) -> tuple[Case, bytes]:
    key = open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=private_key, key_kind=key_kind)
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    return case, key


def _add_item(
    session: Session, *, case: Case, key: bytes, key_kind: str, kind: str, text: str, reviewer: Reviewer
) -> None:
    add_item(
        session,
        case=case,
        key=key,
        key_kind=key_kind,
        kind=kind,
        author="team",
        plaintext=text[:MAX_TEXT_CHARS].encode(),
        seq=next_seq(session, case),
        reviewer_id=reviewer.id,
    )


def change_status(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    new_status: str,
    reason: str = "",
    outcome: str = "",
    rules: DeadlineRules | None = None,
    now: datetime | None = None,
) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    now = now or utc_now()
    case, case_key = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    _, team_key = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key, key_kind="team")
    old = case.status
    if new_status not in TRANSITIONS.get(old, frozenset()):
        raise TransitionNotAllowed(f"{old}->{new_status}")
    reason, outcome = reason.strip(), outcome.strip()
    if needs_reason(old, new_status) and not reason:
        raise ReasonRequired("reason")
    if needs_outcome(new_status) and not outcome:
        raise ReasonRequired("outcome")
    case.status = new_status
    case.updated_at = to_hour(now)  # the hour only, like every plaintext time (DESIGN.md §3)
    case.closed_at = to_hour(now) if new_status in CaseStatus.CONCLUDED else None
    team_contacted_reporter(case, now, rules or DeadlineRules())
    _add_item(
        session,
        case=case,
        key=team_key,
        key_kind="team",
        kind="status_note",
        text=f"{old} → {new_status}" + (f"\n{reason}" if reason else ""),
        reviewer=reviewer,
    )
    if outcome:
        _add_item(session, case=case, key=case_key, key_kind="case", kind="outcome", text=outcome, reviewer=reviewer)
    session.flush()
    audit.record(session, action="status.change", actor_id=reviewer.id, case_id=case.id, detail=f"{old}->{new_status}")


def add_note(session: Session, *, actor: Actor, case_id: str, text: str) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    if not text.strip():
        raise InvalidChoice("empty note")
    case, team_key = _readable_case(
        session, reviewer=reviewer, case_id=case_id, private_key=private_key, key_kind="team"
    )
    _add_item(session, case=case, key=team_key, key_kind="team", kind="note", text=text.strip(), reviewer=reviewer)
    session.flush()
    audit.record(session, action="note.add", actor_id=reviewer.id, case_id=case.id)


def assign(session: Session, *, actor: Actor, case_id: str, assignee_id: str | None) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    case, _ = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    if assignee_id is not None:
        holds = session.scalar(
            select(KeyGrant.id)
            .where(KeyGrant.case_id == case.id, KeyGrant.key_kind == "case", KeyGrant.reviewer_id == assignee_id)
            .limit(1)
        )
        if holds is None:  # only someone who can read the case (and is not recused) can own it
            raise InvalidChoice("assignee cannot read this case")
    case.assigned_to_id = assignee_id
    audit.record(
        session, action="case.assign", actor_id=reviewer.id, case_id=case.id, detail=f"to={assignee_id or '-'}"
    )


def set_priority(session: Session, *, actor: Actor, case_id: str, priority: str) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    if priority not in PRIORITIES:
        raise InvalidChoice(priority)
    case, _ = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    case.priority = priority
    audit.record(session, action="case.priority", actor_id=reviewer.id, case_id=case.id, detail=priority)


def normalise_label(label: str) -> str:
    return " ".join(label.lower().split())[:MAX_LABEL_CHARS].rstrip()


def add_label(session: Session, *, actor: Actor, case_id: str, label: str) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    label = normalise_label(label)
    if not label:
        raise InvalidChoice("empty label")
    case, _ = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    if session.get(CaseLabel, (case.id, label)) is None:
        session.add(CaseLabel(case_id=case.id, label=label))
        audit.record(session, action="case.label", actor_id=reviewer.id, case_id=case.id, detail=f"+{label}")


def remove_label(session: Session, *, actor: Actor, case_id: str, label: str) -> None:
    reviewer, private_key = actor.reviewer, actor.private_key()
    case, _ = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    row = session.get(CaseLabel, (case.id, normalise_label(label)))
    if row is not None:
        session.delete(row)
        audit.record(session, action="case.label", actor_id=reviewer.id, case_id=case.id, detail=f"-{row.label}")


def mark_duplicate(session: Session, *, actor: Actor, case_id: str, original_id: str | None) -> None:
    """Link a case to the one it repeats (both must be readable by the actor)."""
    reviewer, private_key = actor.reviewer, actor.private_key()
    case, _ = _readable_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    if original_id is not None:
        if original_id == case.id:
            raise InvalidChoice("a case cannot duplicate itself")
        _readable_case(session, reviewer=reviewer, case_id=original_id, private_key=private_key)
    case.duplicate_of_id = original_id
    audit.record(
        session, action="case.duplicate", actor_id=reviewer.id, case_id=case.id, detail=f"of={original_id or '-'}"
    )
