"""cases.triage.reading: a reviewer sees and reads only the cases sealed to them."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import CaseNotFound
from cases.models import AuditEvent, Case, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.triage.case_list import CaseFilter, list_cases
from cases.triage.reading import read_case
from crypto.keys import KeyPair
from tests.domain import account, as_actor, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"


def _active(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username)  # a verified reader (four eyes: see test_membership.py)
    return holder.reviewer, holder.keypair


def _submit(session: Session, config: Config, what: str, *, hours_ago: int = 0) -> str:
    category, opd = active_categories(session)[0], active_opds(session)[0]
    case_id = submit_report(
        session,
        category_id=category.id,
        opd_id=opd.id,
        content=ReportContent(what=what),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    case = session.get(Case, case_id)
    assert case is not None
    case.received_at -= timedelta(hours=hours_ago)
    session.commit()
    return case_id


def test_list_shows_only_sealed_cases_newest_first(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a reviewer and three cases received at different hours
    rina, _ = _active(session, "rina")
    oldest = _submit(session, config, "satu", hours_ago=5)
    newest = _submit(session, config, "dua")
    middle = _submit(session, config, "tiga", hours_ago=2)
    session.expire_all()
    # when the reviewer lists cases
    listed = list_cases(session, reviewer=rina, filters=CaseFilter(sort="newest")).rows
    # then all three appear, newest first, with their routing data
    assert [c.id for c in listed] == [newest, middle, oldest]
    category, opd = active_categories(session)[0], active_opds(session)[0]
    assert all(c.category_name_id == category.name_id and c.opd_name == opd.name and c.status == "new" for c in listed)
    assert listed[0].first_response_due - listed[0].received_at == timedelta(hours=24)


def test_list_respects_the_limit(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a reviewer and three cases, when listing with limit 2, then the two newest come back
    rina, _ = _active(session, "rina")
    ids = [_submit(session, config, str(n), hours_ago=n) for n in (3, 2, 1)]
    assert [c.id for c in list_cases(session, reviewer=rina, limit=2, filters=CaseFilter(sort="newest")).rows] == [
        ids[2],
        ids[1],
    ]


def test_reviewer_added_after_a_case_does_not_see_or_read_it(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case submitted while only rina was active, and joko activated afterwards
    _active(session, "rina")
    early = _submit(session, config, "sebelum joko")
    joko, joko_keys = _active(session, "joko")
    later = _submit(session, config, "sesudah joko")
    # when joko lists and reads cases
    listed = [c.id for c in list_cases(session, reviewer=joko).rows]
    # then he sees only the later case, and reading the early one looks like it does not exist
    assert listed == [later]
    with pytest.raises(CaseNotFound):
        read_case(
            session,
            actor=as_actor(joko, joko_keys.private),
            case_id=early,
        )
    assert (
        read_case(
            session,
            actor=as_actor(joko, joko_keys.private),
            case_id=later,
        ).report.what
        == "sesudah joko"
    )


def test_pending_reviewer_lists_nothing(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case and a reviewer still pending, then the pending reviewer's list is empty
    pending, _ = account(session, username="joko", display_name="Joko")
    _active(session, "rina")
    _submit(session, config, "ada kasus")
    assert list_cases(session, reviewer=pending).rows == []


def test_read_case_for_nonexistent_id_is_not_found(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a reviewer, when a case id that does not exist is read, then CaseNotFound
    rina, keys = _active(session, "rina")
    _submit(session, config, "ada kasus")
    with pytest.raises(CaseNotFound):
        read_case(
            session,
            actor=as_actor(rina, keys.private),
            case_id="0" * 20,
        )


def test_read_case_decrypts_the_report(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a reviewer and a case, when the case is read
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config, "Setoran Rp500.000 tiap awal bulan")
    detail = read_case(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    # then the summary and the decrypted report come back
    assert detail.summary.id == case_id and detail.summary.status == "new"
    assert detail.report == ReportContent(what="Setoran Rp500.000 tiap awal bulan")


def test_read_case_records_a_view_event(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a reviewer and a case
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config, "ada kasus")
    # when the reviewer reads the case
    read_case(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    session.commit()
    # then a 'case.view' event names the reviewer and the case
    views = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.view")).all()
    assert [(e.actor_id, e.case_id) for e in views] == [(rina.id, case_id)]


def test_failed_read_records_no_view_event(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case not sealed to joko, when he tries to read it, then no view is recorded
    _active(session, "rina")
    case_id = _submit(session, config, "ada kasus")
    joko, keys = _active(session, "joko")
    with pytest.raises(CaseNotFound):
        read_case(
            session,
            actor=as_actor(joko, keys.private),
            case_id=case_id,
        )
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "case.view")).all() == []
