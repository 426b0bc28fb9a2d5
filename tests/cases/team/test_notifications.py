"""Notifications say only "there is new activity": who is told, when, and what happens on failure."""

import logging
import smtplib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cases.evidence.store import Limits
from cases.models import Case, CaseRead, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.seed import active_opds
from cases.reporting.conversation import reporter_adds
from cases.reporting.visits import Visit
from cases.team.errors import InvalidEmail
from cases.team.grants import open_reviewer_key
from cases.team.membership import add_affiliation
from cases.team.notifications import NoticeText, send_due, set_email
from crypto.keys import KeyPair
from tests.domain import activated, as_actor, events, founder, signing_of, submit_case

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
TEXT = NoticeText(subject="New activity", body="There is new activity.")
HOUR = timedelta(hours=1)


class RecordingSender:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.sent: list[str] = []
        self.failing = failing or set()

    def send(self, *, to: str, subject: str, body: str) -> None:
        if to in self.failing:  # what smtplib raises for a rejected recipient: it quotes the address
            raise smtplib.SMTPRecipientsRefused({to: (550, f"<{to}>: Recipient address rejected".encode())})
        self.sent.append(to)


def _reviewer(session: Session, username: str, *, email: str = "", approved: bool = True) -> tuple[Reviewer, KeyPair]:
    if approved:
        holder = founder(session, username, email=email, display_name=username.title())
    else:
        holder = activated(session, username, email=email)
    session.commit()
    return holder.reviewer, holder.keypair


@pytest.fixture
def sessions(engine: Engine, config: Config, recovery_secret: bytes) -> sessionmaker[Session]:
    return make_session_factory(engine, config.trust())


def _next_hour() -> datetime:
    return to_hour(utc_now()) + HOUR


def test_a_submission_marks_only_key_holders_who_have_an_address(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a key holder with an address, one recused from the unit, one without an address, one not yet approved
    opd = active_opds(session)[0]
    holder, _ = _reviewer(session, "ana", email="ana@pemda.example")
    recused, _ = _reviewer(session, "budi", email="budi@pemda.example")
    add_affiliation(
        session,
        actor=as_actor(holder, signing=signing_of(session, holder)),
        reviewer=recused,
        opd_id=opd.id,
        kind="conflict",
    )
    silent, _ = _reviewer(session, "citra")
    waiting, _ = _reviewer(session, "dewi", email="dewi@pemda.example", approved=False)

    # when a report about that unit arrives
    submit_case(session, config, "Setoran bulanan", opd)

    # then only the key holder with an address is marked, and only from the next full hour
    session.expire_all()
    assert holder.notify_after == _next_hour()
    assert recused.notify_after is None and silent.notify_after is None and waiting.notify_after is None


def test_the_mail_waits_for_the_hour_and_goes_at_most_once_per_interval(
    session: Session, config: Config, sessions: sessionmaker[Session]
) -> None:
    opd = active_opds(session)[0]
    ana, _ = _reviewer(session, "ana", email="ana@pemda.example")
    sender = RecordingSender()
    submit_case(session, config, "Laporan pertama", opd)
    due = _next_hour()

    # before the next full hour nothing goes out: the mail's timing does not mirror the submission
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due - timedelta(minutes=1)).sent == 0
    # at the hour, one mail
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due).sent == 1
    assert sender.sent == ["ana@pemda.example"]

    # when more reports arrive, the next mail waits for the interval since the last one
    submit_case(session, config, "Laporan kedua", opd)
    submit_case(session, config, "Laporan ketiga", opd)
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due + timedelta(minutes=59)).sent == 0
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due + HOUR).sent == 1
    # and with nothing new, nothing more
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due + 3 * HOUR).sent == 0
    assert sender.sent == ["ana@pemda.example"] * 2


def test_a_reviewer_who_has_read_everything_gets_nothing(
    session: Session, config: Config, sessions: sessionmaker[Session]
) -> None:
    opd = active_opds(session)[0]
    ana, _ = _reviewer(session, "ana", email="ana@pemda.example")
    case_id = submit_case(session, config, "Laporan", opd)
    case = session.get(Case, case_id)
    session.add(CaseRead(reviewer_id=ana.id, case_id=case_id, seen_seq=case.reporter_seq))
    session.commit()

    sender = RecordingSender()
    report = send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=_next_hour())
    assert (report.sent, report.skipped, sender.sent) == (0, 1, [])
    session.expire_all()
    assert ana.notify_after is None


def test_recusal_after_the_mark_means_no_mail_about_that_case(
    session: Session, config: Config, sessions: sessionmaker[Session]
) -> None:
    opd = active_opds(session)[0]
    ana, _ = _reviewer(session, "ana", email="ana@pemda.example")
    submit_case(session, config, "Laporan", opd)
    add_affiliation(
        session, actor=as_actor(ana, signing=signing_of(session, ana)), reviewer=ana, opd_id=opd.id, kind="conflict"
    )  # grants go with it
    session.commit()

    sender = RecordingSender()
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=_next_hour()).sent == 0
    assert sender.sent == []


def test_a_reporter_message_marks_the_key_holders_again(
    session: Session, config: Config, sessions: sessionmaker[Session]
) -> None:
    opd = active_opds(session)[0]
    ana, keys = _reviewer(session, "ana", email="ana@pemda.example")
    case_id = submit_case(session, config, "Laporan", opd)
    send_due(sessions, sender=RecordingSender(), text=TEXT, interval=HOUR, now=_next_hour())
    session.expire_all()
    assert ana.notify_after is None

    # when the reporter adds a message
    case = session.get(Case, case_id)
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=ana,
        private_key=keys.private,
    )
    reporter_adds(session, visit=Visit(case, case_key), text="Ada bukti tambahan.", files=[], limits=Limits())
    session.commit()

    # then the key holder is marked again
    session.expire_all()
    assert ana.notify_after == _next_hour()


def test_a_failure_is_logged_without_the_address_and_retried(
    session: Session, config: Config, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    opd = active_opds(session)[0]
    ana, _ = _reviewer(session, "ana", email="ana@pemda.example")
    submit_case(session, config, "Laporan rahasia kanari-4711", opd)
    due = _next_hour()

    # when the relay rejects the mail
    with caplog.at_level(logging.WARNING, logger="cases.team.notifications"):
        report = send_due(
            sessions, sender=RecordingSender(failing={"ana@pemda.example"}), text=TEXT, interval=HOUR, now=due
        )

    # then it is logged with the reviewer's id, never the address or any content, and the mark stays
    assert report.failed == 1
    assert ana.id in caplog.text
    assert "pemda.example" not in caplog.text and "kanari" not in caplog.text and "@" not in caplog.text
    # and the next run delivers it
    sender = RecordingSender()
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=due + timedelta(minutes=5)).sent == 1
    assert sender.sent == ["ana@pemda.example"]


def test_disabled_and_addressless_reviewers_are_never_mailed(
    session: Session, config: Config, sessions: sessionmaker[Session]
) -> None:
    opd = active_opds(session)[0]
    ana, _ = _reviewer(session, "ana", email="ana@pemda.example")
    submit_case(session, config, "Laporan", opd)
    set_email(session, actor_id=ana.id, reviewer=ana, email="")  # turned off after the mark
    session.commit()
    sender = RecordingSender()
    assert send_due(sessions, sender=sender, text=TEXT, interval=HOUR, now=_next_hour()).sent == 0
    assert sender.sent == []


def test_an_address_is_checked_and_kept_out_of_the_audit_log(session: Session, recovery_secret: bytes) -> None:
    ana, _ = _reviewer(session, "ana")
    for bad in ("not-an-address", "a@b", "ana@pemda.example\nBcc: x@y.example", "x" * 250 + "@a.id"):
        with pytest.raises(InvalidEmail):
            set_email(session, actor_id=ana.id, reviewer=ana, email=bad)
    set_email(session, actor_id=ana.id, reviewer=ana, email=" ana@pemda.example ")
    assert ana.email == "ana@pemda.example"
    assert all("pemda" not in event.detail for event in events(session, "account.email"))
