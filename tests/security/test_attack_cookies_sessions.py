"""Attack class: cookies and sessions — a stolen or replayed session cookie,
sessions that live on after logout, logout (or any action) forged from another
site, session fixation, cookies readable by scripts or sent cross-site or over
plain HTTP, a cookie planted before a reporter used any form
(SecureDrop/GlobaLeaks audit findings: sessions alive after logout, CSRF on
logout and other state-changing requests, missing cookie flags).

Sessions are server-side rows found by the hash of the cookie's token; logout
deletes the row. Every POST of both apps needs a CSRF token (Flask-WTF,
checked before any view runs), and logout is POST only.
"""

import dataclasses
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Case, CaseItem, ReporterSession, Reviewer, ReviewerSession
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.web.app import dispose
from tests.actions import case_ids, check_status, login, logout, submit_report
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture
from tests.security.test_attack_get_changes_nothing import snapshot
from tests.test_end_to_end import activated_reviewer, create_account


def _post_paths(app: Flask, values: dict[str, str]) -> list[str]:
    return [
        re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
    ]


def _no_exemptions(app: Flask) -> None:
    csrf = app.extensions["csrf"]
    assert isinstance(csrf, CSRFProtect)
    assert not csrf._exempt_views and not csrf._exempt_blueprints  # noqa: SLF001 - nothing may opt out
    assert app.config.get("WTF_CSRF_ENABLED", True) and app.config.get("WTF_CSRF_CHECK_DEFAULT", True)


# --- review app sessions ---------------------------------------------------------------------------------------


def test_logout_kills_the_server_session_so_a_replayed_cookie_fails(review_app: Flask, session: Session) -> None:
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


def test_cookies_over_https_use_the_host_prefix_and_secure(config: Config, recovery_secret: bytes) -> None:
    from review import create_app

    app = create_app(dataclasses.replace(config, secure_cookies=True))
    client = app.test_client()
    response = client.get("/login", base_url="https://review.local")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "kanal_review" in c)
    assert cookie.startswith("__Host-kanal_review=") and "Secure" in cookie and "Path=/" in cookie
    assert "Strict-Transport-Security" in response.headers
    dispose(app)


def test_every_review_post_without_a_csrf_token_is_refused_and_changes_nothing(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:  # noqa: F811
    # Given a full admin session, a case, and every POST route filled with real ids
    submit_report(portal)
    case_id = case_ids(admin)[0]
    me = session.scalars(select(Reviewer.id).where(Reviewer.username == "admin")).one()
    unit = str(active_opds(session)[0].id)
    category = str(active_categories(session)[0].id)
    paths = _post_paths(
        review_app,
        {
            "case_id": case_id,
            "reviewer_id": me,
            "opd_id": unit,
            "category_id": category,
            "change": "retire",
            "seq": "1",  # an item number (a redaction to lift)
        },
    )
    assert len(paths) >= 15 and "/logout" in paths and f"/cases/{case_id}/status" in paths
    before = snapshot(session)
    sessions_before = session.scalar(select(func.count()).select_from(ReviewerSession))
    # When a page on another site makes the browser post to each of them, with plausible fields but no token
    for path in paths:
        response = admin.post(path, data={"text": "forged", "status": "closed", "passphrase": "x", "code": "123456"})
        # Then every one is refused before its view runs
        assert response.status_code == 400, path
    assert snapshot(session) == before
    assert session.scalar(select(func.count()).select_from(ReviewerSession)) == sessions_before  # logout refused
    assert admin.get("/").status_code == 200
    _no_exemptions(review_app)


# --- portal cookies ----------------------------------------------------------------------------------------------


def test_landing_page_sets_no_cookie(portal: FlaskClient) -> None:
    assert portal.get("/").headers.getlist("Set-Cookie") == []


def test_portal_sets_only_its_session_cookie_and_only_once_a_form_is_opened(portal: FlaskClient) -> None:
    for path in ("/", "/panduan", "/robots.txt", "/no-such-page"):
        assert portal.get(path).headers.getlist("Set-Cookie") == [], path
    cookies = portal.get("/lapor").headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("kanal_portal=")
    assert "HttpOnly" in cookies[0] and "SameSite=Strict" in cookies[0]


def test_every_portal_post_without_a_csrf_token_is_refused_and_changes_nothing(
    portal_app: Flask, session: Session
) -> None:
    # Given a reporter in the middle of a visit to their case
    client = portal_app.test_client()
    receipt = submit_report(client)
    assert check_status(client, receipt).status_code == 200

    def counts() -> tuple[int | None, ...]:
        session.expire_all()
        return tuple(
            session.scalar(select(func.count()).select_from(table)) for table in (Case, CaseItem, ReporterSession)
        )

    before = counts()
    paths = _post_paths(portal_app, {})
    assert {"/lapor", "/status", "/laporan-saya", "/lupakan", "/tersimpan"} <= set(paths)
    for path in paths:
        response = client.post(
            path,
            data={
                "what": "Dipalsukan dari situs lain, bukan oleh pelapor.",
                "category": "1",
                "opd": "1",
                "text": "palsu",
                "receipt": receipt,
            },
        )
        assert response.status_code == 400, path
    assert counts() == before  # no report, no reply, the visit not ended
    assert client.get("/laporan-saya").status_code == 200
    _no_exemptions(portal_app)


@pytest.mark.parametrize("secure", [False, True])
def test_portal_cookie_flags_in_both_modes(secure: bool, config: Config, recovery_secret: bytes) -> None:
    from portal import create_app

    app = create_app(dataclasses.replace(config, secure_cookies=secure))
    try:
        response = app.test_client().get("/lapor", base_url="https://kanal.local" if secure else "http://localhost")
        (cookie,) = response.headers.getlist("Set-Cookie")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert cookie.startswith("__Host-kanal_portal=") == secure and ("Secure" in cookie) == secure
    finally:
        dispose(app)
