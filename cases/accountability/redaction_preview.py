"""The redaction page and its preview: what a case's exports withhold, shown before an export.

The preview is built from the same parts and the same `Redactor` walk as
export.json (cases/accountability/export.py), with every message, outcome
and note of the case, so what the reviewer reads here is what an export of
those parts carries. Both pages are recorded as views of the case.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.accountability.errors import RedactionTampered
from cases.accountability.export import NOTE_KINDS, entry_part, report_part
from cases.accountability.redaction import (
    Redaction,
    active_redactions,
    all_redactions,
    report_paragraphs,
    team_key_for,
)
from cases.errors import ItemTampered
from cases.items import open_report
from cases.reporting.conversation import thread
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key


@dataclass(frozen=True)
class FileChoice:
    seq: int
    name: str


@dataclass(frozen=True)
class ParagraphChoice:
    key: str  # "field:n"
    field: str  # what, who, when, where, how
    text: str


@dataclass(frozen=True)
class RedactionPage:
    case_id: str
    redactions: list[Redaction]
    files: list[FileChoice]
    paragraphs: list[ParagraphChoice]
    tampered: int | None  # the item number that failed its checks; `redactions` is then empty


@dataclass(frozen=True)
class RedactionPreview:
    case_id: str
    document: dict[str, Any]  # report, messages, outcomes, internal_notes, attachments: as exported
    passages: int
    withheld_files: list[int]


def _case_key(session: Session, actor: Actor, case_id: str) -> bytes:
    return open_reviewer_key(session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key())


def redaction_page(session: Session, *, actor: Actor, case_id: str) -> RedactionPage:
    """The case's redactions (lifted ones too) and its files to choose from; CaseNotFound without its keys."""
    case, team_key = team_key_for(session, actor=actor, case_id=case_id)
    case_key = _case_key(session, actor, case.id)
    entries = thread(session, case=case, case_key=case_key, audience="team")
    files = [FileChoice(e.seq, e.attachment.name) for e in entries if e.attachment is not None]
    try:
        paragraphs = [
            ParagraphChoice(*p) for p in report_paragraphs(open_report(session, case=case, case_key=case_key))
        ]
    except ItemTampered:
        paragraphs = []
    try:
        redactions, tampered = all_redactions(session, case=case, team_key=team_key), None
    except RedactionTampered as failed:
        redactions, tampered = [], failed.seq
    audit.record(session, action="case.view", actor_id=actor.reviewer.id, case_id=case.id, detail="redaction form")
    return RedactionPage(case_id=case.id, redactions=redactions, files=files, paragraphs=paragraphs, tampered=tampered)


def redaction_preview(session: Session, *, actor: Actor, case_id: str) -> RedactionPreview:
    """The report, messages, outcomes, notes and file names as a redacted export carries them.
    RedactionTampered when a redaction fails its checks (no export is possible then either)."""
    case, team_key = team_key_for(session, actor=actor, case_id=case_id)
    case_key = _case_key(session, actor, case.id)
    withheld = active_redactions(session, case=case, team_key=team_key)
    redactor = withheld.redactor()
    entries = [
        e for e in thread(session, case=case, case_key=case_key, audience="team", team_key=team_key) if not e.tampered
    ]
    try:
        report = report_part(open_report(session, case=case, case_key=case_key))
    except ItemTampered:
        report = None
    document = redactor.document(
        {
            "report": report,
            "messages": [entry_part(e) for e in entries if e.kind == "message"],
            "outcomes": [entry_part(e) for e in entries if e.kind == "outcome"],
            "internal_notes": [entry_part(e) for e in entries if e.kind in NOTE_KINDS],
            "attachments": [
                {"seq": e.seq, "name": e.attachment.name}
                for e in entries
                if e.attachment is not None and e.seq not in withheld.file_seqs
            ],
        }
    )
    audit.record(session, action="case.view", actor_id=actor.reviewer.id, case_id=case.id, detail="redaction preview")
    return RedactionPreview(
        case_id=case.id,
        document=document,
        passages=redactor.passages,
        withheld_files=sorted(withheld.file_seqs),
    )
