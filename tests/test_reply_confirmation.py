"""The case page prevents the costliest mistake (issue 19, point 1): a reply reaches the reporter only
after the reviewer has seen exactly what will be sent, and an internal note never reaches the reporter
by any path — the note form, the reply's confirm page, a forged confirmation."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import CaseItem
from tests.actions import case_ids, check_status, csrf_token, submit_report
from tests.test_end_to_end import activated_reviewer

SECRET_NOTE = "RAHASIA-INTERNAL saksi kunci adalah Bu Sari"


@pytest.fixture
def team(review: FlaskClient, review_app: Flask) -> FlaskClient:
    activated_reviewer(review_app, review, "ratna")
    return review


def _messages(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CaseItem).where(CaseItem.kind == "message")) or 0


def _reply(team: FlaskClient, case_id: str, **fields: str) -> str:
    data = {"csrf_token": csrf_token(team, f"/cases/{case_id}"), **fields}
    response = team.post(f"/cases/{case_id}/reply", data=data)
    return response.get_data(as_text=True)


def test_a_reply_is_shown_for_confirmation_and_not_sent_until_confirmed(
    portal: FlaskClient, team: FlaskClient, session: Session
) -> None:
    receipt = submit_report(portal)
    case_id = case_ids(team)[0]
    page = _reply(team, case_id, text="Apakah ada saksi lain?")
    # the confirm page shows exactly the text, as the reporter will read it, and nothing was sent
    assert "Apakah ada saksi lain?" in page and "Periksa balasan" in page and "Dikirim kepada pelapor" in page
    assert _messages(session) == 0
    assert "Apakah ada saksi lain?" not in check_status(portal, receipt).get_data(as_text=True)
    # "change it" goes back to the case page with the text kept, still nothing sent
    page = _reply(team, case_id, text="Apakah ada saksi lain?", confirmed="1", edit="1")
    assert '<textarea id="text"' in page and "Apakah ada saksi lain?</textarea>" in page
    assert _messages(session) == 0
    # confirmed, it is sent
    team.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(team, f"/cases/{case_id}"), "text": "Apakah ada saksi lain?", "confirmed": "1"},
    )
    assert _messages(session) == 1
    assert "Apakah ada saksi lain?" in portal.get("/laporan-saya").get_data(as_text=True)


def test_an_internal_note_never_reaches_the_reporter(portal: FlaskClient, team: FlaskClient, session: Session) -> None:
    receipt = submit_report(portal)
    case_id = case_ids(team)[0]
    # a note, even with a forged "confirmed" field, stays a note
    team.post(
        f"/cases/{case_id}/notes",
        data={"csrf_token": csrf_token(team, f"/cases/{case_id}"), "text": SECRET_NOTE, "confirmed": "1"},
    )
    assert session.scalar(select(func.count()).select_from(CaseItem).where(CaseItem.kind == "note")) == 1
    # the reply's confirm page carries only the reply, never the case's notes
    confirm = _reply(team, case_id, text="Terima kasih atas laporan Anda.")
    assert SECRET_NOTE not in confirm and "RAHASIA" not in confirm
    team.post(
        f"/cases/{case_id}/reply",
        data={
            "csrf_token": csrf_token(team, f"/cases/{case_id}"),
            "text": "Terima kasih atas laporan Anda.",
            "confirmed": "1",
        },
    )
    # the reporter sees the reply and never the note, by any page of their visit
    page = check_status(portal, receipt).get_data(as_text=True)
    assert "Terima kasih atas laporan Anda." in page
    assert "RAHASIA" not in page
    # the case page shows the two as different panels, each saying who reads it
    case_page = team.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'class="panel to-reporter"' in case_page and 'class="panel team-only"' in case_page
    assert "Hanya untuk tim" in case_page and "Dikirim kepada pelapor" in case_page
