"""The report form: validation keeps what was typed; success shows a receipt once."""

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Case
from tests.actions import report_form, submit_report


def test_landing_page_explains_the_channel_in_indonesian(portal: FlaskClient) -> None:
    page = portal.get("/").get_data(as_text=True)
    for phrase in ("menyetor", "Wi-Fi kantor", "1×24 jam"):
        assert phrase in page
    assert 'lang="id"' in page


def test_too_short_report_is_refused_and_keeps_every_answer(portal: FlaskClient, session: Session) -> None:
    data = report_form(portal, what="terlalu pendek", who="Kabid X", where="Ruang 3", amount="Rp 2.000.000")
    response = portal.post("/lapor", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "paling sedikit 20 karakter" in page
    for typed in ("terlalu pendek", "Kabid X", "Ruang 3", "Rp 2.000.000"):
        assert typed in page
    assert f'<option selected value="{data["opd"]}"' in page
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_bad_amount_gets_a_clear_message(portal: FlaskClient) -> None:
    response = portal.post("/lapor", data=report_form(portal, amount="sejuta lebih"))
    assert response.status_code == 400
    assert "angka saja" in response.get_data(as_text=True)


def test_amount_with_separators_is_accepted(portal: FlaskClient) -> None:
    assert submit_report(portal, amount="Rp. 1.500.000")


def test_missing_csrf_token_keeps_the_report_text(portal: FlaskClient, session: Session) -> None:
    data = report_form(portal, what="Laporan panjang yang tidak boleh hilang sama sekali.")
    data["csrf_token"] = "expired"
    response = portal.post("/lapor", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Laporan panjang yang tidak boleh hilang sama sekali." in page
    assert "kedaluwarsa" in page
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_unknown_category_is_refused_without_losing_text(portal: FlaskClient) -> None:
    response = portal.post("/lapor", data=report_form(portal, category="99999"))
    assert response.status_code == 400
    assert "Kepala bidang meminta setoran" in response.get_data(as_text=True)


def test_receipt_page_shows_the_code_once_and_is_not_cached(portal: FlaskClient) -> None:
    response = portal.post("/lapor", data=report_form(portal))
    page = response.get_data(as_text=True)
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', page).group(1)
    assert "hanya ditampilkan satu kali" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert receipt not in response.headers.get("Location", "")
    assert all(receipt not in cookie for cookie in response.headers.getlist("Set-Cookie"))


def test_each_report_gets_its_own_receipt(portal: FlaskClient, session: Session) -> None:
    receipts = {submit_report(portal) for _ in range(3)}
    assert len(receipts) == 3
    assert session.scalar(select(func.count()).select_from(Case)) == 3


def test_portal_works_without_javascript(portal: FlaskClient) -> None:
    for url in ("/", "/lapor", "/status"):
        page = portal.get(url).get_data(as_text=True)
        assert "<script" not in page and "http://" not in page and "https://" not in page


def test_honeypot_filled_is_refused_visibly_and_nothing_stored(portal: FlaskClient, session: Session) -> None:
    response = portal.post("/lapor", data=report_form(portal, homepage="http://spam.example"))
    assert response.status_code == 400
    assert "Kepala bidang meminta setoran" in response.get_data(as_text=True)  # a human loses nothing
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_english_on_request_without_a_cookie_and_kept_in_links(portal: FlaskClient) -> None:
    response = portal.get("/?lang=en")
    page = response.get_data(as_text=True)
    assert response.headers.getlist("Set-Cookie") == []
    assert 'lang="en"' in page and "Make a report" in page and "Buat laporan" not in page
    assert 'href="/lapor?lang=en"' in page  # the choice travels with the visit's links
    form = portal.get("/lapor?lang=en").get_data(as_text=True)
    assert 'action="/lapor?lang=en"' in form and "What kind of wrongdoing?" in form
    assert "Bahasa Indonesia" in form  # the way back


def test_unknown_language_falls_back_to_indonesian(portal: FlaskClient) -> None:
    assert "Buat laporan" in portal.get("/?lang=xx").get_data(as_text=True)


@pytest.mark.parametrize(
    "lang, phrases",
    [
        ("id", ("Perlindungan hukum bagi Anda", "UU 31/2014", "Tor Browser", "Uang atau pembayaran apa pun")),
        ("en", ("Your legal protection", "Law 31/2014", "Tor Browser", "Money or any payment")),
    ],
)
def test_guide_covers_safety_process_law_and_what_is_never_asked(
    portal: FlaskClient, lang: str, phrases: tuple[str, ...]
) -> None:
    page = portal.get(f"/panduan?lang={lang}").get_data(as_text=True)
    for phrase in phrases:
        assert phrase in page


def test_saving_the_receipt_leads_away_from_it(portal: FlaskClient) -> None:
    receipt_page = portal.post("/lapor", data=report_form(portal)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', receipt_page).group(1)
    done = portal.post("/tersimpan", data={"csrf_token": token}, follow_redirects=True)
    assert "Terima kasih sudah melapor" in done.get_data(as_text=True)


def test_health_endpoints_say_ok_and_nothing_more(portal: FlaskClient, review: FlaskClient) -> None:
    for client in (portal, review):
        response = client.get("/healthz")
        assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
        assert response.headers.getlist("Set-Cookie") == []
