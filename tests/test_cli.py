"""Operator commands, run the way an operator runs them."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import AuditEvent, Category, Opd, RecoveryKey, Reviewer
from cases.platform.config import Config
from cases.platform.db import make_engine, make_session_factory
from crypto.recovery import recovery_keypair


@pytest.fixture
def session(config: Config) -> Iterator[Session]:
    """A session on the CLI's database, without creating any table itself."""
    engine = make_engine(config.database_url)
    with make_session_factory(engine, config.trust())() as session:
        yield session
    engine.dispose()


def test_dev_setup_prepares_everything_once(config_app: Flask, session: Session) -> None:
    runner = config_app.test_cli_runner()
    first = runner.invoke(args=["dev-setup"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output
    secret_hex = re.search(r"secret.*:\n\s+([0-9a-f ]+)\n", first.output).group(1).replace(" ", "")
    stored = session.scalars(select(RecoveryKey)).one()
    assert recovery_keypair(bytes.fromhex(secret_hex)).public == stored.public_key
    assert session.scalar(select(func.count()).select_from(Category)) == 9
    assert session.scalar(select(func.count()).select_from(Opd)) == 51
    assert session.scalars(select(Reviewer.username)).all() == ["admin"]

    second = runner.invoke(args=["dev-setup"])
    assert second.exit_code == 0
    assert "secret" not in second.output and "passphrase" not in second.output
    assert session.scalar(select(func.count()).select_from(RecoveryKey)) == 1


def test_recovery_key_is_not_replaced_by_accident(config_app: Flask) -> None:
    runner = config_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    assert runner.invoke(args=["generate-recovery-key"]).exit_code == 0
    again = runner.invoke(args=["generate-recovery-key"])
    assert again.exit_code != 0 and "already" in again.output


def test_duplicate_reviewer_is_refused(config_app: Flask) -> None:
    runner = config_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    assert runner.invoke(args=["create-founder", "nina"]).exit_code == 0
    again = runner.invoke(args=["create-founder", "NINA"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_verify_audit_detects_tampering(config_app: Flask, session: Session) -> None:
    runner = config_app.test_cli_runner()
    runner.invoke(args=["dev-setup"])
    assert "intact" in runner.invoke(args=["audit", "verify"]).output
    event = session.scalars(select(AuditEvent)).first()
    event.detail = "edited"
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "broken" in result.output


def test_prod_check_lists_what_is_wrong(config_app: Flask) -> None:
    runner = config_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    result = runner.invoke(args=["prod-check"])
    assert result.exit_code == 1
    assert "below" in result.output  # the cheap test KDF
    assert "recovery key" in result.output


def test_purge_expired_runs_from_the_command_line(config_app: Flask) -> None:
    runner = config_app.test_cli_runner()
    runner.invoke(args=["dev-setup"])
    result = runner.invoke(args=["purge-expired", "--days", "730"])
    assert result.exit_code == 0 and "Purged 0 case(s)." in result.output
