"""The reporter's status page shows the dates that matter to them, to the day, never the hour."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, CaseItem
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.receipts import reporter_dates
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from tests.actions import case_ids, check_status, team_replies
from tests.actions import submit_report as submit_through_portal
from tests.test_end_to_end import activated_reviewer

JAKARTA = ZoneInfo("Asia/Jakarta")
TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b(?:WIB|UTC|AM|PM)\b")


def _dates_block(page: str) -> str:
    """The status at the top (with the open promise) and the dates under the folded report."""
    status = page.split('aria-labelledby="status-heading"', 1)[1].split("</section>", 1)[0]
    return status + page.split('<details class="card original">', 1)[1].split("</dl>", 1)[0]


def _row(block: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", block)
    assert match, f"no row {label!r} in {block}"
    return match.group(1)


def _case(session: Session, case_id: str | None = None) -> Case:
    session.expire_all()
    case = session.get(Case, case_id) if case_id else session.scalars(select(Case)).one()
    assert case is not None
    return case


def test_new_report_shows_received_and_feedback_due_and_not_yet_for_the_rest(
    portal: FlaskClient, session: Session
) -> None:
    # given a report received at 20:00 UTC on 1 March (03:00 on 2 March in Jakarta)
    receipt = submit_through_portal(portal)
    case = _case(session)
    case.received_at = datetime(2026, 3, 1, 20)
    case.feedback_due = datetime(2026, 5, 30, 20)
    session.commit()
    # when the reporter opens their case
    block = _dates_block(check_status(portal, receipt).get_data(as_text=True))
    # then they see the local calendar days, and "belum" where nothing happened yet
    assert _row(block, "Diterima") == "2 Maret 2026"
    assert _row(block, "Tanggapan pertama dari tim") == "belum"
    assert _row(block, "Kabar terakhir dari tim") == "belum"
    assert _row(block, "Kabar berikutnya paling lambat") == "31 Mei 2026"
    assert not TIME_OF_DAY.search(block)


def test_team_reply_fills_first_response_and_last_update_by_day(
    portal: FlaskClient, review: FlaskClient, review_app: Flask, session: Session
) -> None:
    activated_reviewer(review_app, review, "ratna")
    receipt = submit_through_portal(portal)
    team_replies(review, case_ids(review)[0], "Mohon kirim bukti transfer.")
    case = _case(session)
    # kept as the hour it was made by: 17:00 UTC is midnight of the 3rd in Jakarta, so it was the 2nd
    case.first_response_at = datetime(2026, 3, 2, 17, 0)
    for item in session.scalars(select(CaseItem).where(CaseItem.author == "team")):
        item.created_at = datetime(2026, 3, 4, 16, 0)  # 23:00 in Jakarta, still the 4th
    session.commit()
    page = check_status(portal, receipt).get_data(as_text=True)
    block = _dates_block(page)
    assert _row(block, "Tanggapan pertama dari tim") == "2 Maret 2026"
    assert _row(block, "Kabar terakhir dari tim") == "4 Maret 2026"
    assert not TIME_OF_DAY.search(block)
    # and nowhere on the page is a time of day
    assert not TIME_OF_DAY.search(re.sub(r"<[^>]+>", " ", page))


def test_english_page_says_not_yet(portal: FlaskClient, session: Session) -> None:
    receipt = submit_through_portal(portal)
    case = _case(session)
    case.received_at = datetime(2026, 3, 1, 2)
    session.commit()
    check_status(portal, receipt)
    block = _dates_block(portal.get("/laporan-saya?lang=en").get_data(as_text=True))
    assert _row(block, "Received") == "March 1, 2026"
    assert _row(block, "First response from the team") == "not yet"
    assert _row(block, "Last update from the team") == "not yet"


def test_concluded_case_has_no_feedback_due(session: Session, config: Config, recovery_secret: bytes) -> None:
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what="x"),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    case = _case(session, case_id)
    assert reporter_dates(session, case=case, zone=JAKARTA).feedback_due is not None
    case.status = "closed"
    assert reporter_dates(session, case=case, zone=JAKARTA).feedback_due is None


def test_dates_are_calendar_days_in_the_given_zone(session: Session, config: Config, recovery_secret: bytes) -> None:
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what="x"),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    case = _case(session, case_id)
    case.received_at = datetime(2026, 12, 31, 17, 0)  # midnight in Jakarta: already the new year
    dates = reporter_dates(session, case=case, zone=JAKARTA)
    assert dates.received == date(2027, 1, 1) and type(dates.received) is date
    assert reporter_dates(session, case=case, zone=UTC).received == date(2026, 12, 31)
    assert dates.first_response is None and dates.last_update is None
    assert dates.feedback_due == (case.feedback_due.replace(tzinfo=UTC).astimezone(JAKARTA) + timedelta(0)).date()
