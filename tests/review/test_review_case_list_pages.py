"""The case list past its first page: links to the next and previous pages work
(regression: the page links once shadowed gettext `_` and every list longer than
one page answered 500)."""

import pytest
from flask import Flask
from sqlalchemy.orm import Session

import cases.triage.case_list as case_list
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.triage.case_list import PAGE_SIZE
from tests.domain import submit_case
from tests.test_end_to_end import activated_reviewer


def submit_reports(session: Session, config: Config, count: int) -> None:
    """`count` reports, each submitted and committed as the portal does (the portal's own pages are
    tested elsewhere; here a hundred of them through it would only make the test slow)."""
    opd = active_opds(session)[0]
    for n in range(count):
        submit_case(session, config, f"Laporan {n}: kepala bidang meminta setoran setiap bulan dari staf.", opd)


def test_a_list_longer_than_one_page_links_both_ways(review_app: Flask, session: Session, config: Config) -> None:
    # given an active reviewer and one report more than a page holds
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    submit_reports(session, config, PAGE_SIZE + 1)
    # when the reviewer opens the list, then the first page links to the second
    first = admin.get("/?status=new")
    assert first.status_code == 200
    assert 'rel="next" href="/?status=new&amp;page=2"' in first.get_data(as_text=True)
    # and the second page holds the last case and links back
    second = admin.get("/?status=new&page=2")
    assert second.status_code == 200
    page = second.get_data(as_text=True)
    assert 'rel="prev" href="/?status=new&amp;page=1"' in page
    assert page.count('href="/cases/') == 1


def test_a_list_longer_than_the_count_says_more_than_and_still_links_on(
    review_app: Flask, session: Session, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a list that counts at most one page ahead, and two pages and one case of reports
    monkeypatch.setattr(case_list, "COUNT_AHEAD", PAGE_SIZE)
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    submit_reports(session, config, 2 * PAGE_SIZE + 1)
    # when the reviewer opens the first page, then the count is a lower bound and "next" is there
    first = admin.get("/?lang=en").get_data(as_text=True)
    assert f"more than {PAGE_SIZE}" in first and "page 1 of more than 1" in first
    assert 'rel="next"' in first
    # and in Indonesian too
    assert f"lebih dari {PAGE_SIZE}" in admin.get("/").get_data(as_text=True)
    # and near the end the count is exact again
    last = admin.get("/?lang=en&page=3").get_data(as_text=True)
    assert "page 3 of 3" in last and 'rel="next"' not in last
