"""Attack class: access control — IDOR (a case, item or file reached by
guessing, mixing or rewriting ids), path traversal in file ids, a reviewer
without a grant (or recused) reaching a case, state changes by a reviewer who
may only read (SecureDrop/GlobaLeaks audit findings: IDOR, missing object-level
checks).

The review app is deny-by-default (one hook, an allow-list of public endpoints:
tests/review/test_review_auth.py::test_every_page_but_login_requires_a_session);
every case route finds its object only through the reviewer's key grant, so
anything else is the same 404 as a case that does not exist.
"""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.actions import case_ids, csrf_token, submit_report_with_files, upload
from tests.security.test_attack_get_changes_nothing import snapshot
from tests.test_end_to_end import activated_reviewer

TEXT = "Bendahara memotong honor kegiatan tanpa dasar yang jelas."


def _file_links(client: FlaskClient, case_id: str) -> list[str]:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    return re.findall(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', page)


def test_path_traversal_and_garbage_in_file_urls_are_404(
    portal: FlaskClient, review_app: Flask, review: FlaskClient
) -> None:
    activated_reviewer(review_app, review, "ratna")
    submit_report_with_files(portal, [upload(b"rekap setoran bulanan\n" * 50, "rekap.txt")], what=TEXT)
    case_id = case_ids(review)[0]
    (link,) = _file_links(review, case_id)
    attachment_id = link.rsplit("/", 1)[1]
    assert review.get(link).status_code == 200  # the honest link works
    for bad in (
        "..%2f..%2fkanal.db",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..\\..\\kanal.db",
        f"{attachment_id}%00",
        f"{attachment_id}%2f..%2f{attachment_id}",
        attachment_id.upper(),
        "0" * len(attachment_id),
        "a" * 5000,
        "%27%20OR%20%271%27%3D%271",
    ):
        response = review.get(f"/cases/{case_id}/files/{bad}")
        assert response.status_code == 404, bad
        assert b"rekap setoran" not in response.data and b"SQLite" not in response.data, bad
    for bad in ("..%2f..%2fkanal.db", "%2e%2e", case_id + "%00"):
        assert review.get(f"/cases/{bad}/files/{attachment_id}").status_code == 404, bad


def test_a_file_id_under_another_cases_url_is_404(portal_app: Flask, review_app: Flask, review: FlaskClient) -> None:
    activated_reviewer(review_app, review, "ratna")
    for n in range(2):
        submit_report_with_files(
            portal_app.test_client(), [upload(f"berkas {n}\n".encode() * 40, f"b{n}.txt")], what=f"{TEXT} ({n})"
        )
    first, second = case_ids(review)[:2]
    (link,) = _file_links(review, first)
    mixed = link.replace(f"/cases/{first}/", f"/cases/{second}/")
    assert review.get(link).status_code == 200
    assert review.get(mixed).status_code == 404  # the grant to `second` opens nothing of `first`


def test_a_reviewer_without_a_grant_gets_404_on_every_case_route_and_changes_nothing(
    portal: FlaskClient, review_app: Flask, review: FlaskClient, session: Session
) -> None:
    # Given a case with a file, reported before a new reviewer joined (so they hold no grant)
    activated_reviewer(review_app, review, "ratna")
    submit_report_with_files(portal, [upload(b"bukti\n" * 100, "bukti.txt")], what=TEXT)
    case_id = case_ids(review)[0]
    (link,) = _file_links(review, case_id)
    latecomer = review_app.test_client()
    activated_reviewer(review_app, latecomer, "baru")
    assert case_ids(latecomer) == []
    before = snapshot(session)
    # When they try every case route with the real ids and a valid CSRF token
    assert latecomer.get(f"/cases/{case_id}").status_code == 404
    assert latecomer.get(link).status_code == 404
    token = csrf_token(latecomer, "/")
    posted = []
    for rule in review_app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and rule.rule.startswith("/cases/<case_id>"):
            path = rule.rule.replace("<case_id>", case_id)
            response = latecomer.post(
                path,
                data={
                    "csrf_token": token,
                    "text": "ambil alih",
                    "status": "closed",
                    "priority": "high",
                    "label": "x",
                    "original": case_id,
                },
            )
            # Then every one is the 404 of a case that does not exist
            assert response.status_code == 404, path
            posted.append(path)
    assert len(posted) >= 7
    assert snapshot(session) == before
