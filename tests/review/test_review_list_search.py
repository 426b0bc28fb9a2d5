"""A list you can work from (issue 19, point 3), through the review app: each row previews its report
for the reader and says what the reporter did last; search finds cases by what they say, within the
filter, states its bound, never shows a case the viewer cannot read, and its term reaches no log."""

import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import cases.triage.search as search
from cases.models import Case, Reviewer
from tests.actions import case_ids, check_status, csrf_token, reporter_sends, submit_report
from tests.domain import database_text
from tests.test_end_to_end import activated_reviewer

ROOT = Path(__file__).resolve().parent.parent.parent
CANARY = "KANARI-PRATINJAU-91c3"
SEARCH_CANARY = "KanariCari4e7b"


@pytest.fixture
def admin(review_app: Flask) -> FlaskClient:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")
    return client


def colleague(review_app: Flask, name: str) -> FlaskClient:
    """Another founding key holder: reads every case sent after they joined, unless recused."""
    client = review_app.test_client()
    activated_reviewer(review_app, client, name)
    return client


def recuse(admin: FlaskClient, session: Session, username: str, case_id: str) -> None:
    """The admin records `username` as a member of the case's unit: their grants for it go at once."""
    session.expire_all()
    reviewer = session.scalars(select(Reviewer.id).where(Reviewer.username == username)).one()
    opd_id = session.get(Case, case_id).opd_id
    admin.post(
        f"/team/{reviewer}/affiliations",
        data={"csrf_token": csrf_token(admin, "/team"), "opd": str(opd_id), "kind": "member"},
    )


def found(client: FlaskClient, query: str, **args: str) -> list[str]:
    page = client.get("/", query_string={"q": query, **args}).get_data(as_text=True)
    return re.findall(r'href="/cases/([0-9a-f]+)"', page)


def test_each_row_previews_the_report_for_its_reader_and_nothing_is_stored(
    admin: FlaskClient, review_app: Flask, portal: FlaskClient, session: Session
) -> None:
    # given a colleague, and a report whose first words carry a canary
    ani = colleague(review_app, "ani")
    receipt = submit_report(portal, what=f"{CANARY} Kepala bidang meminta setoran setiap awal bulan dari staf.")
    [case_id] = case_ids(admin)
    # when the admin opens the list, then the row shows the report's beginning, no more than ~140 characters
    page = admin.get("/").get_data(as_text=True)
    preview = re.search(r'<span class="preview">([^<]*)</span>', page)
    assert preview and preview.group(1).startswith(CANARY) and len(preview.group(1)) <= 141
    # and the reporter's reply shows on the row as the day it came
    check_status(portal, receipt)
    reporter_sends(portal, "Ada dua saksi di subbagian yang sama.")
    assert "pelapor membalas" in admin.get("/").get_data(as_text=True)
    assert "reporter replied" in admin.get("/?lang=en").get_data(as_text=True)
    # when the colleague is recused from the case's unit, then the case is neither listed nor previewed for her
    assert case_ids(ani) == [case_id]
    recuse(admin, session, "ani", case_id)
    page = ani.get("/").get_data(as_text=True)
    assert case_id not in page and CANARY not in page
    # and no preview is in the database, after both lists were shown
    assert CANARY.encode() not in database_text(session)


def test_search_finds_by_report_and_reporter_message_and_never_past_the_viewer(
    admin: FlaskClient, review_app: Flask, portal: FlaskClient, session: Session
) -> None:
    # given a colleague, a case naming someone in its report, one naming them in a reporter's message
    ani = colleague(review_app, "ani")
    submit_report(portal, what="Setoran bulanan ke Kabid.", who="Bapak Hartono, Kepala Bidang")
    [by_report] = case_ids(admin)
    session.get(Case, by_report).received_at -= timedelta(hours=1)  # sent an hour before the next
    session.commit()
    receipt = submit_report(portal, what="Pungutan liar di loket pelayanan izin.")
    by_message = next(c for c in case_ids(admin) if c != by_report)
    check_status(portal, receipt)
    reporter_sends(portal, "Uangnya diserahkan kepada HARTONO di ruang belakang.")
    # when the admin searches the name in lower case, then both are found, the newest first, with previews
    assert found(admin, "hartono") == [by_message, by_report]
    page = admin.get("/?q=Hartono").get_data(as_text=True)
    assert "2 perkara memuat kata-kata ini" in page and "Pungutan liar di loket" in page
    assert "Dicari di semua 2 perkara dalam penyaring ini" in page
    # and a word of one report only finds that one; a word of no case finds none, and says so
    assert found(admin, "LOKET") == [by_message]
    assert found(admin, "tidakadadimanapun") == []
    assert "Tidak ada perkara dalam penyaring ini" in admin.get("/?q=tidakadadimanapun").get_data(as_text=True)
    # within a filter the other cases are not searched
    assert found(admin, "hartono", status="closed") == []
    # when the colleague is recused from the unit of both cases, her search finds nothing and counts nothing
    assert found(ani, "hartono") == [by_message, by_report]
    recuse(admin, session, "ani", by_report)
    page = ani.get("/?q=hartono").get_data(as_text=True)
    assert "0 perkara memuat kata-kata ini" in page and "Dicari di semua 0 perkara" in page
    assert by_report not in page and by_message not in page and "loket pelayanan" not in page


def test_the_bound_is_stated_when_the_filter_holds_more(
    admin: FlaskClient, portal: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a search bound of 2 and three reports with the same word
    monkeypatch.setattr(search, "SEARCH_BOUND", 2)
    for n in range(3):
        submit_report(portal, what=f"Setoran nomor {n} kepada kepala bidang.")
    # when the admin searches it, then two are searched and found, and the page says the bound was hit
    page = admin.get("/?q=setoran").get_data(as_text=True)
    assert len(re.findall(r'href="/cases/[0-9a-f]+"', page)) == 2
    assert "Dicari di 2 perkara terbaru dalam penyaring ini; persempit penyaring untuk mencari lebih jauh." in page
    assert "Searched the 2 newest cases in this filter; narrow the filter" in admin.get("/?q=setoran&lang=en").get_data(
        as_text=True
    )
    # and without the bound the page says everything was searched
    monkeypatch.setattr(search, "SEARCH_BOUND", 10)
    assert "Dicari di semua 3 perkara" in admin.get("/?q=setoran").get_data(as_text=True)


def test_the_search_term_reaches_no_log(
    admin: FlaskClient,
    portal: FlaskClient,
    session: Session,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a case, and every logger recording everything
    submit_report(portal, what=f"Nama yang dicari: {SEARCH_CANARY}.")
    caplog.set_level(logging.DEBUG)
    # when the admin searches a canary, and pages through the results
    assert len(found(admin, SEARCH_CANARY)) == 1
    admin.get("/", query_string={"q": SEARCH_CANARY, "page": "2"})

    # and a search fails with an error whose message quotes the term
    def failing(session: object, *, keys: object, terms: tuple[str, ...]) -> set[str]:
        raise ValueError(" ".join(terms))

    monkeypatch.setattr(search, "_matching", failing)
    assert admin.get("/", query_string={"q": SEARCH_CANARY}).status_code == 500
    assert "unhandled ValueError" in caplog.text  # the failure was logged...
    # then the term is in no log record, in any case
    logged = caplog.text + "".join(str(r.args) + str(r.msg) for r in caplog.records)
    assert SEARCH_CANARY.casefold() not in logged.casefold()
    # nor in the database (the audit event says that a search ran, not what it looked for)
    assert SEARCH_CANARY.casefold().encode() not in database_text(session).lower()
    # and gunicorn, which would write the request line with its query string, keeps no access log
    for conf in ("gunicorn.conf.py", "gunicorn.review.conf.py"):
        settings = runpy.run_path(str(ROOT / conf))
        assert settings["accesslog"] is None, conf
    assert logging.getLogger("werkzeug").getEffectiveLevel() >= logging.ERROR
