"""The case list past its first page: links to the next and previous pages work
(regression: the page links once shadowed gettext `_` and every list longer than
one page answered 500)."""

from flask import Flask

from cases.case_list import PAGE_SIZE
from tests.actions import submit_report
from tests.test_end_to_end import activated_reviewer


def test_a_list_longer_than_one_page_links_both_ways(review_app: Flask, portal_app: Flask) -> None:
    # given an active reviewer and one report more than a page holds
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    for _ in range(PAGE_SIZE + 1):
        submit_report(portal_app.test_client())
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
