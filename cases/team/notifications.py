"""Content-free notifications: "there is new activity", and nothing more.

A reporter's action never sends mail. It only marks each reviewer who holds the
case's keys (and has an address) with the hour from which there is something to
tell: `Reviewer.notify_after`, the *next* full hour. A scheduled command
(`flask --app wsgi:review notify`, every few minutes) mails each marked reviewer
at most once per interval. So:

- the mail says nothing: a fixed text, no case id, category, unit or count;
- its timing reveals at most the hour of the activity, no finer than
  `Case.received_at` already does, whatever the cron granularity;
- recused reviewers and reviewers without grants are never marked (keys are
  sealed only to eligible reviewers), and a reviewer who has read every case by
  send time gets nothing;
- what is stored is two hours per reviewer (from when to tell, and when last told, rounded
  up), overwritten, no history.

Why a mark rather than computing "unread cases" at send time alone: an unread
case would then trigger a reminder every interval forever, unless we kept a
per-case "already told" record, which stores more.

Failures are logged with the reviewer's id and the error's type only (an SMTP
error can quote the address), and the mark stays, so the next run retries.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from cases.accountability import audit
from cases.models import Case, CaseRead, KeyGrant, Reviewer
from cases.platform.clock import to_hour, to_next_hour, utc_now
from cases.team.errors import InvalidEmail

logger = logging.getLogger(__name__)

MAX_EMAIL_CHARS = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NoticeText:
    """The one message every notification carries, in the installation's language."""

    subject: str
    body: str


class Sender(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver one message; raise OSError (smtplib's errors are OSErrors) on failure."""


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # marked, but everything was read before the mail went out


def set_email(session: Session, *, actor_id: str | None, reviewer: Reviewer, email: str) -> None:
    """Set (or, with "", clear) where `reviewer` is told about new activity."""
    email = email.strip()
    if email and (len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email)):
        raise InvalidEmail()
    reviewer.email = email or None
    if not email:
        reviewer.notify_after = None
    session.flush()
    # The address itself stays out of the append-only log.
    audit.record(
        session,
        action="account.email",
        actor_id=actor_id,
        detail=f"reviewer={reviewer.id} {'set' if email else 'cleared'}",
    )


def mark_activity(session: Session, *, case_id: str, now: datetime | None = None) -> None:
    """A reporter acted on `case_id`: mark everyone holding its keys as having news."""
    after = to_hour(now or utc_now()) + timedelta(hours=1)
    holders = select(KeyGrant.reviewer_id).where(KeyGrant.case_id == case_id, KeyGrant.reviewer_id.is_not(None))
    # An existing mark is never later than this one (hours only move forward): keep it.
    session.execute(
        update(Reviewer)
        .where(Reviewer.id.in_(holders), Reviewer.email.is_not(None), Reviewer.notify_after.is_(None))
        .values(notify_after=after)
    )


def _has_unread(session: Session, reviewer_id: str) -> bool:
    unread = (
        select(KeyGrant.case_id)
        .join(Case, Case.id == KeyGrant.case_id)
        .outerjoin(CaseRead, and_(CaseRead.case_id == Case.id, CaseRead.reviewer_id == reviewer_id))
        .where(KeyGrant.reviewer_id == reviewer_id, Case.reporter_seq > func.coalesce(CaseRead.seen_seq, 0))
    )
    return bool(session.scalar(select(exists(unread))))


def _is_due(reviewer: Reviewer, now: datetime, interval: timedelta) -> bool:
    return (
        reviewer.notify_after is not None
        and reviewer.notify_after <= now
        and reviewer.email is not None
        and reviewer.state == "active"
        and reviewer.disabled_at is None
        and (reviewer.notified_at is None or reviewer.notified_at <= now - interval)
    )


def due_reviewers(session: Session, *, interval: timedelta, now: datetime | None = None) -> list[str]:
    now = now or utc_now()
    return list(
        session.scalars(
            select(Reviewer.id)
            .where(
                Reviewer.notify_after <= now,
                Reviewer.email.is_not(None),
                Reviewer.state == "active",
                Reviewer.disabled_at.is_(None),
                (Reviewer.notified_at.is_(None)) | (Reviewer.notified_at <= now - interval),
            )
            .order_by(Reviewer.id)
        )
    )


def notify_reviewer(
    session: Session,
    *,
    reviewer_id: str,
    sender: Sender,
    text: NoticeText,
    interval: timedelta,
    now: datetime | None = None,
) -> str:
    """Tell one due reviewer; returns "sent", "failed", "skipped" or "not_due"."""
    now = now or utc_now()
    reviewer = session.get(Reviewer, reviewer_id, with_for_update=True)  # two overlapping runs send once
    if reviewer is None or not _is_due(reviewer, now, interval):
        return "not_due"
    if not _has_unread(session, reviewer.id):
        reviewer.notify_after = None
        session.flush()
        return "skipped"
    try:
        sender.send(to=reviewer.email or "", subject=text.subject, body=text.body)
    except OSError as error:
        logger.warning(
            "Notification for reviewer %s not sent (%s); the next run retries.", reviewer.id, type(error).__name__
        )
        return "failed"
    # rounded up: the hour, like every plaintext time, and never a second mail sooner than the interval
    reviewer.notify_after, reviewer.notified_at = None, to_next_hour(now)
    session.flush()
    return "sent"


def send_due(
    sessions: sessionmaker[Session],
    *,
    sender: Sender,
    text: NoticeText,
    interval: timedelta,
    now: datetime | None = None,
) -> SendReport:
    """One notification run: each due reviewer in its own transaction, so a crash never repeats a mail."""
    now = now or utc_now()
    with sessions() as session:
        reviewer_ids = due_reviewers(session, interval=interval, now=now)
    outcomes: list[str] = []
    for reviewer_id in reviewer_ids:
        with sessions() as session, session.begin():
            outcomes.append(
                notify_reviewer(session, reviewer_id=reviewer_id, sender=sender, text=text, interval=interval, now=now)
            )
    return SendReport(sent=outcomes.count("sent"), failed=outcomes.count("failed"), skipped=outcomes.count("skipped"))
