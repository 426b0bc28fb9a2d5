"""Attack class: unnoticed credential guessing. ASVS 16.3.1: every authentication
attempt — success or failure — leaves an audit event (no passphrase, no address)."""

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.actions import full_login, login
from tests.domain import events
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture
from tests.test_end_to_end import NEW_PASSPHRASE


def test_successful_and_failed_logins_are_audited_without_secrets(
    review_app: Flask, admin: FlaskClient, session: Session
) -> None:  # noqa: F811
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)
    session.expire_all()
    assert len(events(session, "login.passphrase")) == 1
    before = len(events(session, "login.fail"))
    login(review_app.test_client(), "admin", "tebakan-yang-salah-KANARI")
    login(review_app.test_client(), "tidak-ada", "tebakan-yang-salah-KANARI")
    session.expire_all()
    failures = events(session, "login.fail")
    assert len(failures) == before + 2
    assert all("KANARI" not in event.detail and "127.0.0.1" not in event.detail for event in failures)
