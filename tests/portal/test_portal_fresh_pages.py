"""Fresh form pages kept per process (issue 21, points 1 and 3): the kept page is the page a fresh
rendering gives, with each request's own CSRF and form tokens; a change to the lists, a language or
a query string is never served from a stale copy."""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cases.models import Category
from cases.platform.seed import new_reference_token
from portal import fresh_pages
from tests.actions import submit_report

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def _tokens(page: str) -> tuple[str, str]:
    csrf, form = CSRF.search(page), FORM.search(page)
    return (csrf.group(1) if csrf else ""), (form.group(1) if form else "")


def _blank(page: str) -> str:
    return FORM.sub("FORM", CSRF.sub("CSRF", page))


def test_a_kept_report_form_is_the_fresh_one_with_this_requests_own_tokens(portal_app: Flask) -> None:
    fresh_pages.forget_all()
    first = portal_app.test_client().get("/lapor").get_data(as_text=True)  # rendered, and kept
    assert len(fresh_pages._pages) == 1
    second_client = portal_app.test_client()
    second = second_client.get("/lapor").get_data(as_text=True)  # served from the kept copy
    assert _blank(first) == _blank(second)
    assert "\x00" not in second
    assert _tokens(first)[0] != _tokens(second)[0] and _tokens(first)[1] != _tokens(second)[1]
    assert all(_tokens(second))
    # and the tokens filled in are the real ones: the form they are in makes a report
    assert submit_report(second_client)


def test_the_status_form_is_kept_too_and_works(portal_app: Flask, portal: FlaskClient) -> None:
    fresh_pages.forget_all()
    portal_app.test_client().get("/status")
    page = portal.get("/status").get_data(as_text=True)
    assert len(fresh_pages._pages) == 1 and _tokens(page)[0]
    receipt = submit_report(portal_app.test_client())
    answer = portal.post("/status", data={"csrf_token": _tokens(page)[0], "receipt": receipt})
    assert answer.status_code == 302


def test_an_admins_change_to_the_lists_is_in_the_next_form(portal_app: Flask, session: Session) -> None:
    fresh_pages.forget_all()
    assert "Kategori Kanari Baru" not in portal_app.test_client().get("/lapor").get_data(as_text=True)
    session.add(Category(code="kanari", name_id="Kategori Kanari Baru", name_en="Canary", position=99))
    new_reference_token(session)
    session.commit()
    assert "Kategori Kanari Baru" in portal_app.test_client().get("/lapor").get_data(as_text=True)


def test_languages_query_strings_and_messages_are_not_mixed_up(portal_app: Flask) -> None:
    fresh_pages.forget_all()
    client = portal_app.test_client()
    indonesian = client.get("/lapor").get_data(as_text=True)
    english = client.get("/lapor?lang=en").get_data(as_text=True)
    assert "Buat laporan" in indonesian and "Make a report" in english
    assert "Make a report" in portal_app.test_client().get("/lapor?lang=en").get_data(as_text=True)
    kept = len(fresh_pages._pages)
    portal_app.test_client().get("/lapor?utm=x")  # anything else is rendered, never kept
    assert len(fresh_pages._pages) == kept
