"""Operations in the review app: notification addresses on the team page, the retention warning."""

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cases.models import Case, Reviewer
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.web.app import dispose
from tests.actions import case_ids, csrf_token, submit_report
from tests.review.test_review_workspace import admin, approved_colleague, reviewer_id  # noqa: F401
from tests.test_end_to_end import activated_reviewer


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> "object":
    return client.post(url, data={"csrf_token": csrf_token(client, "/team"), **data})


def _email(session: Session, username: str) -> str | None:
    return session.get(Reviewer, reviewer_id(session, username)).email


def test_a_reviewer_sets_and_clears_their_own_address(admin: FlaskClient, session: Session) -> None:  # noqa: F811
    _post(admin, "/me/email", {"email": "admin@pemda.example"})
    assert _email(session, "admin") == "admin@pemda.example"
    assert 'value="admin@pemda.example"' in admin.get("/team").get_data(as_text=True)
    _post(admin, "/me/email", {"email": "bukan alamat"})
    assert _email(session, "admin") == "admin@pemda.example"  # refused, kept
    _post(admin, "/me/email", {"email": ""})
    assert _email(session, "admin") is None


def test_an_admin_sets_addresses_on_the_team_page(admin: FlaskClient, session: Session) -> None:  # noqa: F811
    _post(admin, "/team/create", {"username": "sari", "is_reviewer": "y", "email": "sari@pemda.example"})
    assert _email(session, "sari") == "sari@pemda.example"
    _post(admin, f"/team/{reviewer_id(session, 'sari')}/email", {"email": "sari.w@pemda.example"})
    assert _email(session, "sari") == "sari.w@pemda.example"


def test_a_reviewer_cannot_set_a_colleagues_address(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    session: Session,
) -> None:
    ani = approved_colleague(review_app, admin, session, "ani")
    response = _post(ani, f"/team/{reviewer_id(session, 'admin')}/email", {"email": "evil@example.org"})
    assert response.status_code == 403 and _email(session, "admin") is None


@pytest.fixture
def short_retention_app(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    from review import create_app

    app = create_app(dataclasses.replace(config, retention_days=100))
    app.config.update(TESTING=True)
    yield app
    dispose(app)


def test_the_dashboard_warns_30_days_before_the_configured_purge(
    short_retention_app: Flask, portal: FlaskClient, session: Session
) -> None:
    # given KANAL_RETENTION_DAYS=100 and a case closed 75 days ago (purged in 25 days)
    client = short_retention_app.test_client()
    activated_reviewer(short_retention_app, client, "admin", "--admin")
    submit_report(portal)
    [case_id] = case_ids(client)
    case = session.get(Case, case_id)
    case.status, case.closed_at = "closed", utc_now() - timedelta(days=75)
    session.commit()
    warning = "1 perkara"
    # then the admin's dashboard warns
    page = client.get("/dashboard").get_data(as_text=True)
    assert warning in page and "retensi" in page
    # and a case closed 60 days ago (40 days left) would not have been mentioned
    case.closed_at = utc_now() - timedelta(days=60)
    session.commit()
    assert "retensi" not in client.get("/dashboard").get_data(as_text=True)
