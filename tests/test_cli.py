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
from cases.platform.seed import active_opds
from crypto.recovery import recovery_keypair
from tests.domain import founder, submit_case


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
    assert (
        session.scalar(select(func.count()).select_from(Category)) == 10
    )  # nine on the form, and the retaliation category (issue 20)
    assert session.scalar(select(func.count()).select_from(Opd)) == 52
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
    assert (
        result.exit_code == 0
        and "Purged 0 case(s), 0 expired visit(s), 0 expired reviewer session(s), 0 kept file(s)" in result.output
    )


def test_recovery_shares_reseal_every_case_to_an_approved_reviewer(
    config_app: Flask, session: Session, config: Config
) -> None:
    # given a recovery key split into shares, a case, and a founder added after it (no grants)
    runner = config_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed"])
    generated = runner.invoke(args=["generate-recovery-key", "--shares", "3", "--threshold", "2"])
    assert generated.exit_code == 0, generated.output
    shares = re.findall(r"share \d: (.+)", generated.output)
    assert len(shares) == 3
    submit_case(session, config, "setoran bulanan", active_opds(session)[0])
    founder(session, "joko")
    session.commit()
    # when the shares are typed for an unknown name, or too few of them, then nothing happens
    unknown = runner.invoke(args=["recovery", "reseal", "nobody"], input=f"{shares[0]}\n{shares[2]}\n")
    assert unknown.exit_code == 1 and "No account named 'nobody'." in unknown.output
    too_few = runner.invoke(args=["recovery", "reseal", "joko"], input=f"{shares[1]}\n")
    assert too_few.exit_code == 1 and "do not rebuild a recovery secret" in too_few.output
    # when two shares are typed for joko, then he is sealed the case key and the team key
    done = runner.invoke(args=["recovery", "reseal", "JOKO"], input=f"{shares[2]}\n{shares[0]}\n")
    assert done.exit_code == 0, done.output
    assert "Sealed 2 keys to 'JOKO'." in done.output


def test_a_key_holder_who_has_not_activated_cannot_create_accounts(config_app: Flask) -> None:
    # given a founder who has not activated yet (they hold only the activation passphrase)
    runner = config_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    made = runner.invoke(args=["create-founder", "nina"])
    activation = re.search(r"shown once\):\n\s+(\S+)", made.output).group(1)
    # when they try to create an account with it, then they are told to activate first
    result = runner.invoke(args=["create-reviewer", "boneka", "--by", "nina"], input=activation + "\n")
    assert result.exit_code == 1 and "'nina' has not activated their account yet." in result.output
