"""Per-process caches see an admin's edit at the next request of every worker (issue 21): the report
form's lists and the fresh form page, and the verified recovery key, on gunicorn with two workers.
Requests go over fresh connections, so they spread over both workers; each worker serves the form
before the edit (its copy is warm) and after it (its copy must be renewed by the version token)."""

import http.cookiejar
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from cases.models import Category, KeyGrant
from cases.platform.seed import new_reference_token
from cases.team.recovery_keys import generate_recovery_key
from cases.team.roster import encryption_fingerprint
from cases.team.trust import trust_of
from crypto.recovery import new_master_secret, recovery_keypair
from tests.actions import _CSRF, _FORM_TOKEN, _RECEIPT, _first_option
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


def _report(portal_url: str) -> None:
    """A report as a browser sends it: the form, then the POST, each on a fresh connection."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(portal_url + "/lapor", timeout=30) as answer:
        page = answer.read().decode("utf-8")
    csrf, token = _CSRF.search(page), _FORM_TOKEN.search(page)
    assert csrf and token
    fields = {
        "csrf_token": csrf.group(1),
        "form_token": token.group(1),
        "category": _first_option(page, "category"),
        "opd": _first_option(page, "opd"),
        "what": "Kepala bidang meminta setoran setiap bulan dari semua staf.",
    }
    with opener.open(portal_url + "/lapor", data=urllib.parse.urlencode(fields).encode(), timeout=30) as answer:
        assert _RECEIPT.search(answer.read().decode("utf-8"))


def test_a_new_recovery_key_seals_the_next_report_of_every_worker(servers: tuple[str, str, Path, Path]) -> None:
    portal_url, _review_url, data, root = servers
    # given a second recovery key's fingerprint among the roots ahead of time (so the roots do not
    # change when it is installed), and both workers keeping the first key
    master = new_master_secret()
    with live_database(data, root) as session:
        trust_of(session).add_roots(recovery=[encryption_fingerprint(recovery_keypair(master).public)])
    for _ in range(8):
        _report(portal_url)
    # when the second key is installed (the CLI's `recovery` command)
    with live_database(data, root) as session:
        new_key, _master = generate_recovery_key(session, master=master)
        new_recipient = new_key.recipient_id
    for _ in range(8):
        _report(portal_url)
    # then every report after it, whichever worker took it, is sealed to the new key
    with live_database(data, root) as session:
        sealed_to_new = session.scalar(
            select(func.count(func.distinct(KeyGrant.case_id))).where(KeyGrant.recipient_id == new_recipient)
        )
    assert sealed_to_new == 8
