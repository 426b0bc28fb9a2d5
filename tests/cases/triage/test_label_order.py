"""Labels' copies of their case's sort keys under real concurrency (issue 21, second review).

Two requests at once, each in its own transaction on PostgreSQL (READ COMMITTED, row locks): a
label put on while a colleague changes the case's deadline, in either order, ends with the label
holding the deadline the case holds; and the retention purge meeting a deadline change ends without
a deadlock. Ordinary tests share one connection and could never make the two wait for each other."""

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cases.models import Case, CaseLabel, CaseStatus
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.seed import active_categories, active_opds
from cases.triage.retention import purge_expired

pytestmark = [pytest.mark.committed, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

RECEIVED = datetime(2026, 1, 1)
OLD, NEW = RECEIVED + timedelta(days=1), RECEIVED + timedelta(days=9)
HOLD = 0.5  # seconds the first transaction keeps its locks while the second one waits


def _case(engine: Engine, config: Config, **fields: object) -> str:
    with make_session_factory(engine, config.trust())() as session, session.begin():
        case = Case(
            category_id=active_categories(session)[0].id,
            opd_id=active_opds(session)[0].id,
            received_at=RECEIVED,
            updated_at=RECEIVED,
            first_response_due=RECEIVED,
            receipt_lookup=bytes(range(32)),
            reporter_salt=bytes(32),
            next_due=OLD,
            **fields,
        )
        session.add(case)
        session.flush()
        return case.id


def _at_once(
    engine: Engine, config: Config, first: Callable[[Session], None], second: Callable[[Session], None]
) -> str:
    """`first` flushed and holding its locks, `second` in a thread meanwhile; then `first` commits.
    Returns what became of `second` ("ok" or the error's type)."""
    make = make_session_factory(engine, config.trust())
    outcome = {"second": "not finished"}
    with make() as held:
        first(held)
        held.flush()

        def run() -> None:
            with make() as other:
                try:
                    second(other)
                    other.commit()
                    outcome["second"] = "ok"
                except Exception as error:  # noqa: BLE001 - the test reports what it was
                    outcome["second"] = type(error).__name__
                    other.rollback()

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(HOLD)
        held.commit()
        thread.join(30)
    return outcome["second"]


def _copy(engine: Engine, config: Config, case_id: str) -> tuple[object, object]:
    with make_session_factory(engine, config.trust())() as session:
        case = session.get(Case, case_id)
        label = session.execute(select(CaseLabel.next_due).where(CaseLabel.case_id == case_id)).scalar_one()
        return label, case.next_due if case else None


@pytest.mark.parametrize("first", ["deadline change", "label"])
def test_a_label_and_a_deadline_change_at_once_leave_the_label_with_the_cases_deadline(
    engine: Engine, config: Config, recovery_secret: bytes, first: str
) -> None:
    case_id = _case(engine, config)

    def change(session: Session) -> None:
        case = session.get(Case, case_id)
        assert case is not None
        case.next_due = NEW

    def label(session: Session) -> None:
        assert session.get(Case, case_id) is not None  # the request has read the case (its old deadline)
        session.add(CaseLabel(case_id=case_id, label="kpk"))

    steps = (change, label) if first == "deadline change" else (label, change)
    assert _at_once(engine, config, *steps) == "ok"
    assert _copy(engine, config, case_id) == (NEW, NEW)


def test_the_retention_purge_meeting_a_case_reopened_neither_deadlocks_nor_purges_it(
    engine: Engine, config: Config, recovery_secret: bytes
) -> None:
    # given a closed case past retention, with a label; a reviewer reopens it while the purge runs
    closed = RECEIVED - timedelta(days=1000)
    case_id = _case(engine, config, status=CaseStatus.CLOSED, closed_at=closed)
    with make_session_factory(engine, config.trust())() as session, session.begin():
        session.add(CaseLabel(case_id=case_id, label="kpk"))

    def reopen(session: Session) -> None:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.next_due = CaseStatus.VERIFYING, NEW

    def purge(session: Session) -> None:
        purge_expired(session, retention_days=730, now=RECEIVED)

    # when the reopening holds its locks first, the purge waits, then finds the case no longer due
    assert _at_once(engine, config, reopen, purge) == "ok"
    assert _copy(engine, config, case_id) == (NEW, NEW)
