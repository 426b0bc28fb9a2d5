"""The protection checklist of a case whose reporter asked for protection (issue 20, point 5).

Steps, in order: tell the reporter their rights (this sends them the standard text below, in the
conversation), refer them to LPSK (the witness and victim protection agency), record the measures
taken. Each step is done once, by a reader of the case, with a note (an internal note of the case,
under the team key) and an audit event; the row keeps who and the hour. The reporter sees the steps
that concern them (`REPORTER_STEPS`), to the day.
"""

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.identity.errors import IdentityRefused
from cases.models import Case, CaseIdentity, ProtectionStep, Reviewer
from cases.platform.clock import local_day, to_hour, utc_now
from cases.reporting.conversation import team_replies
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key
from cases.triage.deadlines import DeadlineRules
from cases.triage.workflow import add_note

STEPS = ("rights_informed", "lpsk_referred", "measures_recorded")
REPORTER_STEPS = ("rights_informed", "lpsk_referred")

# Sent to the reporter by the first step, in both languages (the team does not know the reporter's).
RIGHTS_TEXT = (
    "Hak Anda sebagai pelapor: identitas Anda dirahasiakan dan hanya dibuka dengan persetujuan "
    "kustodian, dan Anda akan diberi tahu di halaman ini bila dibuka. Anda berhak atas perlindungan dari "
    "pembalasan (mutasi, penurunan nilai SKP, ancaman) menurut PP 43/2018 dan UU 31/2014; Anda dapat "
    "mengajukan perlindungan ke LPSK (Lembaga Perlindungan Saksi dan Korban), dan tim dapat membantu "
    "merujuk Anda. Jika Anda mengalami pembalasan, laporkan melalui halaman ini.\n\n"
    "Your rights as a reporter: your identity is kept confidential and opened only with a custodian's "
    "approval, and this page tells you if it is. You are entitled to protection from retaliation "
    "(transfer, a lowered performance rating, threats) under PP 43/2018 and Law 31/2014; you can apply "
    "for protection to LPSK (the Witness and Victim Protection Agency), and the team can help refer you. "
    "If you experience retaliation, report it through this page."
)


def _protected_case(session: Session, actor: Actor, case_id: str) -> Case:
    open_reviewer_key(session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key())
    case = session.get(Case, case_id)
    row = session.get(CaseIdentity, case_id)
    if case is None or row is None or not row.protection_requested:
        raise IdentityRefused("no_protection")
    return case


def complete_step(
    session: Session, *, actor: Actor, case_id: str, step: str, note: str, rules: DeadlineRules | None = None
) -> None:
    """Mark one step done, with what was done (an internal note); the first step also sends the
    reporter their rights. Refused for an unknown step, one already done, or without a note."""
    if step not in STEPS:
        raise IdentityRefused("unknown_step")
    note = note.strip()
    if not note:
        raise IdentityRefused("reason_required")
    case = _protected_case(session, actor, case_id)
    if session.get(ProtectionStep, (case.id, step)) is not None:
        raise IdentityRefused("decided")
    if step == "rights_informed":
        team_replies(session, actor=actor, case_id=case.id, text=RIGHTS_TEXT, rules=rules)
    add_note(session, actor=actor, case_id=case.id, text=note)
    session.add(ProtectionStep(case_id=case.id, step=step, done_at=to_hour(utc_now()), done_by_id=actor.id))
    session.flush()
    audit.record(session, action="protection.step", actor_id=actor.id, case_id=case.id, detail=f"step={step}")


@dataclass(frozen=True)
class StepView:
    step: str
    done_at: datetime | None
    done_by: str


def checklist(session: Session, *, case_id: str) -> list[StepView] | None:
    """The team's checklist, every step in order; None when the reporter did not ask for protection."""
    row = session.get(CaseIdentity, case_id)
    if row is None or not row.protection_requested:
        return None
    done = {
        step.step: (step.done_at, name or "")
        for step, name in session.execute(
            select(ProtectionStep, Reviewer.display_name)
            .outerjoin(Reviewer, Reviewer.id == ProtectionStep.done_by_id)
            .where(ProtectionStep.case_id == case_id)
        )
    }
    return [StepView(step, *done.get(step, (None, ""))) for step in STEPS]


def reporter_steps(session: Session, *, case: Case, zone: tzinfo) -> list[tuple[str, date]]:
    """The steps done that concern the reporter, with their day."""
    rows = session.scalars(
        select(ProtectionStep).where(ProtectionStep.case_id == case.id, ProtectionStep.step.in_(REPORTER_STEPS))
    )
    days = {row.step: local_day(row.done_at, zone) for row in rows}
    return [(step, days[step]) for step in REPORTER_STEPS if step in days]
