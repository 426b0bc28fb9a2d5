"""The thread between reporter and team: messages and evidence files.

Every entry is an item encrypted under the case key, numbered by `seq`.
Authorship (reporter / team) is stored; which reviewer wrote is stored for the
team and never shown to the reporter.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.errors import ItemTampered
from cases.evidence.store import AttachmentInfo, Limits, PreparedFile, attachment_info, check_quota, store_file
from cases.items import add_item, next_seq, open_item
from cases.models import Attachment, Case, CaseItem, CaseStatus, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.reporting.errors import CaseClosed, EmptyMessage
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_key
from cases.team.notifications import mark_activity
from cases.triage.deadlines import DeadlineRules, team_contacted_reporter

MAX_MESSAGE_CHARS = 20000
Audience = Literal["reporter", "team"]

if TYPE_CHECKING:
    from cases.reporting.visits import Visit


@dataclass(frozen=True)
class ThreadEntry:
    """One item of the thread. When `tampered`, it failed its integrity check: `text` and
    `attachment` are None, and `kind` and `author` are only what the (changed) row claims."""

    seq: int
    kind: str  # "message" or "attachment"
    author: str  # "reporter" or "team"
    reviewer_name: str | None  # team audience only
    created_at: datetime
    text: str | None
    attachment: AttachmentInfo | None
    tampered: bool = False


def _add_message(
    session: Session, *, case: Case, case_key: bytes, author: str, text: str, reviewer_id: str | None = None
) -> CaseItem:
    return add_item(
        session,
        case=case,
        key=case_key,
        key_kind="case",
        kind="message",
        author=author,
        plaintext=text.encode("utf-8"),
        seq=next_seq(session, case),
        reviewer_id=reviewer_id,
    )


def reporter_adds(
    session: Session, *, visit: "Visit", text: str, files: list[PreparedFile], limits: Limits
) -> list[AttachmentInfo]:
    """The reporter replies and/or adds evidence, all or nothing."""
    case, case_key = visit.case, visit._case_key
    text = text.strip()
    if case.status in CaseStatus.CONCLUDED:
        raise CaseClosed()
    if not text and not files:
        raise EmptyMessage()
    check_quota(session, case_id=case.id, files=files, limits=limits)
    if text:
        _add_message(session, case=case, case_key=case_key, author="reporter", text=text[:MAX_MESSAGE_CHARS])
    stored = [
        store_file(
            session, case=case, case_key=case_key, prepared=prepared, author="reporter", seq=next_seq(session, case)
        )
        for prepared in files
    ]
    case.reporter_seq = case.item_seq
    case.updated_at = to_hour(utc_now())
    session.flush()
    mark_activity(session, case_id=case.id)
    return stored


def may_reply(session: Session, *, actor: Actor, case_id: str) -> None:
    """Raises CaseNotFound unless `actor` could send a reply to this case (the same key check as
    `team_replies`): the confirm page of a reply exists only for a case the reviewer reads."""
    open_reviewer_key(session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key())


def team_replies(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    text: str,
    rules: DeadlineRules | None = None,
) -> None:
    """A reviewer writes to the reporter (raises CaseNotFound without a grant)."""
    reviewer, private_key = actor.reviewer, actor.private_key()
    text = text.strip()
    if not text:
        raise EmptyMessage()
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=private_key)
    case = session.get(Case, case_id)
    assert case is not None  # a grant exists, so the case does
    _add_message(
        session, case=case, case_key=case_key, author="team", text=text[:MAX_MESSAGE_CHARS], reviewer_id=reviewer.id
    )
    now = utc_now()
    case.updated_at = to_hour(now)  # the hour only, like every plaintext time (DESIGN.md §3)
    team_contacted_reporter(case, now, rules or DeadlineRules())
    session.flush()
    audit.record(session, action="message.send", actor_id=reviewer.id, case_id=case_id)


REPORTER_KINDS = ("message", "attachment", "outcome")
TEAM_ONLY_KINDS = ("note", "status_note")


def thread(
    session: Session, *, case: Case, case_key: bytes, audience: Audience, team_key: bytes | None = None
) -> list[ThreadEntry]:
    """Everything after the report, oldest first.

    The reporter sees messages, files and outcomes (case key). The team also
    sees internal notes and status reasons (team key) when `team_key` is given.
    """
    kinds = REPORTER_KINDS + (TEAM_ONLY_KINDS if audience == "team" and team_key is not None else ())
    rows = session.execute(
        select(CaseItem, Reviewer.display_name, Attachment.id)
        .outerjoin(Reviewer, CaseItem.reviewer_id == Reviewer.id)
        .outerjoin(Attachment, Attachment.item_id == CaseItem.id)
        .where(CaseItem.case_id == case.id, CaseItem.kind.in_(kinds))
        .order_by(CaseItem.seq)
    ).all()
    entries = []
    for item, reviewer_name, attachment_id in rows:
        key = case_key if item.key_kind == "case" else team_key
        if key is None or (audience == "reporter" and item.key_kind != "case"):
            continue  # never decrypt, or show, a team-key item to the reporter
        text, attachment, tampered = None, None, False
        try:
            if item.kind == "attachment":
                attachment = attachment_info(item, key, attachment_id=attachment_id)
            else:
                text = open_item(item, key, attachment_id=attachment_id).decode("utf-8")
        except ItemTampered:
            tampered = True  # shown as such, never as content under a label a database writer chose
        entries.append(
            ThreadEntry(
                seq=item.seq,
                kind=item.kind,
                author=item.author,
                reviewer_name=reviewer_name if audience == "team" else None,
                created_at=item.created_at,
                text=text,
                attachment=attachment,
                tampered=tampered,
            )
        )
    return entries
