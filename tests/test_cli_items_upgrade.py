"""`flask --app wsgi:review items upgrade`: the recovery secret on standard input re-seals format 1 items."""

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import CaseItem, KeyGrant
from cases.platform.config import Config
from cases.platform.item_upgrade import legacy_counts
from cases.platform.seed import active_categories, active_opds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.grants import active_recovery_key
from crypto.keys import open_grant
from crypto.recovery import new_master_secret, recovery_keypair, split_master_secret
from tests.legacy_format import downgrade_item

REPORT = "Kepala bidang meminta setoran bulanan."


@pytest.fixture
def old_report(session: Session, config: Config, recovery_secret: bytes) -> str:
    """A case whose report is format 1, as written before metadata was bound."""
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=REPORT),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    key = active_recovery_key(session)
    grant = session.scalars(
        select(KeyGrant).where(
            KeyGrant.case_id == case_id, KeyGrant.key_kind == "case", KeyGrant.recipient_id == key.recipient_id
        )
    ).one()
    case_key = open_grant(
        grant.sealed,
        recipient_private=recovery_keypair(recovery_secret).private,
        case_id=case_id,
        key_kind="case",
        recipient_id=key.recipient_id,
    )
    downgrade_item(session, session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)).one(), case_key)
    session.commit()
    return case_id


def test_upgrade_with_the_master_secret(
    review_app: Flask, session: Session, old_report: str, recovery_secret: bytes
) -> None:
    assert legacy_counts(session) == (1, 0)
    result = review_app.test_cli_runner().invoke(args=["items", "upgrade"], input=recovery_secret.hex() + "\n")
    assert result.exit_code == 0, result.output
    assert "Upgraded 1 item(s) and 0 file stream(s) in 1 case(s);" in result.output
    session.expire_all()
    assert legacy_counts(session) == (0, 0)


def test_upgrade_with_slip39_shares(
    review_app: Flask, session: Session, old_report: str, recovery_secret: bytes
) -> None:
    shares = split_master_secret(recovery_secret, threshold=2, shares=3)
    result = review_app.test_cli_runner().invoke(args=["items", "upgrade"], input="\n".join(shares[1:]) + "\n")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert legacy_counts(session) == (0, 0)


@pytest.mark.parametrize("typed", ["wrong", "shares"], ids=["other-secret", "garbage"])
def test_upgrade_with_a_wrong_secret_is_refused(
    review_app: Flask, session: Session, old_report: str, typed: str
) -> None:
    secret = new_master_secret().hex() if typed == "wrong" else "bukan kata sandi yang benar\n"
    result = review_app.test_cli_runner().invoke(args=["items", "upgrade"], input=secret)
    assert result.exit_code != 0
    expected = "does not belong to an installed recovery key" if typed == "wrong" else "do not rebuild"
    assert expected in result.output
    session.expire_all()
    assert legacy_counts(session) == (1, 0)  # nothing touched
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == old_report)).one()
    assert item.ciphertext[:1] == b"\x01"
