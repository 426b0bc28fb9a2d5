"""cases.reporting.receipts: a reporter opens their own case with the receipt, and only that."""

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, KeyGrant
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.errors import ReceiptNotRecognised
from cases.reporting.receipts import open_status
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import SubmittedReport, submit_report
from crypto import receipts
from crypto.errors import CryptoError
from crypto.keys import open_grant

REPORT_A = ReportContent(what="Pungutan liar di loket perizinan.", where="Loket 3", amount_rupiah=150000)
REPORT_B = ReportContent(what="Jual-beli jabatan eselon IV.", who="Oknum BKD")


def _submit(session: Session, config: Config, content: ReportContent) -> SubmittedReport:
    category, opd = active_categories(session)[1], active_opds(session)[2]
    report = submit_report(
        session, category_id=category.id, opd_id=opd.id, content=content, receipt_key=config.receipt_key_bytes
    )
    session.commit()
    return report


def _confusable(receipt: str) -> str:
    return receipt.replace("0", "O").replace("1", "l")


@pytest.mark.parametrize(
    "typed",
    [
        lambda r: r,
        lambda r: r.lower(),
        lambda r: r.replace("-", " "),
        lambda r: r.replace("-", ""),
        lambda r: "  " + r.lower().replace("-", "  ") + " ",
        _confusable,
    ],
    ids=["exact", "lowercase", "spaces", "no_dashes", "padded_lowercase", "confusables"],
)
def test_receipt_opens_the_case_however_it_is_typed(
    session: Session, config: Config, recovery_secret: bytes, typed: Callable[[str], str]
) -> None:
    # given a submitted report
    report = _submit(session, config, REPORT_A)
    # when the reporter types the receipt loosely
    view = open_status(session, receipt_text=typed(report.receipt), receipt_key=config.receipt_key_bytes)
    # then their case, its status and the decrypted report come back
    assert view.case_id == report.case_id
    assert view.status == "new"
    assert view.report == REPORT_A
    category, opd = active_categories(session)[1], active_opds(session)[2]
    assert (view.category_code, view.opd_name) == (category.code, opd.name)


def test_status_view_follows_the_case_status(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a submitted report whose status the team then changes
    report = _submit(session, config, REPORT_A)
    case = session.get(Case, report.case_id)
    assert case is not None
    case.status = "investigating"
    session.commit()
    # when the reporter opens it, then the new status is shown with the hour-rounded receipt time
    view = open_status(session, receipt_text=report.receipt, receipt_key=config.receipt_key_bytes)
    assert view.status == "investigating"
    assert view.received_at == case.received_at and view.received_at.minute == 0


def test_unknown_well_formed_receipt_is_not_recognised(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given one case, and a fresh receipt that belongs to no case
    _submit(session, config, REPORT_A)
    stranger = receipts.new_receipt()
    # when it is used, then it is not recognised
    with pytest.raises(ReceiptNotRecognised):
        open_status(session, receipt_text=stranger, receipt_key=config.receipt_key_bytes)


@pytest.mark.parametrize(
    "text",
    ["", "not-a-receipt", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN-PQRSU", "ÄBCD-EFGH-JKMN-PQRS", "A" * 500],
    ids=["empty", "words", "too_short", "invalid_letter", "non_ascii", "huge"],
)
def test_malformed_receipt_is_not_recognised(
    session: Session, config: Config, recovery_secret: bytes, text: str
) -> None:
    # given a case exists, when a malformed receipt is used, then it is not recognised
    _submit(session, config, REPORT_A)
    with pytest.raises(ReceiptNotRecognised):
        open_status(session, receipt_text=text, receipt_key=config.receipt_key_bytes)


def test_receipt_is_not_recognised_under_another_server_key(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case, when its receipt is looked up with a different server secret, then it is not found
    report = _submit(session, config, REPORT_A)
    with pytest.raises(ReceiptNotRecognised):
        open_status(session, receipt_text=report.receipt, receipt_key=b"another-server-secret-0123456789")


def test_receipt_for_case_a_never_opens_case_b(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given two cases
    a = _submit(session, config, REPORT_A)
    b = _submit(session, config, REPORT_B)
    # when each receipt is used, then each opens only its own case
    view_a = open_status(session, receipt_text=a.receipt, receipt_key=config.receipt_key_bytes)
    view_b = open_status(session, receipt_text=b.receipt, receipt_key=config.receipt_key_bytes)
    assert (view_a.case_id, view_a.report) == (a.case_id, REPORT_A)
    assert (view_b.case_id, view_b.report) == (b.case_id, REPORT_B)
    # and the key derived from A's receipt cannot open B's reporter grant
    case_b = session.get(Case, b.case_id)
    assert case_b is not None
    grant_b = session.scalars(
        select(KeyGrant).where(KeyGrant.case_id == b.case_id, KeyGrant.recipient_kind == "reporter")
    ).one()
    a_keys = receipts.reporter_keypair(a.receipt, salt=case_b.reporter_salt)
    with pytest.raises(CryptoError):
        open_grant(
            grant_b.sealed,
            recipient_private=a_keys.private,
            case_id=b.case_id,
            key_kind="case",
            recipient_id=f"reporter:{b.case_id}",
        )
