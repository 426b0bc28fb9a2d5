"""The review app speaks the team's language (issue 19, point 5): priorities and status changes named
through the catalog, the report numbered #1, times kept to the hour shown as the hour they fall in."""

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.actions import case_ids, csrf_token, submit_report
from tests.test_end_to_end import activated_reviewer


def test_priorities_status_changes_and_numbering_are_in_indonesian(
    portal: FlaskClient, review: FlaskClient, review_app: Flask
) -> None:
    activated_reviewer(review_app, review, "ratna")
    submit_report(portal)
    case_id = case_ids(review)[0]
    token = csrf_token(review, f"/cases/{case_id}")
    review.post(f"/cases/{case_id}/priority", data={"csrf_token": token, "priority": "high"})
    review.post(f"/cases/{case_id}/status", data={"csrf_token": token, "new_status": "verifying"})
    page = review.get(f"/cases/{case_id}").get_data(as_text=True)
    # the priority select and the list badge use words, never the codes
    assert '<option selected value="high">tinggi</option>' in page
    assert ">urgent<" not in page and ">high<" not in page
    assert '<span class="prio">tinggi</span>' in review.get("/").get_data(as_text=True)
    # the status change in the thread names the statuses
    assert "Diterima → Verifikasi" in page and "new → verifying" not in page
    # the report is #1, and times kept to the hour read as an hour's span, never a minute
    assert '<p class="meta">#1 ·' in page
    assert re.search(r"#2 · [^<]*· \d{1,2} \w+ \d{4}, \d\d:00–\d\d:00", page)


def test_no_unit_is_preselected_for_a_recusal_or_membership(review: FlaskClient, review_app: Flask) -> None:
    activated_reviewer(review_app, review, "ratna", "--admin")
    page = review.get("/team").get_data(as_text=True)
    select = page.split('id="own-opd"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*selected[^>]*>", select) in ([], ['<option selected value="">'])
    # sent as it opens, nothing is declared
    response = review.post(
        "/me/conflicts", data={"csrf_token": csrf_token(review, "/team"), "opd": "", "kind": "conflict"}
    )
    assert response.status_code == 302
    assert "Pilih unit terlebih dahulu" in review.get("/team").get_data(as_text=True)
