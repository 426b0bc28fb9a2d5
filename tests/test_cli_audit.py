"""`flask audit verify` and `flask audit accept-restore`, run the way an operator runs them."""

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cases.accountability.anchors import record_anchor
from cases.accountability.audit import record
from cases.models import AuditAnchor, AuditEvent
from cases.platform.config import Config
from cases.platform.db import make_engine, make_session_factory


@pytest.fixture
def session(config: Config) -> Iterator[Session]:
    """A session on the CLI's database, without creating any table itself."""
    engine = make_engine(config.database_url)
    with make_session_factory(engine, config.trust())() as session:
        yield session
    engine.dispose()


def _anchored_log(config_app: Flask, session: Session) -> list[int]:
    runner = config_app.test_cli_runner()
    assert runner.invoke(args=["dev-setup"]).exit_code == 0
    ids = [record(session, action="case.view", actor_id="r1", case_id=f"c{n}").id for n in range(5)]
    record_anchor(session)
    session.commit()
    return ids


def test_verify_reports_counts_and_heads_when_intact(config_app: Flask, session: Session) -> None:
    ids = _anchored_log(config_app, session)
    result = config_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    anchored = session.scalar(select(func.count()).select_from(AuditAnchor))  # roster entries anchor too
    assert "intact" in result.output and f"{anchored} anchors" in result.output and f"event {ids[-1]} " in result.output


def test_verify_reports_every_problem_of_a_cut_and_rewritten_log(config_app: Flask, session: Session) -> None:
    # given an anchored log, when the tail is cut, the anchor rows deleted and an early event edited
    ids = _anchored_log(config_app, session)
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[-2:])))
    session.execute(delete(AuditAnchor))
    first = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    assert first is not None
    first.detail = "edited"
    session.commit()
    # then verify lists both and fails
    result = config_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken: 2 problem(s)" in result.output
    assert f"audit event {ids[-1]}, which is gone" in result.output
    assert f"audit event {first.id}: hash does not match" in result.output


def test_accept_restore_after_restoring_a_backup(config_app: Flask, session: Session) -> None:
    # given an anchored log, when an older backup is "restored" (the newest events are not in it)
    ids = _anchored_log(config_app, session)
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[-2:])))
    session.execute(delete(AuditAnchor))
    session.commit()
    runner = config_app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1
    # then accept-restore (asked, and declined) changes nothing
    declined = runner.invoke(args=["audit", "accept-restore"], input="n\n")
    assert declined.exit_code == 1 and f"event {ids[-1]}" in declined.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1
    # and accepted, anchors the restored heads and audits it
    accepted = runner.invoke(args=["audit", "accept-restore", "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert "gives up" in accepted.output and f"audit event {ids[-1]}, which is gone" in accepted.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    session.expire_all()
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.accept_restore")).one()


def test_accept_restore_refuses_a_rewritten_chain(config_app: Flask, session: Session) -> None:
    ids = _anchored_log(config_app, session)
    session.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
    session.commit()
    result = config_app.test_cli_runner().invoke(args=["audit", "accept-restore", "--yes"])
    assert result.exit_code == 1 and "Refused" in result.output and f"audit event {ids[2]}" in result.output
