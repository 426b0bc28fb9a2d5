"""Redaction before referral: phrases and files a reviewer withholds from the case's exports.

A redaction is an item of the case (kind "redaction", under the *team* key,
so only those who hold the case read it, never the reporter): the phrases
to replace by "[disamarkan]" and the evidence files (by item number) to leave
out. Lifting one is another item ("redaction_lift") naming it, and only a
reviewer other than the redaction's author may lift it. The case's own items
are never changed: the original stays readable on the case page.

What protects it against a database writer: the content, including the
author's id used for the "another reviewer" rule, is sealed with its row's
metadata (cases.items), so an edited or relabelled redaction fails to open;
a lift cannot be forged without the team key; and every redaction and lift
is in the keyed audit chain with its item number, so a deleted redaction
item is noticed (`RedactionTampered`) and the export refuses to run rather
than let a withheld phrase back out. Audit details hold numbers only.
"""

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.accountability.errors import RedactionRefused, RedactionTampered
from cases.accountability.redaction_text import MAX_PHRASES, Redactor, normalise_phrase, usable_phrase
from cases.errors import CaseNotFound, ItemTampered
from cases.items import add_item, next_seq, open_item, open_report
from cases.models import AuditEvent, Case, CaseItem, Reviewer
from cases.reporting.report_content import ReportContent
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key

REPORT_FIELDS = ("what", "who", "when", "where", "how")
KIND = "redaction"
LIFT_KIND = "redaction_lift"
_ITEM = re.compile(r"^item=(\d+)\b")


@dataclass(frozen=True)
class Redaction:
    seq: int
    author_id: str
    author_name: str | None
    created_at: datetime
    phrases: tuple[str, ...]
    file_seqs: tuple[int, ...]
    lifted_by_name: str | None = None
    lifted: bool = False


@dataclass(frozen=True)
class ActiveRedactions:
    """What an export of the case withholds now (the union of every redaction not lifted)."""

    phrases: tuple[str, ...]
    file_seqs: frozenset[int]
    item_seqs: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.item_seqs)

    def redactor(self) -> Redactor:
        return Redactor(self.phrases)


def team_key_for(session: Session, *, actor: Actor, case_id: str) -> tuple[Case, bytes]:
    """The case and its team key; CaseNotFound for a reviewer who does not hold it."""
    key = open_reviewer_key(
        session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key(), key_kind="team"
    )
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    return case, key


def _attachment_seqs(session: Session, case: Case) -> set[int]:
    return set(session.scalars(select(CaseItem.seq).where(CaseItem.case_id == case.id, CaseItem.kind == "attachment")))


def _audited_seqs(session: Session, case: Case, action: str) -> dict[int, str | None]:
    """Item number -> the reviewer the audit chain says wrote it, for each `action` event of the case.

    Every event of the case must pass its keyed check (cases.accountability.audit.authentic) or the
    case counts as tampered: an event inserted by a database writer (a lift in a colleague's name),
    or one relabelled so that it no longer says "redaction.add", is never believed (review finding)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
    keyed_from = audit.first_keyed_id(session)
    for event in events:
        legacy = event.version == audit.UNKEYED and (keyed_from is None or event.id < keyed_from)
        if not legacy and not audit.authentic(session, event):
            raise RedactionTampered(0)
    seqs: dict[int, str | None] = {}
    for event in events:
        if event.action == action and (match := _ITEM.match(event.detail)):
            seqs[int(match.group(1))] = event.actor_id
    return seqs


def all_redactions(session: Session, *, case: Case, team_key: bytes) -> list[Redaction]:
    """Every redaction of the case, lifted or not, oldest first. RedactionTampered when a redaction or
    lift fails its integrity check, or when one the audit log records is missing or not what it says."""
    rows = session.execute(
        select(CaseItem, Reviewer.display_name)
        .outerjoin(Reviewer, CaseItem.reviewer_id == Reviewer.id)
        .where(CaseItem.case_id == case.id, CaseItem.kind.in_((KIND, LIFT_KIND)))
        .order_by(CaseItem.seq)
    ).all()
    found: dict[int, Redaction] = {}
    lifts: dict[int, tuple[str, int]] = {}  # lift seq -> (author id, the redaction it lifts)
    lifted: dict[int, str | None] = {}  # redaction seq -> who lifted it
    for item, name in rows:
        try:
            content = json.loads(open_item(item, team_key))
            if item.kind == KIND:
                found[item.seq] = Redaction(
                    seq=item.seq,
                    author_id=str(content["by"]),
                    author_name=name,
                    created_at=item.created_at,
                    phrases=tuple(str(p) for p in content["phrases"]),
                    file_seqs=tuple(int(s) for s in content["files"]),
                )
            else:
                lifts[item.seq] = (str(content["by"]), int(content["lifts"]))
                lifted[int(content["lifts"])] = name
        except (ItemTampered, ValueError, KeyError, TypeError):
            raise RedactionTampered(item.seq) from None
    # The keyed audit chain recorded each redaction and lift with its number and author: the items
    # must match it exactly (a deleted redaction would otherwise let its phrases out unnoticed).
    authors = {seq: r.author_id for seq, r in found.items()}
    lift_authors = {seq: by for seq, (by, _) in lifts.items()}
    for action, items in (("redaction.add", authors), ("redaction.lift", lift_authors)):
        audited = _audited_seqs(session, case, action)
        if audited != items:
            raise RedactionTampered(min(seq for seq in set(audited) | set(items) if audited.get(seq) != items.get(seq)))
    for seq, (by, target) in lifts.items():  # a lift names an earlier redaction by someone else
        if target not in found or target > seq or found[target].author_id == by:
            raise RedactionTampered(seq)
    return [replace(r, lifted=r.seq in lifted, lifted_by_name=lifted.get(r.seq)) for r in found.values()]


def active_redactions(session: Session, *, case: Case, team_key: bytes) -> ActiveRedactions:
    active = [r for r in all_redactions(session, case=case, team_key=team_key) if not r.lifted]
    phrases = {p.casefold(): p for r in active for p in r.phrases}
    return ActiveRedactions(
        phrases=tuple(sorted(phrases.values(), key=str.casefold)),
        file_seqs=frozenset(s for r in active for s in r.file_seqs),
        item_seqs=tuple(r.seq for r in active),
    )


def report_paragraphs(report: ReportContent) -> list[tuple[str, str, str]]:
    """(key "field:n", field, text) of every non-empty line of the report's 5W2H fields: what the form
    offers to withhold whole, without JavaScript."""
    paragraphs = []
    for field in REPORT_FIELDS:
        lines = [line for line in getattr(report, field).splitlines() if line.strip()]
        paragraphs += [(f"{field}:{n}", field, line.strip()) for n, line in enumerate(lines)]
    return paragraphs


def _chosen_paragraphs(session: Session, *, actor: Actor, case: Case, keys: frozenset[str]) -> list[str]:
    if not keys:
        return []
    case_key = open_reviewer_key(session, case_id=case.id, reviewer=actor.reviewer, private_key=actor.private_key())
    try:
        by_key = {key: text for key, _, text in report_paragraphs(open_report(session, case=case, case_key=case_key))}
    except ItemTampered:
        raise RedactionRefused("tampered") from None
    if not keys <= set(by_key):
        raise RedactionRefused("unknown_item")
    return [by_key[key] for key in sorted(keys)]


def _phrases(lines: list[str]) -> list[str]:
    unique: dict[str, str] = {}
    for line in lines:
        phrase = normalise_phrase(line)
        if not phrase:
            continue
        if not usable_phrase(phrase):
            raise RedactionRefused("phrase")
        unique.setdefault(phrase.casefold(), phrase)
    if len(unique) > MAX_PHRASES:
        raise RedactionRefused("too_many")
    return list(unique.values())


def add_redaction(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    phrases: list[str],
    file_seqs: frozenset[int],
    paragraphs: frozenset[str] = frozenset(),
) -> int:
    """Withhold `phrases`, the report's `paragraphs` (keys from `report_paragraphs`) and the files numbered
    `file_seqs` from the case's exports; returns the new item's number. A paragraph is kept as a phrase,
    so it is withheld wherever it is quoted too."""
    case, team_key = team_key_for(session, actor=actor, case_id=case_id)
    chosen = _phrases(phrases + _chosen_paragraphs(session, actor=actor, case=case, keys=paragraphs))
    if not chosen and not file_seqs:
        raise RedactionRefused("empty")
    if not file_seqs <= _attachment_seqs(session, case):
        raise RedactionRefused("unknown_item")
    content = {"by": actor.reviewer.id, "phrases": chosen, "files": sorted(file_seqs)}
    item = add_item(
        session,
        case=case,
        key=team_key,
        key_kind="team",
        kind=KIND,
        author="team",
        plaintext=json.dumps(content, ensure_ascii=False).encode("utf-8"),
        seq=next_seq(session, case),
        reviewer_id=actor.reviewer.id,
    )
    session.flush()
    files = ",".join(str(s) for s in sorted(file_seqs)) or "-"
    audit.record(
        session,
        action="redaction.add",
        actor_id=actor.reviewer.id,
        case_id=case.id,
        detail=f"item={item.seq} phrases={len(chosen)} files={files}",
    )
    return item.seq


def lift_redaction(session: Session, *, actor: Actor, case_id: str, redaction_seq: int) -> None:
    """Lift redaction `redaction_seq`: allowed to any holder of the case except its author (four eyes)."""
    case, team_key = team_key_for(session, actor=actor, case_id=case_id)
    try:
        redactions = {r.seq: r for r in all_redactions(session, case=case, team_key=team_key)}
    except RedactionTampered:
        raise RedactionRefused("tampered") from None
    target = redactions.get(redaction_seq)
    if target is None:
        raise RedactionRefused("unknown_item")
    if target.lifted:
        raise RedactionRefused("lifted")
    if target.author_id == actor.reviewer.id:
        raise RedactionRefused("own")
    content = {"by": actor.reviewer.id, "lifts": target.seq}
    item = add_item(
        session,
        case=case,
        key=team_key,
        key_kind="team",
        kind=LIFT_KIND,
        author="team",
        plaintext=json.dumps(content).encode("utf-8"),
        seq=next_seq(session, case),
        reviewer_id=actor.reviewer.id,
    )
    session.flush()
    audit.record(
        session,
        action="redaction.lift",
        actor_id=actor.reviewer.id,
        case_id=case.id,
        detail=f"item={item.seq} of={target.seq}",
    )
