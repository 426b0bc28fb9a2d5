"""Export a case for referral (inspectorate auditors, law enforcement): a ZIP of
export.pdf, export.json and the selected evidence files.

Only what the reviewer selects goes in; the reporter's contact details only
with an explicit choice and a stated reason. The export is audited (reason, a
description of the selection by sequence numbers and counts, and the SHA-256
of export.json; never content) *before* any byte leaves, and the whole ZIP is
built in memory and streamed: plaintext never touches disk.

The case's active redactions (cases/accountability/redaction.py) are always
applied: every withheld phrase becomes "[disamarkan]" throughout the document
(so in the PDF and the JSON alike), withheld files stay out of the ZIP even
when ticked, and the document says how many passages and which files (by
number) were withheld. A redaction that fails its checks stops the export.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cases.accountability import audit
from cases.accountability.errors import ExportChanged, ExportRefused, RedactionTampered
from cases.accountability.export_zip import ZipMember, stream_zip
from cases.accountability.redaction import ActiveRedactions, active_redactions
from cases.accountability.redaction_text import MARK, Redactor
from cases.errors import CaseNotFound, ItemTampered
from cases.evidence.store import AttachmentInfo, open_download
from cases.items import open_report
from cases.models import AuditEvent, Case, CaseItem, CaseLabel, Reviewer
from cases.platform.clock import utc_now
from cases.reporting.conversation import ThreadEntry, thread
from cases.reporting.report_content import ReportContent
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key
from cases.web.export_pdf import render_pdf

SCHEMA = "kanal-integritas/case-export/v1"
MAX_REASON_CHARS = 300
PREVIEW_CHARS = 160
NOTE_KINDS = ("note", "status_note")


@dataclass(frozen=True)
class ExportSelection:
    reason: str
    include_report: bool = True
    message_seqs: frozenset[int] = frozenset()
    attachment_seqs: frozenset[int] = frozenset()
    include_history: bool = False
    include_notes: bool = False
    include_contact: bool = False
    contact_reason: str = ""


@dataclass(frozen=True)
class MessageChoice:
    seq: int
    author: str
    created_at: datetime
    preview: str


@dataclass(frozen=True)
class AttachmentChoice:
    seq: int
    author: str
    info: AttachmentInfo


@dataclass(frozen=True)
class ExportChoices:
    """What the export form offers for one case."""

    case_id: str
    category_name_id: str
    category_name_en: str
    opd_name: str
    messages: list[MessageChoice]
    attachments: list[AttachmentChoice]
    has_contact: bool
    note_count: int
    redaction: ActiveRedactions | None  # None: a redaction failed its checks, so no export is possible


@dataclass(frozen=True)
class ExportFile:
    path: str
    info: AttachmentInfo
    sha256: str
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class CaseExport:
    filename: str
    pdf: bytes
    json: bytes
    generated_at: datetime
    files: list[ExportFile] = field(default_factory=list)

    def stream(self) -> Iterator[bytes]:
        """The ZIP, piece by piece; evidence is re-hashed on the way out."""
        members = [
            ZipMember("export.pdf", len(self.pdf), lambda: iter((self.pdf,))),
            ZipMember("export.json", len(self.json), lambda: iter((self.json,))),
        ]
        members += [ZipMember(f.path, f.info.size, _checked(f)) for f in self.files]
        return stream_zip(members, modified=self.generated_at)


def _checked(file: ExportFile) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        digest = hashlib.sha256()
        for chunk in file.chunks:
            digest.update(chunk)
            yield chunk
        if digest.hexdigest() != file.sha256:
            raise ExportChanged()  # the ZIP is left without its directory: unreadable, not wrong

    return chunks


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") + "Z" if moment is not None else None


def _report(session: Session, case: Case, case_key: bytes) -> ReportContent | None:
    """The report, or None when it failed its integrity check."""
    try:
        return open_report(session, case=case, case_key=case_key)
    except ItemTampered:
        return None


def _open_case(session: Session, *, reviewer: Reviewer, case_id: str, private_key: bytes) -> tuple[Case, bytes]:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    return case, open_reviewer_key(session, case_id=case.id, reviewer=reviewer, private_key=private_key)


def _team_key(session: Session, *, reviewer: Reviewer, case: Case, private_key: bytes) -> bytes:
    return open_reviewer_key(session, case_id=case.id, reviewer=reviewer, private_key=private_key, key_kind="team")


def _redactions(session: Session, case: Case, team_key: bytes) -> ActiveRedactions | None:
    try:
        return active_redactions(session, case=case, team_key=team_key)
    except RedactionTampered:
        return None


def export_choices(session: Session, *, actor: Actor, case_id: str) -> ExportChoices:
    """The parts of a case a reviewer holding its key may export (audited as a view)."""
    reviewer, private_key = actor.reviewer, actor.private_key()
    case, case_key = _open_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    team_key = _team_key(session, reviewer=reviewer, case=case, private_key=private_key)
    entries = [e for e in thread(session, case=case, case_key=case_key, audience="team") if not e.tampered]
    report = _report(session, case, case_key)
    notes = session.scalar(
        select(CaseItem.id).where(CaseItem.case_id == case.id, CaseItem.kind.in_(NOTE_KINDS)).limit(1)
    )
    audit.record(session, action="case.view", actor_id=reviewer.id, case_id=case.id, detail="export form")
    return ExportChoices(
        case_id=case.id,
        category_name_id=case.category.name_id,
        category_name_en=case.category.name_en,
        opd_name=case.opd.name,
        messages=[
            MessageChoice(e.seq, e.author, e.created_at, (e.text or "")[:PREVIEW_CHARS])
            for e in entries
            if e.kind == "message"
        ],
        attachments=[AttachmentChoice(e.seq, e.author, e.attachment) for e in entries if e.attachment is not None],
        has_contact=report is not None and bool(report.contact.strip()),
        note_count=1 if notes is not None else 0,
        redaction=_redactions(session, case, team_key),
    )


def _ranges(numbers: list[int]) -> str:
    """2,3,4,7 -> "2-4,7": sequence numbers in an audit line, compactly."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in runs) or "-"


def audit_detail(selection: ExportSelection, *, json_sha256: str, reason: str, redacted: str = "") -> str:
    """What was exported, without content: flags, sequence numbers, the JSON's hash, the reason."""
    flags = (
        f"report={int(selection.include_report)} history={int(selection.include_history)} "
        f"notes={int(selection.include_notes)} contact={int(selection.include_contact)}{redacted}"
    )
    items = f"messages={_ranges(list(selection.message_seqs))} files={_ranges(list(selection.attachment_seqs))}"
    head = f"{flags} {items} json_sha256={json_sha256} reason="
    if len(head) + len(reason) > 500:  # the column's width: fall back to counts (the hash still pins them)
        items = f"messages={len(selection.message_seqs)} files={len(selection.attachment_seqs)}"
        head = f"{flags} {items} json_sha256={json_sha256} reason="
    return head + reason


def _check(selection: ExportSelection) -> tuple[str, str]:
    reason = " ".join(selection.reason.split())[:MAX_REASON_CHARS]
    contact_reason = " ".join(selection.contact_reason.split())[:MAX_REASON_CHARS]
    if not reason:
        raise ExportRefused("reason")
    if selection.include_contact and not contact_reason:
        raise ExportRefused("contact_reason")
    return reason, contact_reason


def _status_history(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditEvent, Reviewer.display_name)
        .outerjoin(Reviewer, AuditEvent.actor_id == Reviewer.id)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == "status.change")
        .order_by(AuditEvent.id)
    )
    history = []
    for event, name in rows:
        old, _, new = event.detail.partition("->")
        history.append({"at": _iso(audit.exact_time(session, event)), "from": old, "to": new, "by": name})
    return history


def entry_part(e: ThreadEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "author": e.author,
        "reviewer": e.reviewer_name,
        "created_at": _iso(e.created_at),
        "text": e.text,
        "integrity_failed": e.tampered,
    }


def report_part(report: ReportContent) -> dict[str, Any]:
    return {
        "what": report.what,
        "who": report.who,
        "when": report.when,
        "where": report.where,
        "how": report.how,
        "amount_rupiah": report.amount_rupiah,
    }


def _redaction_flags(redactor: Redactor, withheld: ActiveRedactions) -> str:
    if not withheld:
        return ""
    return f" redacted={redactor.passages} withheld={_ranges(list(withheld.file_seqs))}"


def _safe_member_name(index: int, name: str) -> str:
    cleaned = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name).strip(" .") or "file"
    return f"attachments/{index}-{cleaned}"


def _hash_file(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def export_case(
    session: Session,
    *,
    sessions: sessionmaker[Session],
    actor: Actor,
    case_id: str,
    selection: ExportSelection,
    now: datetime | None = None,
) -> CaseExport:
    """Build the export of what `selection` names, audit it, and return it ready to stream."""
    reviewer, private_key = actor.reviewer, actor.private_key()
    reason, contact_reason = _check(selection)
    case, case_key = _open_case(session, reviewer=reviewer, case_id=case_id, private_key=private_key)
    team_key = _team_key(session, reviewer=reviewer, case=case, private_key=private_key)
    withheld = _redactions(session, case, team_key)
    if withheld is None:
        raise ExportRefused("redaction_tampered")
    redactor = withheld.redactor()
    entries = thread(
        session, case=case, case_key=case_key, audience="team", team_key=team_key if selection.include_notes else None
    )
    by_seq = {e.seq: e for e in entries}
    messages = [by_seq.get(seq) for seq in sorted(selection.message_seqs)]
    attached = [by_seq.get(seq) for seq in sorted(selection.attachment_seqs)]
    if any(e is None or e.kind != "message" for e in messages) or any(
        e is None or e.attachment is None for e in attached
    ):
        raise ExportRefused("unknown_item")
    report = _report(session, case, case_key)
    if any(e is not None and e.tampered for e in messages + attached) or (
        report is None and (selection.include_report or selection.include_contact)
    ):
        raise ExportRefused("tampered")
    attached = [e for e in attached if e is not None and e.seq not in withheld.file_seqs]
    generated = now or utc_now()
    files: list[ExportFile] = []
    names: list[str] = []
    for index, entry in enumerate(attached, start=1):
        assert entry is not None and entry.attachment is not None
        info = entry.attachment
        names.append(redactor.text(info.name))

        def fresh(attachment_id: str = info.attachment_id) -> Iterator[bytes]:
            return open_download(
                sessions, session, case_id=case.id, attachment_id=attachment_id, case_key=case_key
            ).chunks

        files.append(ExportFile(_safe_member_name(index, names[-1]), info, _hash_file(fresh()), fresh()))
    labels = list(
        session.scalars(select(CaseLabel.label).where(CaseLabel.case_id == case.id).order_by(CaseLabel.label))
    )
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "export": {
            "generated_at": _iso(generated),
            "reason": reason,
            "exporter": {"id": reviewer.id, "name": reviewer.display_name, "username": reviewer.username},
        },
        "case": {
            "id": case.id,
            "category": {
                "code": case.category.code,
                "name_id": case.category.name_id,
                "name_en": case.category.name_en,
            },
            "opd": case.opd.name,
            "status": case.status,
            "priority": case.priority,
            "labels": labels,
            "received_at": _iso(case.received_at),
            "first_response_at": _iso(case.first_response_at),
            "last_update_at": _iso(case.updated_at),
            "closed_at": _iso(case.closed_at),
        },
        "selection": {
            "report": selection.include_report,
            "messages": sorted(selection.message_seqs),
            "attachments": sorted(selection.attachment_seqs),
            "status_history": selection.include_history,
            "internal_notes": selection.include_notes,
            "contact": selection.include_contact,
        },
        "report": report_part(report) if selection.include_report and report is not None else None,
        "contact": (
            {"text": report.contact, "reason": contact_reason}
            if selection.include_contact and report is not None
            else None
        ),
        "messages": [entry_part(e) for e in messages if e is not None],
        "attachments": [
            {
                "seq": e.seq,
                "author": e.author,
                "created_at": _iso(e.created_at),
                "file": f.path,
                "name": name,
                "mime": f.info.mime,
                "type": f.info.label,
                "size": f.info.size,
                "sha256": f.sha256,
                "cleaning": f.info.outcome,
            }
            for e, f, name in zip(attached, files, names, strict=True)
            if e is not None
        ],
        "status_history": _status_history(session, case) if selection.include_history else None,
        "outcomes": ([entry_part(e) for e in entries if e.kind == "outcome"] if selection.include_history else None),
        "internal_notes": (
            [entry_part(e) for e in entries if e.kind in NOTE_KINDS] if selection.include_notes else None
        ),
    }
    if withheld:
        document = redactor.document(document)
        document["redaction"] = {
            "mark": MARK,
            "passages": redactor.passages,
            "withheld_files": sorted(withheld.file_seqs),
            "redaction_items": list(withheld.item_seqs),
        }
    else:
        document["redaction"] = None
    json_bytes = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    pdf = render_pdf(document)
    detail = audit_detail(
        selection,
        json_sha256=hashlib.sha256(json_bytes).hexdigest(),
        reason=reason,
        redacted=_redaction_flags(redactor, withheld),
    )
    audit.record(session, action="case.export", actor_id=reviewer.id, case_id=case.id, detail=detail)
    if selection.include_contact:
        audit.record(
            session,
            action="case.export.contact",
            actor_id=reviewer.id,
            case_id=case.id,
            detail=f"reason={contact_reason}",
        )
    return CaseExport(
        filename=f"case-{case.id}-export.zip", pdf=pdf, json=json_bytes, generated_at=generated, files=files
    )
