"""The case list past its first page: links to the next and previous pages work
(regression: the page links once shadowed gettext `_` and every list longer than
one page answered 500)."""

import html
import re

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
    after = _link(first.get_data(as_text=True), "next")
    assert after.startswith("/?status=new&amp;after=2-d-")
    # and the second page holds the last case and links back to the first (which has no cursor)
    second = admin.get(html.unescape(after))
    assert second.status_code == 200
    page = second.get_data(as_text=True)
    assert _link(page, "prev") == "/?status=new" and 'rel="next"' not in page
    assert page.count('href="/cases/') == 1 and "halaman 2 dari 2" in page
    # and a garbled cursor gives the first page, not an error
    for garbled in ("2-d-x-1", "2-d-20240601120000000000-zz", "9" * 200, "%FF%FE", "2-n-20240601120000000000-ab"):
        again = admin.get(f"/?status=new&after={garbled}")
        assert again.status_code == 200 and _link(again.get_data(as_text=True), "next") == after
        assert admin.get(f"/?status=new&before={garbled}").status_code == 200
    # (a NUL is refused before any view, as in every query: cases.web.security)
    assert admin.get("/?status=new&after=%00").status_code == 400
    # and search results page by number (a slice of the cases searched in the request), a cursor
    # left in the address is dropped from their links
    found = admin.get(html.unescape(after) + "&q=setoran").get_data(as_text=True)
    assert _link(found, "next") == "/?status=new&amp;q=setoran&amp;page=2" and 'rel="prev"' not in found
    rest = admin.get("/?status=new&q=setoran&page=2").get_data(as_text=True)
    assert rest.count('href="/cases/') == 1 and _link(rest, "prev") == "/?status=new&amp;q=setoran&amp;page=1"


def _link(page: str, rel: str) -> str:
    found = re.search(f'rel="{rel}" href="([^"]*)"', page)
    assert found is not None, f"no {rel} link"
    return found[1]


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
    second = admin.get(html.unescape(_link(first, "next"))).get_data(as_text=True)
    assert "page 2 of more than 2" in second
    last = admin.get(html.unescape(_link(second, "next"))).get_data(as_text=True)
    assert "page 3 of 3" in last and 'rel="next"' not in last
    # and "previous" leads back to the second page through its cursor
    back = admin.get(html.unescape(_link(last, "prev"))).get_data(as_text=True)
    assert "before=" in _link(last, "prev") and "page 2 of" in back and _link(back, "next") == _link(second, "next")
