"""Attack class: a hijacked or unattended session changes account attributes
(e.g. redirects notifications to an outsider's address). ASVS 7.5.1: a fresh
second factor before a reviewer changes their own notification address."""

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Reviewer, ReviewerSession
from tests.actions import TotpClock, csrf_token
from tests.domain import age_session
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture


def test_own_email_change_needs_a_fresh_code(
    admin: FlaskClient,
    session: Session,  # noqa: F811
    totp_clock: TotpClock,
) -> None:
    for row in session.scalars(select(ReviewerSession)):
        age_session(row, stepped_up=timedelta(minutes=6))
    session.commit()
    attempt = admin.post(
        "/me/email", data={"csrf_token": csrf_token(admin, "/team"), "email": "orang.luar@example.com"}
    )
    assert "/step-up" in attempt.headers["Location"]
    session.expire_all()
    assert session.scalars(select(Reviewer.email).where(Reviewer.username == "admin")).one() is None
    admin.post(
        "/step-up?next=/team", data={"csrf_token": csrf_token(admin, "/step-up"), "code": totp_clock.next_code("admin")}
    )
    admin.post("/me/email", data={"csrf_token": csrf_token(admin, "/team"), "email": "ana@pemda.example"})
    session.expire_all()
    assert session.scalars(select(Reviewer.email).where(Reviewer.username == "admin")).one() == "ana@pemda.example"
