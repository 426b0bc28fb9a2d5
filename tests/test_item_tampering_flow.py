"""A database writer relabels items: both apps show a clear message for the item, never its content, never a 500."""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.models import Attachment, CaseItem
from tests.actions import case_ids, check_status, submit_report, submit_report_with_files, team_replies, upload
from tests.test_end_to_end import activated_reviewer

QUESTION = "Kapan setoran pertama diminta oleh kepala bidang?"
WITHHELD = "Bagian ini gagal diperiksa keutuhannya dan tidak ditampilkan."
TELL_ADMIN = "beri tahu administrator Anda"


@pytest.fixture
def team(review: FlaskClient, review_app: Flask) -> FlaskClient:
    activated_reviewer(review_app, review, "ratna")
    return review


def _edit(session: Session, case_id: str, kind: str, **values: object) -> None:
    session.execute(update(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == kind).values(**values))
    session.commit()


def test_team_message_relabelled_as_the_reporters_is_withheld_on_both_pages(
    portal: FlaskClient, team: FlaskClient, session: Session
) -> None:
    # given a team question, and a database writer who sets its author to "reporter"
    receipt = submit_report(portal)
    case_id = case_ids(team)[0]
    assert team_replies(team, case_id, QUESTION).status_code == 302
    _edit(session, case_id, "message", author="reporter")
    # when the team opens the case, then the item says it failed its check, and its text is not there
    page = team.get(f"/cases/{case_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and WITHHELD in text and TELL_ADMIN in text and QUESTION not in text
    # and the reporter's page says the same, without the text either
    mine = check_status(portal, receipt)
    assert mine.status_code == 200
    assert WITHHELD in mine.get_data(as_text=True) and QUESTION not in mine.get_data(as_text=True)


def test_tampered_report_is_withheld_on_both_pages(portal: FlaskClient, team: FlaskClient, session: Session) -> None:
    receipt = submit_report(portal)
    case_id = case_ids(team)[0]
    _edit(session, case_id, "report", seq=77)
    page = team.get(f"/cases/{case_id}")
    assert page.status_code == 200 and WITHHELD in page.get_data(as_text=True)
    mine = check_status(portal, receipt)
    assert mine.status_code == 200 and WITHHELD in mine.get_data(as_text=True)


def test_attachment_pointed_at_another_item_is_withheld_and_not_downloaded(
    portal: FlaskClient, team: FlaskClient, session: Session
) -> None:
    # given a report with a file, and a database writer who points the file's row at the report item
    submit_report_with_files(portal, [upload(b"Bukti setoran bulan Maret.\n" * 20, "bukti.txt")])
    case_id = case_ids(team)[0]
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', team.get(f"/cases/{case_id}").get_data(as_text=True))
    assert link is not None
    report_id = session.scalar(select(CaseItem.id).where(CaseItem.case_id == case_id, CaseItem.kind == "report"))
    session.execute(update(Attachment).where(Attachment.case_id == case_id).values(item_id=report_id))
    session.commit()
    # when the team follows the old download link, then it is refused with a message, not a 500
    download = team.get(link.group(1))
    assert download.status_code == 302 and download.headers["Location"].endswith(f"/cases/{case_id}")
    page = team.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Berkas ini gagal diperiksa keutuhannya dan tidak dapat diunduh." in page
    # and the case page withholds both the report and the file's details
    assert page.count(WITHHELD) == 2 and "bukti.txt" not in page
