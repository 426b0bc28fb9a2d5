"""cases.models: the case status is one of CaseStatus, enforced by the database itself (ck_case_status)."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.models import Case, CaseStatus
from cases.platform.config import Config
from cases.platform.seed import active_opds
from tests.domain import submit_case


def test_statuses_are_the_stored_strings_and_two_of_them_conclude() -> None:
    assert [status.value for status in CaseStatus] == [
        "new",
        "verifying",
        "investigating",
        "referred",
        "closed",
        "rejected",
    ]
    assert {CaseStatus.CLOSED, CaseStatus.REJECTED} == CaseStatus.CONCLUDED
    assert "closed" in CaseStatus.CONCLUDED and CaseStatus.CLOSED == "closed"


def test_a_new_case_is_stored_as_new(session: Session, config: Config, recovery_secret: bytes) -> None:
    case_id = submit_case(session, config, "setoran bulanan", active_opds(session)[0])
    assert session.scalar(select(Case.status).where(Case.id == case_id)) == "new"


def test_the_database_refuses_a_status_that_is_no_case_status(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a stored case
    case_id = submit_case(session, config, "setoran bulanan", active_opds(session)[0])
    # when a writer who bypasses the domain sets a status outside CaseStatus
    with pytest.raises(IntegrityError, match="ck_case_status|CHECK constraint failed"):
        session.execute(update(Case).where(Case.id == case_id).values(status="bogus"))
    session.rollback()
    # or inserts a case with one
    case = session.get(Case, case_id)
    assert case is not None
    session.expunge(case)
    copy = Case(**{column.key: getattr(case, column.key) for column in Case.__table__.columns})
    copy.id, copy.receipt_lookup, copy.status = "f" * 20, bytes(32), "bogus"
    session.add(copy)
    with pytest.raises(IntegrityError, match="ck_case_status|CHECK constraint failed"):
        session.flush()
    session.rollback()
    # then the case keeps its status
    assert session.scalar(select(Case.status).where(Case.id == case_id)) == CaseStatus.NEW
