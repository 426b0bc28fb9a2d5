"""Review app access: deny by default, first-login activation, real logout."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Reviewer
from tests.actions import activate, enrol, login, logout
from tests.test_end_to_end import NEW_PASSPHRASE, create_account


def test_every_page_but_login_requires_a_session(review: FlaskClient, review_app: Flask) -> None:
    for rule in review_app.url_map.iter_rules():
        # "Lupa frasa sandi?" is for someone who cannot sign in (issue 19): public, and it answers the
        # same for every name (tests/review/test_review_accounts.py)
        if rule.endpoint in ("auth.login", "auth.forgot", "static", "healthz") or "GET" not in rule.methods:
            continue
        url = rule.rule.replace("<case_id>", "abc")
        response = review.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login"), url


def test_activation_refuses_a_short_passphrase_and_keeps_the_account_pending(
    review: FlaskClient, review_app: Flask, session: Session
) -> None:
    one_time = create_account(review_app, "joko")
    login(review, "joko", one_time)
    response = activate(review, "pendek")
    assert response.status_code == 400
    assert "15" in response.get_data(as_text=True)
    assert session.scalars(select(Reviewer.state).where(Reviewer.username == "joko")).one() == "pending"


def test_one_time_passphrase_stops_working_after_activation(review: FlaskClient, review_app: Flask) -> None:
    one_time = create_account(review_app, "tuti")
    login(review, "tuti", one_time)
    activate(review, NEW_PASSPHRASE)
    enrol(review, "tuti")
    logout(review)
    assert login(review, "tuti", one_time).status_code == 401
    assert login(review, "tuti", NEW_PASSPHRASE).headers["Location"].endswith("/login/code")


def test_stray_requests_do_not_break_an_open_login_form(review: FlaskClient, review_app: Flask) -> None:
    # Given a login form open in the browser
    one_time = create_account(review_app, "lina")
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', review.get("/login").get_data(as_text=True)
    ).group(1)
    # When the browser fetches the favicon (a 404 outside the allow-list) and another page
    review.get("/favicon.ico")
    review.get("/")
    # Then the form still submits
    response = review.post("/login", data={"csrf_token": token, "username": "lina", "passphrase": one_time})
    assert response.status_code == 302 and response.headers["Location"].endswith("/activate")
