"""Review app access: deny by default, first-login activation, real logout."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from cases.config import Config
from cases.models import Reviewer, ReviewerSession
from tests.actions import activate, enrol, login, logout
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer, create_account


def test_every_page_but_login_requires_a_session(review: FlaskClient, review_app: Flask) -> None:
    for rule in review_app.url_map.iter_rules():
        if rule.endpoint in ("auth.login", "static", "healthz") or "GET" not in rule.methods:
            continue
        url = rule.rule.replace("<case_id>", "abc")
        response = review.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login"), url


def test_wrong_passphrase_and_unknown_user_look_the_same(review: FlaskClient, review_app: Flask) -> None:
    create_account(review_app, "rina")
    wrong = login(review, "rina", "salah sekali frasa sandinya")
    unknown = login(review, "tidakada", "salah sekali frasa sandinya")
    assert wrong.status_code == unknown.status_code == 401
    def page(response: TestResponse, name: str) -> str:  # the CSRF token is time-stamped: mask it
        return re.sub(r'value="[^"]+\.[^"]+"', "", response.get_data(as_text=True)).replace(name, "?")

    assert page(wrong, "rina") == page(unknown, "tidakada")


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


def test_logout_kills_the_server_session_so_a_replayed_cookie_fails(
    review_app: Flask, session: Session
) -> None:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "wati")
    stolen = client.get_cookie("kanal_review").value
    assert client.get("/").status_code == 200

    logout(client)

    attacker = review_app.test_client()
    attacker.set_cookie("kanal_review", stolen)
    assert attacker.get("/").status_code == 302
    assert session.scalars(select(ReviewerSession)).all() == []


def test_logout_requires_post_with_csrf(review: FlaskClient, review_app: Flask) -> None:
    activated_reviewer(review_app, review, "agus")
    assert review.get("/logout").status_code == 405
    review.post("/logout", data={})  # no CSRF token: ignored
    assert review.get("/").status_code == 200


def test_login_issues_a_new_session_cookie(review: FlaskClient, review_app: Flask) -> None:
    one_time = create_account(review_app, "sri")
    review.get("/login")
    before = review.get_cookie("kanal_review")
    login(review, "sri", one_time)
    after = review.get_cookie("kanal_review")
    assert after is not None and (before is None or before.value != after.value)
    assert re.search(r"HttpOnly", "; ".join(review.get("/activate").headers.getlist("Set-Cookie")) or "HttpOnly")


def test_session_cookie_is_httponly_and_samesite_strict(review: FlaskClient, review_app: Flask) -> None:
    one_time = create_account(review_app, "yanti")
    review.get("/login")
    response = login(review, "yanti", one_time)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("kanal_review="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_stray_requests_do_not_break_an_open_login_form(review: FlaskClient, review_app: Flask) -> None:
    # Given a login form open in the browser
    one_time = create_account(review_app, "lina")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      review.get("/login").get_data(as_text=True)).group(1)
    # When the browser fetches the favicon (a 404 outside the allow-list) and another page
    review.get("/favicon.ico")
    review.get("/")
    # Then the form still submits
    response = review.post("/login", data={"csrf_token": token, "username": "lina", "passphrase": one_time})
    assert response.status_code == 302 and response.headers["Location"].endswith("/activate")


def test_cookies_over_https_use_the_host_prefix_and_secure(config: Config, recovery_secret: bytes) -> None:
    import dataclasses

    from cases.web import dispose
    from review import create_app

    app = create_app(dataclasses.replace(config, secure_cookies=True))
    client = app.test_client()
    response = client.get("/login", base_url="https://review.local")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "kanal_review" in c)
    assert cookie.startswith("__Host-kanal_review=") and "Secure" in cookie and "Path=/" in cookie
    assert "Strict-Transport-Security" in response.headers
    dispose(app)
