"""Per-process caches see an admin's edit at the next request of every worker (issue 21): the report
form's lists and the fresh form page, on gunicorn with two workers. Requests go over fresh
connections, so they spread over both workers; each worker serves the form before the edit (its
copy is warm) and after it (its copy must be renewed by the lists' version token)."""

import urllib.request
from pathlib import Path

from cases.models import Category
from cases.platform.seed import new_reference_token
from tests.browser.test_browser_roster import live_database

NEW = "Kategori Kanari Lintas Pekerja"


def _forms(portal_url: str, count: int) -> list[str]:
    pages = []
    for _ in range(count):
        with urllib.request.urlopen(portal_url + "/lapor", timeout=30) as answer:  # noqa: S310 - loopback
            pages.append(answer.read().decode("utf-8"))
    return pages


def test_a_new_category_is_on_the_next_form_of_every_worker(servers: tuple[str, str, Path, Path]) -> None:
    portal_url, _review_url, data, root = servers
    before = _forms(portal_url, 16)  # 16 fresh connections: both workers keep a page and the lists
    assert all("— pilih —" in page and NEW not in page for page in before)
    with live_database(data, root) as session:  # what the admins' lists page does (reference_lists)
        session.add(Category(code="kanari-lintas", name_id=NEW, name_en="Canary", position=98))
        new_reference_token(session)
    after = _forms(portal_url, 16)
    assert [NEW in page for page in after] == [True] * 16
    with live_database(data, root) as session:  # and taken off again, off every worker's form
        row = session.query(Category).filter_by(code="kanari-lintas").one()
        row.active = False
        new_reference_token(session)
    assert all(NEW not in page for page in _forms(portal_url, 16))
