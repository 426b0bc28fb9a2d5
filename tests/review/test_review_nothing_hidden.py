"""Nothing hidden on the case list (issue 19, point 2): cases a reader cannot open yet are counted with
why and what to do; late first responses come first; a reviewer who is not a reader yet is told why
the list is empty, and shown no count."""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case
from cases.platform.clock import utc_now
from tests.actions import case_ids, submit_report
from tests.test_end_to_end import activated_reviewer


def test_a_case_that_arrived_before_any_key_holder_is_counted_with_what_to_do(
    portal: FlaskClient, review: FlaskClient, review_app: Flask
) -> None:
    # given a report sent before anyone on the team held keys (sealed to the recovery key only)
    submit_report(portal)
    activated_reviewer(review_app, review, "ratna")
    page = review.get("/").get_data(as_text=True)
    # then the list does not pretend to be empty: it counts the case and says how it is opened
    assert case_ids(review) == []
    assert "1 perkara hanya dapat dibuka dengan kunci pemulihan" in page and "recovery reseal" in page
    # and a case sent afterwards is listed, with the waiting one still counted
    submit_report(portal)
    page = review.get("/").get_data(as_text=True)
    assert len(case_ids(review)) == 1 and "1 perkara hanya dapat dibuka dengan kunci pemulihan" in page


def test_a_late_first_response_is_the_first_thing_on_the_list(
    portal: FlaskClient, review: FlaskClient, review_app: Flask, session: Session
) -> None:
    activated_reviewer(review_app, review, "ratna")
    submit_report(portal)
    assert "melewati batas tanggapan pertama" not in review.get("/").get_data(as_text=True)
    case = session.scalars(select(Case)).one()
    case.first_response_due = utc_now() - timedelta(hours=2)
    session.commit()
    page = review.get("/").get_data(as_text=True)
    late = page.index("1 perkara melewati batas tanggapan pertama")
    assert late < page.index('<table class="cases"')
