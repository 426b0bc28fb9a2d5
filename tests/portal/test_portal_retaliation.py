"""Retaliation reports in the portal (issue 20, point 4): from the reporter's page, and with an
earlier receipt on a new report; without JavaScript, keeping what was typed, never keeping a receipt."""

import logging
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Case, CaseLink
from cases.platform.seed import RETALIATION
from tests.actions import _CSRF, check_status, csrf_token, receipt_of, report_form, submit_report
from tests.domain import database_text

_FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
WHAT = "Dua minggu setelah melapor saya dimutasi ke bagian arsip tanpa alasan."


def retaliation_form(client: FlaskClient, **fields: str) -> dict[str, str]:
    """The retaliation form as the reporter's visit serves it, filled in."""
    page = client.get("/laporan-saya/pembalasan").get_data(as_text=True)
    token, form_token = _CSRF.search(page), _FORM_TOKEN.search(page)
    assert token and form_token, page[:300]
    unit = re.search(r'<option selected value="(\d+)"', page)
    assert unit, "the original's unit is preselected"
    data = {
        "csrf_token": token.group(1),
        "form_token": form_token.group(1),
        "opd": unit.group(1),
        "what": WHAT,
        "when": "Maret 2026",
        "who": "Sekretaris dinas",
    }
    data.update(fields)
    return data


def _cases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)) or 0


def test_retaliation_from_the_reporters_page_is_a_linked_case_with_its_own_receipt(
    portal: FlaskClient, session: Session
) -> None:
    # given a reporter back on their report's page
    receipt = submit_report(portal)
    page = check_status(portal, receipt).get_data(as_text=True)
    assert "Saya mengalami pembalasan" in page and 'href="/laporan-saya/pembalasan"' in page
    original = session.scalars(select(Case)).one()
    # when they report that they were moved to another section
    response = portal.post("/laporan-saya/pembalasan", data=retaliation_form(portal))
    # then they get a new receipt, shown once, that says what it is
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new_receipt = receipt_of(response)
    assert new_receipt != receipt and "laporan pembalasan" in response.get_data(as_text=True)
    # and the new case is a retaliation report: its category, high priority, first response due in 24 hours,
    # about the original's unit, linked to the original
    case = session.scalars(select(Case).where(Case.id != original.id)).one()
    assert (case.category.code, case.priority, case.opd_id) == (RETALIATION, "high", original.opd_id)
    assert case.first_response_due == case.received_at + timedelta(hours=24)
    link = session.scalars(select(CaseLink)).one()
    assert (link.case_id, link.linked_case_id, link.kind) == (case.id, original.id, "retaliation")
    # and the original's page now shows it, with its status
    mine = portal.get("/laporan-saya").get_data(as_text=True)
    assert "Anda melaporkan pembalasan pada" in mine and "Diterima" in mine
    # and the new receipt opens the retaliation report, which names the report it follows
    other = check_status(portal, new_receipt).get_data(as_text=True)
    assert WHAT in other and "Laporan ini tentang pembalasan atas laporan Anda" in other


def test_the_retaliation_form_sent_twice_makes_one_case(portal: FlaskClient, session: Session) -> None:
    check_status(portal, submit_report(portal))
    data = retaliation_form(portal)
    first = receipt_of(portal.post("/laporan-saya/pembalasan", data=data))
    assert receipt_of(portal.post("/laporan-saya/pembalasan", data=data)) == first
    assert _cases(session) == 2


def test_a_short_or_too_long_retaliation_report_is_refused_and_keeps_the_text(
    portal: FlaskClient, session: Session
) -> None:
    check_status(portal, submit_report(portal))
    response = portal.post("/laporan-saya/pembalasan", data=retaliation_form(portal, what="dimutasi"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "paling sedikit 20 karakter" in page
    assert "dimutasi" in page and "Sekretaris dinas" in page and "Maret 2026" in page
    long_when = "x" * 501
    response = portal.post("/laporan-saya/pembalasan", data=retaliation_form(portal, when=long_when))
    assert response.status_code == 400 and long_when in response.get_data(as_text=True)
    assert _cases(session) == 1


def test_an_expired_form_keeps_the_retaliation_text(portal: FlaskClient, session: Session) -> None:
    check_status(portal, submit_report(portal))
    response = portal.post("/laporan-saya/pembalasan", data=retaliation_form(portal, csrf_token="expired"))
    assert response.status_code == 400 and WHAT in response.get_data(as_text=True)
    assert _cases(session) == 1


def test_without_a_visit_the_retaliation_form_sends_the_reporter_to_the_receipt_form(portal: FlaskClient) -> None:
    assert portal.get("/laporan-saya/pembalasan").headers["Location"].endswith("/status")


def test_a_new_report_citing_an_earlier_receipt_becomes_a_linked_retaliation_report(
    portal: FlaskClient, session: Session
) -> None:
    # given a reporter who still holds the receipt of an earlier report
    receipt = submit_report(portal)
    original = session.scalars(select(Case)).one()
    # when they make a new report citing it, without choosing a category (written in lower case, no dashes)
    cited = receipt.lower().replace("-", "")
    new_receipt = submit_report(portal, category="", what=WHAT, earlier_receipt=cited)
    # then the new report is a retaliation report linked to the earlier one
    case = session.scalars(select(Case).where(Case.id != original.id)).one()
    assert (case.category.code, case.priority) == (RETALIATION, "high")
    assert case.first_response_due == case.received_at + timedelta(hours=24)
    assert session.scalars(select(CaseLink.linked_case_id).where(CaseLink.case_id == case.id)).one() == original.id
    assert new_receipt != receipt
    assert "Anda melaporkan pembalasan" in check_status(portal, receipt).get_data(as_text=True)


def test_an_unknown_earlier_receipt_is_refused_keeps_the_rest_and_is_not_shown_back(
    portal: FlaskClient, session: Session
) -> None:
    submit_report(portal)
    data = report_form(portal, what=WHAT, who="Kabag umum", earlier_receipt="ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    response = portal.post("/lapor", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "tidak dikenali" in page
    for typed in (WHAT, "Kabag umum"):
        assert typed in page
    # the receipt is never shown back (a saved page would hold it): the reporter types it again
    assert "ZZZZ-ZZZZ-ZZZZ-ZZZZ" not in page and "ketik lagi" in page
    assert f'<option selected value="{data["opd"]}"' in page
    assert _cases(session) == 1


def test_the_ordinary_form_does_not_offer_the_retaliation_category(portal: FlaskClient, session: Session) -> None:
    page = portal.get("/lapor").get_data(as_text=True)
    assert "Pembalasan terhadap pelapor" not in page
    assert "Kode tanda terima laporan sebelumnya (jika ini laporan pembalasan)" in page
    # and without an earlier receipt a category is still required
    response = portal.post("/lapor", data=report_form(portal, category=""))
    assert response.status_code == 400 and "Pilih kategori" in response.get_data(as_text=True)


def test_the_earlier_receipt_is_never_stored_or_logged(
    portal: FlaskClient, session: Session, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = submit_report(portal)
    new_receipt = submit_report(portal, what=WHAT, earlier_receipt=receipt)
    check_status(portal, receipt)
    third = receipt_of(portal.post("/laporan-saya/pembalasan", data=retaliation_form(portal)))
    haystacks = {
        "database": database_text(session),
        "logs": (caplog.text + "".join(capfd.readouterr())).encode(),
    }
    for where, haystack in haystacks.items():
        for secret in (receipt, new_receipt, third):
            for form in (secret, secret.replace("-", ""), secret.lower()):
                assert form.encode() not in haystack, f"a receipt found in {where}"


def test_the_retaliation_pages_need_no_javascript(portal: FlaskClient) -> None:
    check_status(portal, submit_report(portal))
    page = portal.get("/laporan-saya/pembalasan").get_data(as_text=True)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert csrf_token(portal, "/laporan-saya/pembalasan")


def test_the_retaliation_pages_in_english(portal: FlaskClient) -> None:
    check_status(portal, submit_report(portal))
    mine = portal.get("/laporan-saya?lang=en").get_data(as_text=True)
    assert "I am experiencing retaliation" in mine and 'href="/laporan-saya/pembalasan?lang=en"' in mine
    form = portal.get("/laporan-saya/pembalasan?lang=en").get_data(as_text=True)
    assert "Report retaliation" in form and "What was done to you?" in form and "Pembalasan" not in form


def test_a_retaliation_report_sent_after_the_visit_ended_is_shown_back_not_lost(
    portal: FlaskClient, session: Session
) -> None:
    # given a reporter whose visit ends while they write (forgotten here: the same as 30 minutes passing)
    check_status(portal, submit_report(portal))
    data = retaliation_form(portal)
    portal.post("/lupakan", data={"csrf_token": csrf_token(portal, "/laporan-saya")})
    # when they send, then nothing is made and what they wrote comes back to copy
    response = portal.post("/laporan-saya/pembalasan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and WHAT in page and "Sekretaris dinas" in page
    assert _cases(session) == 1


def test_a_valid_earlier_receipt_is_not_shown_back_when_another_answer_needs_attention(
    portal: FlaskClient, session: Session
) -> None:
    receipt = submit_report(portal)
    response = portal.post("/lapor", data=report_form(portal, what="pendek", earlier_receipt=receipt))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and receipt not in page and receipt.replace("-", "") not in page
