"""cases.reporting.visits: a visit row ties nothing to a case in plaintext, and forgets itself.

The attacker is a thief with a copy of the database (or a backup): they look for any visit row that
names or points at a case, before and after the visit expired."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from cases.models import ReporterSession
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.reporting.errors import ReporterSessionGone
from cases.reporting.report_content import ReportContent
from cases.reporting.visits import (
    open_visit,
    purge_stale,
    purge_stale_at_start,
    resume_reporter_session,
    start_reporter_session,
)
from tests.domain import report

pytestmark = pytest.mark.committed  # raw reads and the start-up purge use engines of their own


def _case(session: Session, config: Config) -> tuple[str, str]:
    receipt = report(session, config, ReportContent(what="Setoran bulanan kepada kepala bidang."))
    session.commit()
    return receipt.case_id, receipt.receipt


def _visit_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT * FROM reporter_session"))]


def test_a_visit_row_holds_no_plaintext_case_id(
    session: Session, engine: Engine, config: Config, recovery_secret: bytes
) -> None:
    # given a reporter who entered the receipt
    case_id, receipt = _case(session, config)
    token = start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    session.commit()
    # then the visit opens the case with the cookie's token
    assert resume_reporter_session(session, token=token).case.id == case_id
    # but no column of the row, raw as a thief reads it, carries the case id in any encoding
    rows = _visit_rows(engine)
    assert len(rows) == 1
    needles = (case_id.encode(), bytes.fromhex(case_id), case_id.upper().encode())
    for value in rows[0]:
        raw = value if isinstance(value, bytes) else str(value).encode()
        assert not any(needle in raw for needle in needles), value
    assert [column.name for column in ReporterSession.__table__.columns] == ["id", "sealed", "created_at"]


def test_an_expired_visit_is_purged_and_nothing_ties_it_to_the_case(
    session: Session, engine: Engine, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two visits to a case
    _, receipt = _case(session, config)
    tokens = [start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes) for _ in "ab"]
    session.commit()
    # when two hours pass and the schedule's purge runs
    later = utc_now() + timedelta(hours=2)
    monkeypatch.setattr("cases.reporting.visits.utc_now", lambda: later)
    assert purge_stale(session) == 2
    session.commit()
    # then no visit row is left, and neither token opens anything
    assert _visit_rows(engine) == []
    for token in tokens:
        with pytest.raises(ReporterSessionGone):
            resume_reporter_session(session, token=token)


def _visit_two_hours_ago(session: Session, config: Config, monkeypatch: pytest.MonkeyPatch) -> str:
    """A case, a visit to it committed, and the clock moved two hours on; returns the receipt."""
    _, receipt = _case(session, config)
    start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    session.commit()
    later = utc_now() + timedelta(hours=2)
    monkeypatch.setattr("cases.reporting.visits.utc_now", lambda: later)
    return receipt


def test_visits_left_from_before_a_restart_are_purged_at_start(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a visit row two hours old (the server was stopped meanwhile)
    _visit_two_hours_ago(session, config, monkeypatch)
    # when a server starts, then it is gone
    assert purge_stale_at_start(config.database_url) == 1
    assert session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_a_visit_past_its_thirty_minutes_ends_and_its_row_goes(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    _, receipt = _case(session, config)
    token = start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    import time

    with pytest.raises(ReporterSessionGone):
        open_visit(session, token=token, issued_at=int(time.time()) - 31 * 60, minutes=30)
    assert session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_a_start_up_purge_never_stops_a_server(config: Config) -> None:
    # an unreachable database: a warning, zero, and no exception
    assert purge_stale_at_start("postgresql://nobody@127.0.0.1:1/none") == 0


def test_a_visit_hours_later_purges_the_old_rows_and_then_not_again_that_hour(
    session: Session, engine: Engine, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.sql_log import statements_sent

    # given a visit row, and a reporter who comes back two hours later
    receipt = _visit_two_hours_ago(session, config, monkeypatch)
    start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    session.commit()
    # then the old row is gone and only the new visit's is left
    assert len(_visit_rows(engine)) == 1
    # and later visits in the same hour purge nothing again: no DELETE at all (issue 21)
    with statements_sent() as statements:
        start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
        session.commit()
    assert statements and not any(s.lstrip().upper().startswith("DELETE") for s in statements)
    assert len(_visit_rows(engine)) == 2
