"""'Laporan saya' puts the conversation first (issue 18, point 4): the status and the team's newest
message at the top, marked new until it has been shown once; the reply form right after the thread;
the original report folded; the promise that is still open."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cases.models import ReporterRead
from tests.actions import case_ids, check_status, post_multipart, submit_report, team_replies
from tests.actions import csrf_token as csrf_of
from tests.test_end_to_end import activated_reviewer


@pytest.fixture
def team(review: FlaskClient, review_app: Flask) -> FlaskClient:
    activated_reviewer(review_app, review, "ratna")
    return review


def test_the_newest_team_message_comes_before_the_report_and_is_new_once(
    portal: FlaskClient, team: FlaskClient, session: Session
) -> None:
    receipt = submit_report(portal, what="KANARI-LAPORAN setoran bulanan kepada kepala bidang.")
    case_id = case_ids(team)[0]
    team_replies(team, case_id, "Pertanyaan pertama dari tim.")
    team_replies(team, case_id, "KANARI-TERBARU kapan setoran pertama diminta?")
    page = check_status(portal, receipt).get_data(as_text=True)
    # the newest team message, marked new, comes before the report, which is folded
    assert "Pesan baru dari tim" in page
    assert page.index("KANARI-TERBARU") < page.index("KANARI-LAPORAN")
    assert page.index("KANARI-LAPORAN") > page.index("<details")
    # the reply form follows the thread, before the folded report
    assert page.index('id="reply"') < page.index("<details")
    # shown once: the next view no longer calls it new
    again = portal.get("/laporan-saya").get_data(as_text=True)
    assert "Pesan baru dari tim" not in again and "Pesan terakhir dari tim" in again
    assert session.get(ReporterRead, case_id).seen_seq > 0


def test_the_first_response_deadline_is_shown_until_met(portal: FlaskClient, team: FlaskClient) -> None:
    receipt = submit_report(portal)
    page = check_status(portal, receipt).get_data(as_text=True)
    assert "Tanggapan pertama tim paling lambat" in page and "Belum ada kabar" in page
    team_replies(team, case_ids(team)[0], "Kami sudah menerima laporan Anda.")
    page = portal.get("/laporan-saya").get_data(as_text=True)
    assert "Tanggapan pertama tim paling lambat" not in page


def test_an_empty_reply_opens_at_the_form_with_the_message_next_to_it(portal: FlaskClient) -> None:
    check_status(portal, submit_report(portal))
    response = post_multipart(portal, "/laporan-saya", {"csrf_token": csrf_of(portal, "/laporan-saya"), "text": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'action="/laporan-saya#reply"' in page
    form_part = page[page.index('id="reply"') :]
    assert "Tulis pesan atau pilih berkas" in form_part[: form_part.index("</form>")]
