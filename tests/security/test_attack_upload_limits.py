"""Attack class: uploads and oversized input — disk exhaustion, memory
exhaustion by huge bodies, and script delivery through a "file" that a browser
would render: SVG or HTML with a script, sniffed into HTML
(SecureDrop/GlobaLeaks audit findings: upload disk exhaustion, XSS via
downloads and SVG).

Four walls against flooding: `MAX_CONTENT_LENGTH` for the whole body, the
per-file limit checked while the upload streams into an encrypted spool
(tests/crypto/test_spool.py, tests/test_conversation_flow.py), the per-case total,
and an hourly total for everyone. Files are recognised by content; SVG and HTML
are kept only as plain text, and every download is an opaque attachment in a
sandbox.
"""

import dataclasses
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Attachment, Case
from cases.platform.config import Config
from cases.web.app import dispose
from portal import create_app
from tests.actions import case_ids, report_form, submit_report_with_files, upload
from tests.test_end_to_end import activated_reviewer

TEXT = "Kepala seksi meminta setoran tiap bulan dari staf pelayanan."
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/cases').then(r=>r.text())</script></body></html>"


@pytest.fixture
def small_hour(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    app = create_app(dataclasses.replace(config, max_upload_mb_per_hour=1))
    yield app
    dispose(app)


def test_the_hourly_total_for_everyone_refuses_more_and_keeps_the_text(small_hour: Flask, session: Session) -> None:
    evidence = b"bukti transfer setoran\n" * 30_000  # ~690 KB of plain text
    first = small_hour.test_client()
    assert 'class="receipt"' in submit_report_with_files(first, [upload(evidence, "bukti1.txt")], what=TEXT).get_data(
        as_text=True
    )
    # another visitor in the same hour: the file would pass the hourly total
    second = small_hour.test_client()
    refused = submit_report_with_files(second, [upload(evidence, "bukti2.txt")], what=TEXT + " (kedua)")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'class="receipt"' not in page
    assert "bukti2.txt" in page and "jam ini" in page  # a clear, translated message naming the file
    assert TEXT + " (kedua)" in page  # what they typed is kept
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1
    # the same report without the file goes through at once
    assert 'class="receipt"' in submit_report_with_files(second, [], what=TEXT + " (kedua)").get_data(as_text=True)


@pytest.mark.parametrize(("data", "name"), [(SVG, "bagan.svg"), (HTML, "halaman.html")], ids=["svg", "html"])
def test_svg_and_html_uploads_come_back_as_inert_text_attachments(
    data: bytes, name: str, portal: FlaskClient, review_app: Flask, review: FlaskClient
) -> None:
    # Given a reviewer, and a "reporter" who uploads a file with a script in it
    activated_reviewer(review_app, review, "ratna")
    assert submit_report_with_files(portal, [upload(data, name)], what=TEXT).status_code == 200
    case_id = case_ids(review)[0]
    page = review.get(f"/cases/{case_id}").get_data(as_text=True)
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', page)
    assert link
    # When a reviewer opens it
    response = review.get(link.group(1))
    # Then the browser is told to save it, not render it, and could not run it even if it tried
    assert response.data == data
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and re.search(r'filename="[^"]+\.txt"', disposition)
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp


def test_a_body_over_the_review_apps_limit_is_refused_before_it_is_read(review: FlaskClient) -> None:
    response = review.post("/login", data={"username": "x", "passphrase": "p" * (65 * 1024)})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_body_over_the_portals_limit_is_refused_with_a_generic_page(config: Config, recovery_secret: bytes) -> None:
    app = create_app(dataclasses.replace(config, max_case_mb=1))  # body limit: 4 x case + 16 MB = 20 MB
    try:
        client = app.test_client()
        form = report_form(client)
        body = "&".join(f"{k}={v}" for k, v in form.items()) + "&how=" + "x" * (21 * 1024 * 1024)
        response = client.post("/lapor", data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413
    finally:
        dispose(app)
