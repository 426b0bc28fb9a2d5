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
from tests.actions import check_status, report_form, submit_report

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


# --- the receipt page (issue 21: kept like the forms, its receipt a secret filled in) -----------------

RECEIPT = re.compile(r'class="receipt">([^<]+)<')
ANY_CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')


def test_the_receipt_page_is_kept_but_never_holds_a_receipt(portal_app: Flask) -> None:
    fresh_pages.forget_all()
    pages = []
    for _ in range(3):
        client = portal_app.test_client()
        response = client.post("/lapor", data=report_form(client))
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True))
    receipts = [found.group(1) for found in (RECEIPT.search(page) for page in pages) if found]
    assert len(set(receipts)) == 3  # each reporter is shown their own
    kept = [page for key, page in fresh_pages._pages.items() if "receipt" in key]
    assert len(kept) == 1
    assert not any(receipt in kept[0] for receipt in receipts)
    # the same page but for the receipt and the CSRF token; and each receipt opens its own report
    blank = {ANY_CSRF.sub("CSRF", RECEIPT.sub("RECEIPT", page)) for page in pages}
    assert len(blank) == 1 and "\x00" not in pages[2]
    for receipt in receipts:
        assert check_status(portal_app.test_client(), receipt.strip()).status_code == 200
        assert "Laporan Anda" in check_status(portal_app.test_client(), receipt.strip()).get_data(as_text=True)


def test_a_resent_form_shows_its_own_receipt_from_the_kept_page(portal_app: Flask) -> None:
    fresh_pages.forget_all()
    client = portal_app.test_client()
    data = report_form(client)
    first = RECEIPT.search(client.post("/lapor", data=data).get_data(as_text=True))
    other = portal_app.test_client()
    RECEIPT.search(other.post("/lapor", data=report_form(other)).get_data(as_text=True))
    again = RECEIPT.search(client.post("/lapor", data=data).get_data(as_text=True))  # the browser's resend
    assert first and again and first.group(1) == again.group(1)
