"""cases.reporting.retaliation: a retaliation report is its own case, linked both ways, sealed for its unit."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import CaseNotFound
from cases.models import Case, CaseLink, Category
from cases.platform.config import Config
from cases.platform.seed import RETALIATION, active_categories, active_opds
from cases.reporting.errors import ReceiptNotRecognised, UnknownChoice
from cases.reporting.links import RETALIATED_REPORT, RETALIATION_REPORT, linked_cases
from cases.reporting.report_content import ReportContent
from cases.reporting.retaliation import earlier_report, report_retaliation
from cases.reporting.submission import submit_report
from cases.team.membership import add_affiliation
from cases.triage.reading import read_case
from tests.domain import founder, report


def _original(session: Session, config: Config, opd: int = 1) -> Case:
    content = ReportContent(what="Kepala bidang meminta setoran setiap bulan.")
    submitted = report(session, config, content, opd=active_opds(session)[opd])
    case = session.get(Case, submitted.case_id)
    assert case is not None
    return case


def test_a_retaliation_report_is_linked_both_ways_and_starts_its_24_hour_clock(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a report, and a province that configured 72 hours for ordinary first responses
    original = _original(session, config)
    # when its reporter reports that they were moved to another section
    submitted = report_retaliation(
        session,
        original=original,
        opd_id=None,
        content=ReportContent(what="Saya dimutasi ke bagian arsip seminggu setelah melapor.", when="Maret"),
        receipt_key=config.receipt_key_bytes,
        first_response_hours=72,
    )
    # then it is a case of its own: retaliation category, high priority, first response due 24 hours after receipt
    case = session.get(Case, submitted.case_id)
    assert case is not None and case.id != original.id
    assert case.category.code == RETALIATION and case.priority == "high"
    assert case.first_response_due == case.received_at + timedelta(hours=24)
    assert case.opd_id == original.opd_id  # the original's unit unless the reporter names another
    # and one link row, read from either side
    assert session.scalars(select(CaseLink)).all()[0].linked_case_id == original.id
    (forward,) = linked_cases(session, case_id=original.id)
    (back,) = linked_cases(session, case_id=case.id)
    assert (forward.case_id, forward.role) == (case.id, RETALIATION_REPORT)
    assert (back.case_id, back.role, back.status) == (original.id, RETALIATED_REPORT, "new")
    assert forward.category_name_id == "Pembalasan terhadap pelapor"
    # and the new report has its own receipt, which opens it
    assert (
        submitted.receipt
        and earlier_report(session, receipt_text=submitted.receipt, receipt_key=config.receipt_key_bytes) is case
    )


def test_the_ordinary_form_can_never_file_a_report_in_the_retaliation_category(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    retaliation = session.scalars(select(Category).where(Category.code == RETALIATION)).one()
    assert retaliation.active and retaliation not in active_categories(session)
    with pytest.raises(UnknownChoice):
        submit_report(
            session,
            category_id=retaliation.id,
            opd_id=active_opds(session)[0].id,
            content=ReportContent(what="Laporan pembalasan tanpa laporan awal."),
            receipt_key=config.receipt_key_bytes,
        )


def test_an_unknown_earlier_receipt_opens_nothing(session: Session, config: Config, recovery_secret: bytes) -> None:
    _original(session, config)
    for text in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "bukan kode", ""):
        with pytest.raises(ReceiptNotRecognised):
            earlier_report(session, receipt_text=text, receipt_key=config.receipt_key_bytes)


def test_a_recused_reviewer_cannot_read_a_retaliation_report_nor_learn_of_its_link(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given rina, and joko who is conflicted with unit 0
    rina, joko = founder(session, "rina"), founder(session, "joko")
    add_affiliation(
        session, actor=joko.actor, reviewer=joko.reviewer, opd_id=active_opds(session)[0].id, kind="conflict"
    )
    # and a report about unit 1 whose reporter then reports retaliation from unit 0
    original = _original(session, config, opd=1)
    submitted = report_retaliation(
        session,
        original=original,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what="Nilai SKP saya diturunkan oleh kepala dinas setelah melapor."),
        receipt_key=config.receipt_key_bytes,
    )
    # then the retaliation report is sealed like any case of unit 0: joko cannot read it
    with pytest.raises(CaseNotFound):
        read_case(session, actor=joko.actor, case_id=submitted.case_id)
    # and joko, reading the original, is not shown the link; rina sees it from both sides
    assert read_case(session, actor=joko.actor, case_id=original.id).links == ()
    assert [link.case_id for link in read_case(session, actor=rina.actor, case_id=original.id).links] == [
        submitted.case_id
    ]
    assert [link.case_id for link in read_case(session, actor=rina.actor, case_id=submitted.case_id).links] == [
        original.id
    ]


def test_a_reviewer_recused_from_the_first_reports_unit_reads_no_retaliation_report_about_it(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    """Joko works in unit 0, whose setoran report he cannot read. Its reporter is moved to unit 1 and
    reports retaliation about unit 1: Joko is recused from that report too (it tells of unit 0's report
    and of the reporter's new post), at submission, when keys are passed on, and with the recovery key;
    and he is not told that a case waits for him (review finding)."""
    from cases.models import KeyGrant
    from cases.team.grants import regrant_from, waiting_for_keys
    from cases.team.recovery_keys import reseal_with_recovery

    rina, joko = founder(session, "rina"), founder(session, "joko")
    add_affiliation(session, actor=joko.actor, reviewer=joko.reviewer, opd_id=active_opds(session)[0].id, kind="member")
    original = _original(session, config, opd=0)
    submitted = report_retaliation(
        session,
        original=original,
        opd_id=active_opds(session)[1].id,
        content=ReportContent(what="Setelah saya melaporkan setoran di unit 0, saya dimutasi ke unit 1."),
        receipt_key=config.receipt_key_bytes,
    )
    with pytest.raises(CaseNotFound):
        read_case(session, actor=joko.actor, case_id=submitted.case_id)
    assert read_case(session, actor=rina.actor, case_id=submitted.case_id).report is not None
    # a key holder's catch-up does not pass it to him (his flag set as after a lifted recusal elsewhere)
    joko.reviewer.needs_grants = True
    regrant_from(session, actor=rina.actor)
    held = session.scalars(select(KeyGrant.case_id).where(KeyGrant.reviewer_id == joko.reviewer.id)).all()
    assert submitted.case_id not in held
    # nor does the recovery key
    reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko.reviewer)
    held = session.scalars(select(KeyGrant.case_id).where(KeyGrant.reviewer_id == joko.reviewer.id)).all()
    assert submitted.case_id not in held and original.id not in held
    waiting = waiting_for_keys(session, joko.reviewer)
    assert waiting is not None and waiting.total == 0  # nothing tells him a case exists


def test_retaliation_reported_from_a_retaliation_report_follows_the_first_report(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    founder(session, "rina")
    original = _original(session, config, opd=0)
    content = ReportContent(what="Setelah saya melaporkan setoran, saya dimutasi ke bagian arsip.")
    first = report_retaliation(
        session, original=original, opd_id=None, content=content, receipt_key=config.receipt_key_bytes
    )
    again = report_retaliation(
        session,
        original=session.get(Case, first.case_id),  # reported from the retaliation report's own page
        opd_id=None,
        content=content,
        receipt_key=config.receipt_key_bytes,
    )
    link = session.get(CaseLink, (again.case_id, original.id))
    assert link is not None  # one deep: the first report's recusals reach it
