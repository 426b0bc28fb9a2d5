"""`flask --app wsgi:review notify`, end to end: a report in, a content-free mail out over STARTTLS."""

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cases.models import Case, Reviewer
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.seed import active_opds
from cases.web.app import dispose
from tests.domain import founder, submit_case
from tests.smtp_server import PASSWORD, USER, Relay, relay  # noqa: F401  (the fixture)

CANARY = "kanari-7f3a9c setoran kepala bidang"


@pytest.fixture
def notifying_app(config: Config, relay: Relay, engine: Engine, recovery_secret: bytes) -> Iterator[Flask]:  # noqa: F811
    from review import create_app

    app = create_app(
        dataclasses.replace(
            config,
            smtp_host=relay.host,
            smtp_port=relay.port,
            smtp_user=USER,
            smtp_password=PASSWORD,
            smtp_from="kanal@pemda.example",
            smtp_ca_file=str(relay.ca_file),
            notify_interval_minutes=60,
        )
    )
    yield app
    dispose(app)


def _case_waiting_for(session: Session, config: Config) -> tuple[Reviewer, Case]:
    """An approved key holder with an address, a report with a canary, and the hour already come."""
    ana = founder(session, "ana", email="ana@pemda.example").reviewer
    session.commit()
    opd = active_opds(session)[0]
    case = session.get(Case, submit_case(session, config, CANARY, opd))
    ana.notify_after = utc_now() - timedelta(minutes=1)  # the next full hour has come
    session.commit()
    return ana, case


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return f"{message['Subject']}\n{body.get_content()}"


def test_notify_mails_only_that_there_is_activity(
    notifying_app: Flask,
    relay: Relay,
    engine: Engine,  # noqa: F811
    config: Config,
) -> None:
    with make_session_factory(engine, config.trust())() as session:
        ana, case = _case_waiting_for(session, config)
        revealing = [case.id, case.id[:8], case.category.name_id, case.category.name_en, case.opd.name, "kanari"]

    # when the scheduled command runs
    result = notifying_app.test_cli_runner().invoke(args=["notify"])

    # then one mail went to Ana, in Indonesian, saying nothing about the case: no id, category, unit, count
    assert result.exit_code == 0, result.output
    [envelope] = relay.messages
    assert envelope.rcpt_tos == ["ana@pemda.example"]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = _text_of(message)
    assert "aktivitas baru" in text.lower()
    for secret in revealing:
        assert secret.lower() not in text.lower()
    assert not re.search(r"\d", text)  # no count, no date, no number of any kind

    # and a second run within the interval sends nothing more
    again = notifying_app.test_cli_runner().invoke(args=["notify"])
    assert again.exit_code == 0 and len(relay.messages) == 1


def test_notify_is_off_without_a_relay(config_app: Flask) -> None:
    result = config_app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0 and "off" in result.output


def test_a_failed_run_exits_non_zero_and_keeps_the_mark(
    notifying_app: Flask,
    relay: Relay,  # noqa: F811
    engine: Engine,
    config: Config,
) -> None:
    with make_session_factory(engine, config.trust())() as session:
        ana, _ = _case_waiting_for(session, config)
        ana_id = ana.id
    relay.reject.add("ana@pemda.example")
    result = notifying_app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 1 and "1 failed" in result.output
    assert "ana@" not in result.output
    with make_session_factory(engine, config.trust())() as session:
        assert session.get(Reviewer, ana_id).notify_after is not None  # retried on the next run
