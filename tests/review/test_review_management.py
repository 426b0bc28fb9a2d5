"""The management dashboard: figures from metadata, SVG charts, CSV per table."""

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability.figures import ManagementTable, as_csv
from cases.models import Case, Opd, Reviewer
from cases.platform.clock import to_hour, utc_now
from tests.actions import login, submit_report
from tests.review.test_review_workspace import admin, approved_colleague, regrant_pass  # noqa: F401 - fixture
from tests.test_end_to_end import create_account

COLUMNS = {
    "sla": ["month", "received", "answered_in_time", "answered_late", "unanswered", "share_in_time_pct"],
    "backlog": ["status", "age_days_<7", "age_days_7-30", "age_days_30-90", "age_days_>90", "total"],
    "workload": ["reviewer", "open_assigned", "overdue_assigned"],
    "opd": ["opd", "total", "open"],
    "category": ["category", "total", "open"],
}


def _rows(client: FlaskClient, name: str) -> list[list[str]]:
    response = client.get(f"/management/{name}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="kanal-{name}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_dashboard_and_csv_count_what_the_cases_say(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    portal: FlaskClient,
    session: Session,
) -> None:
    for n in range(3):
        submit_report(portal, what=f"Pungutan liar nomor {n} di loket izin.")
    cases = list(session.scalars(select(Case)))
    now = to_hour(utc_now())
    cases[0].first_response_at = cases[0].received_at + timedelta(hours=2)  # in time
    cases[1].first_response_at = cases[1].received_at + timedelta(hours=30)  # late
    cases[2].received_at = now - timedelta(days=40)
    cases[2].status, cases[2].closed_at = "closed", now
    admin_id = session.scalars(select(Reviewer.id).where(Reviewer.username == "admin")).one()
    cases[0].assigned_to_id = admin_id
    cases[0].next_due = now - timedelta(hours=1)  # overdue
    session.commit()
    page = admin.get("/management")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<svg") == 5
    assert page.headers["Cache-Control"] == "no-store"
    for name, columns in COLUMNS.items():
        assert _rows(admin, name)[0] == columns
    sla = {row[0]: row[1:] for row in _rows(admin, "sla")[1:]}
    this_month = f"{cases[0].received_at:%Y-%m}"
    assert sla[this_month][:3] == ["2", "1", "1"]  # received, in time, late (the 40-day-old one is elsewhere)
    backlog = {row[0]: row[1:] for row in _rows(admin, "backlog")[1:]}
    assert backlog == {"new": ["2", "0", "0", "0", "2"]}  # the closed one is not open
    opd_name = session.get(Opd, cases[0].opd_id).name  # type: ignore[union-attr]
    assert [opd_name, "3", "2"] in _rows(admin, "opd")[1:]
    [workload] = _rows(admin, "workload")[1:]
    assert workload[1:] == ["1", "1"]
    assert admin.get("/management/nothing.csv").status_code == 404


def test_csv_neutralises_spreadsheet_formulas() -> None:
    table = ManagementTable(
        "opd",
        ("opd", "total", "open"),
        (('=HYPERLINK("http://x")', 1, 0), ("+1", 2, 0), ("-2", 3, 0), ("@SUM(A1)", 4, 0), ("Dinas Sosial", 5, 1)),
        1,
    )
    rows = list(csv.reader(io.StringIO(as_csv(table))))
    assert [row[0] for row in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "Dinas Sosial"]


def test_management_needs_a_session(review: FlaskClient) -> None:
    for path in ("/management", "/management/sla.csv"):
        response = review.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_any_approved_reviewer_sees_the_dashboard_with_charts(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    portal: FlaskClient,
    session: Session,
) -> None:
    submit_report(portal, what="Pungutan liar di loket izin usaha.")
    colleague = approved_colleague(review_app, admin, session, "ani")
    regrant_pass(review_app)  # a key holder's re-grant pass seals the case to the new colleague
    page = colleague.get("/management?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "style=" not in text
    assert 'class="columns"' in text  # SLA over time: a column per month
    assert 'aria-label="First response within the deadline, per month (%)"' in text
    assert "<title>Open cases by status and age</title>" in text and "Received" in text  # status named, not "new"


def test_a_reviewer_halfway_through_login_does_not_see_the_dashboard(review_app: Flask) -> None:
    client = review_app.test_client()
    one_time = create_account(review_app, "tengah")
    login(client, "tengah", one_time)  # passphrase not yet changed, no second factor
    for path in ("/management", "/management/opd.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/management" not in response.headers["Location"]
