"""cases.reporting.submission: one case, one encrypted report item, and its grants."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases.items import open_item
from cases.models import Base, Case, CaseItem, Category, KeyGrant, Opd, RecoveryKey, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds, load_seed
from cases.reporting import submission
from cases.reporting.errors import RecoveryKeyMissing, UnknownChoice
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import SubmittedReport, submit_report
from cases.team.accounts import activate
from crypto import receipts
from crypto.keys import KeyPair, open_grant
from crypto.recovery import recovery_keypair
from tests.conftest import CHEAP_KDF
from tests.domain import account, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
CONTENT = ReportContent(what="Kasubbag meminta setoran tiap bulan.", who="Kasubbag Umum", amount_rupiah=500000)


def _submit(session: Session, config: Config, *, content: ReportContent = CONTENT, hours: int = 24) -> SubmittedReport:
    category, opd = active_categories(session)[0], active_opds(session)[0]
    return submit_report(
        session,
        category_id=category.id,
        opd_id=opd.id,
        content=content,
        receipt_key=config.receipt_key_bytes,
        first_response_hours=hours,
    )


def _active_reviewer(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username)  # a verified reader (four eyes: see test_membership.py)
    return holder.reviewer, holder.keypair


def _grants(session: Session, case_id: str, key_kind: str) -> list[KeyGrant]:
    return list(session.scalars(select(KeyGrant).where(KeyGrant.case_id == case_id, KeyGrant.key_kind == key_kind)))


def _recovery_id(session: Session) -> str:
    return session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))).one().recipient_id


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_new_case_is_new_with_hour_rounded_times_and_deadline(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a clock at 14:37:12.345678
    monkeypatch.setattr(submission, "utc_now", lambda: datetime(2024, 5, 6, 14, 37, 12, 345678))
    # when a report is submitted with a 72-hour first-response SLA and read back from the database
    case_id = _submit(session, config, hours=72).case_id
    session.commit()
    session.expire_all()
    case = session.get(Case, case_id)
    # then status is new, timestamps are rounded down to the hour and the deadline follows
    assert case is not None and case.status == "new"
    assert case.received_at == case.updated_at == datetime(2024, 5, 6, 14)
    assert case.first_response_due == datetime(2024, 5, 6, 14) + timedelta(hours=72)
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)).one()
    assert item.created_at == datetime(2024, 5, 6, 14)


def test_real_clock_submission_has_no_minutes_seconds_or_microseconds(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given the real clock, when a report is submitted
    case = session.get(Case, _submit(session, config).case_id)
    # then nothing finer than the hour is kept, and the default SLA is 24 hours
    assert case is not None
    for moment in (case.received_at, case.updated_at, case.first_response_due):
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
    assert case.first_response_due - case.received_at == timedelta(hours=24)


def test_case_key_is_sealed_to_reporter_recovery_and_each_active_reviewer(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given two active reviewers with key pairs
    rina, rina_keys = _active_reviewer(session, "rina")
    joko, joko_keys = _active_reviewer(session, "joko")
    # when a report is submitted
    report = _submit(session, config)
    case = session.get(Case, report.case_id)
    assert case is not None
    # then the case key has exactly one grant per recipient
    grants = {g.recipient_id: g for g in _grants(session, case.id, "case")}
    assert set(grants) == {f"reporter:{case.id}", _recovery_id(session), rina.recipient_id, joko.recipient_id}
    assert grants[rina.recipient_id].reviewer_id == rina.id and grants[rina.recipient_id].recipient_kind == "reviewer"
    # and every recipient opens the same key
    reporter = receipts.reporter_keypair(report.receipt, salt=case.reporter_salt)
    opened = {
        open_grant(grants[rid].sealed, recipient_private=private, case_id=case.id, key_kind="case", recipient_id=rid)
        for rid, private in (
            (f"reporter:{case.id}", reporter.private),
            (_recovery_id(session), recovery_keypair(recovery_secret).private),
            (rina.recipient_id, rina_keys.private),
            (joko.recipient_id, joko_keys.private),
        )
    }
    assert len(opened) == 1 and len(opened.pop()) == 32


def test_team_key_is_never_sealed_to_the_reporter(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given one active reviewer
    rina, rina_keys = _active_reviewer(session, "rina")
    # when a report is submitted
    case_id = _submit(session, config).case_id
    # then the team key goes to recovery and the reviewer only
    team = {g.recipient_id: g for g in _grants(session, case_id, "team")}
    assert set(team) == {_recovery_id(session), rina.recipient_id}
    assert all(g.recipient_kind != "reporter" for g in team.values())
    # and it is a different key from the case key
    team_key = open_grant(
        team[rina.recipient_id].sealed,
        recipient_private=rina_keys.private,
        case_id=case_id,
        key_kind="team",
        recipient_id=rina.recipient_id,
    )
    case_grant = next(g for g in _grants(session, case_id, "case") if g.recipient_id == rina.recipient_id)
    case_key = open_grant(
        case_grant.sealed,
        recipient_private=rina_keys.private,
        case_id=case_id,
        key_kind="case",
        recipient_id=rina.recipient_id,
    )
    assert team_key != case_key


def test_recovery_secret_decrypts_the_report_back_to_the_same_content(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a submitted report
    case_id = _submit(session, config).case_id
    session.commit()
    # when the organisation opens its case-key grant with the offline master secret
    recovery_id = _recovery_id(session)
    grant = next(g for g in _grants(session, case_id, "case") if g.recipient_id == recovery_id)
    case_key = open_grant(
        grant.sealed,
        recipient_private=recovery_keypair(recovery_secret).private,
        case_id=case_id,
        key_kind="case",
        recipient_id=recovery_id,
    )
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)).one()
    # then the report item decrypts to exactly what was submitted
    plaintext = open_item(item, case_key)
    assert ReportContent.from_bytes(plaintext) == CONTENT
    assert (item.kind, item.author, item.key_kind) == ("report", "reporter", "case")
    assert CONTENT.what.encode() not in item.ciphertext


def test_receipt_is_stored_nowhere_only_its_keyed_hash(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a submitted report, committed
    report = _submit(session, config)
    session.commit()
    case = session.get(Case, report.case_id)
    assert case is not None
    # then the case keeps only the 32-byte HMAC of the receipt
    assert case.receipt_lookup == receipts.lookup_hash(report.receipt, server_key=config.receipt_key_bytes)
    assert len(case.receipt_lookup) == 32
    # and no column of any row of any table contains the receipt, with or without dashes
    forms = {report.receipt, report.receipt.replace("-", ""), report.receipt.lower()}
    for table in Base.metadata.sorted_tables:
        for row in session.execute(table.select()):
            for value in row:
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                assert not any(form in text for form in forms), table.name


@pytest.mark.parametrize("which", ["unknown_category", "retired_category", "unknown_opd", "retired_opd"])
def test_unknown_or_retired_category_or_opd_is_refused(
    session: Session, config: Config, recovery_secret: bytes, which: str
) -> None:
    # given a valid category and OPD, one of which is then made unknown or retired
    category_id, opd_id = active_categories(session)[0].id, active_opds(session)[0].id
    if which == "unknown_category":
        category_id = 99999
    elif which == "unknown_opd":
        opd_id = 99999
    elif which == "retired_category":
        session.execute(update(Category).where(Category.id == category_id).values(active=False))
    else:
        session.execute(update(Opd).where(Opd.id == opd_id).values(active=False))
    # when a report is submitted, then it is refused and no case is created
    with pytest.raises(UnknownChoice):
        submit_report(
            session, category_id=category_id, opd_id=opd_id, content=CONTENT, receipt_key=config.receipt_key_bytes
        )
    session.flush()
    assert _count(session, Case) == 0


def test_without_a_recovery_key_no_case_is_created(session: Session, config: Config) -> None:
    # given seed data but no recovery key installed
    load_seed(session)
    session.commit()
    # when a report is submitted, then it is refused before anything is stored
    with pytest.raises(RecoveryKeyMissing):
        _submit(session, config)
    session.flush()
    assert _count(session, Case) == _count(session, CaseItem) == _count(session, KeyGrant) == 0


def test_pending_and_non_reviewer_accounts_get_no_grant(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a pending reviewer and an active admin who is not a reviewer
    pending, _ = account(session, username="pending", display_name="Pending")
    admin, _ = account(session, username="admin", display_name="Admin", is_admin=True, is_reviewer=False)
    activate(session, reviewer=admin, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    # when a report is submitted
    case_id = _submit(session, config).case_id
    # then neither receives a grant of any kind
    recipients = {g.recipient_id for g in session.scalars(select(KeyGrant).where(KeyGrant.case_id == case_id))}
    assert pending.recipient_id not in recipients and admin.recipient_id not in recipients
    assert len(recipients) == 2  # the reporter and the recovery key


def test_disabled_reviewer_with_a_key_pair_gets_no_grant(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a reviewer who activated (so holds a key pair) and was then disabled
    disabled, _ = _active_reviewer(session, "mantan")
    disabled.state = "disabled"
    session.flush()
    # when a report is submitted, then no key is sealed to them
    case_id = _submit(session, config).case_id
    grants = session.scalars(select(KeyGrant).where(KeyGrant.case_id == case_id)).all()
    assert len(grants) == 3 and all(g.reviewer_id != disabled.id for g in grants)


def test_each_submission_gets_a_distinct_case_receipt_and_salt(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given two reports, then ids, receipts and reporter salts all differ
    first, second = _submit(session, config), _submit(session, config)
    assert first.case_id != second.case_id and first.receipt != second.receipt
    cases = session.scalars(select(Case)).all()
    assert len({c.reporter_salt for c in cases}) == 2 and len({c.receipt_lookup for c in cases}) == 2


def test_submitted_report_repr_does_not_contain_the_receipt(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a submitted report
    report = _submit(session, config)
    # then neither repr nor str shows the receipt, but the case id is there
    for shown in (repr(report), str(report), f"{report}"):
        assert report.receipt not in shown and report.receipt.replace("-", "") not in shown
        assert report.case_id in shown
