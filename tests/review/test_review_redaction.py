"""Redaction before referral through the review app: the form, the preview, the export, lifting, CSRF, 404."""

import io
import json
import re
import zipfile

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.actions import (
    case_ids,
    check_status,
    csrf_token,
    full_login,
    reporter_sends,
    submit_report_with_files,
    upload,
)
from tests.domain import events
from tests.pdf_text import pdf_text
from tests.review.test_review_workspace import admin, approved_colleague  # noqa: F401
from tests.test_conversation_flow import jpeg_with_gps
from tests.test_end_to_end import NEW_PASSPHRASE

CANARY = "Kanari Wijayakusuma"
REPORT = f"Kepala bagian {CANARY} meminta setoran. Saksinya kanari wijayakusuma juga."
MESSAGE = "Tanyakan ke KANARI WIJAYAKUSUMA di bagian umum."


@pytest.fixture
def case_id(admin: FlaskClient, portal: FlaskClient) -> str:  # noqa: F811
    """A case whose report, a message and a file name carry the canary."""
    response = submit_report_with_files(portal, [upload(jpeg_with_gps(), "foto-wijayakusuma.jpg")], what=REPORT)
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1).strip()
    check_status(portal, receipt)
    reporter_sends(portal, MESSAGE)
    [case] = case_ids(admin)
    return case


def _file_seq(client: FlaskClient, case: str) -> str:
    page = client.get(f"/cases/{case}/redact").get_data(as_text=True)
    match = re.search(r'name="files" value="(\d+)"', page)
    assert match, "no file checkbox on the redaction form"
    return match.group(1)


def _redact(client: FlaskClient, case: str, phrases: str, files: list[str]) -> TestResponse:
    token = csrf_token(client, f"/cases/{case}/redact")
    return client.post(f"/cases/{case}/redact", data={"csrf_token": token, "phrases": phrases, "files": files})


def _export_everything(client: FlaskClient, case: str) -> dict[str, bytes]:
    page = client.get(f"/cases/{case}/export").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(client, f"/cases/{case}/export"),
        "reason": "Rujukan ke Inspektorat Provinsi",
        "include_report": "y",
        "include_history": "y",
        "messages": re.findall(r'name="messages" value="(\d+)"', page),
        # a withheld file has no checkbox; tick it anyway, as a crafted form would
        "attachments": re.findall(r"#(\d+) · [^<]*\.jpg", page),
    }
    response = client.post(f"/cases/{case}/export", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _mentions(members: dict[str, bytes]) -> bool:
    text = (pdf_text(members["export.pdf"]) + json.dumps(json.loads(members["export.json"]))).casefold()
    names = " ".join(members).casefold()
    return any(w in text or w in names for w in ("kanari", "wijayakusuma"))


def test_a_redacted_export_withholds_the_words_and_the_file_and_says_so(
    admin: FlaskClient,
    case_id: str,
    session: Session,  # noqa: F811
) -> None:
    # given the unredacted export carries the canary
    assert _mentions(_export_everything(admin, case_id))
    photo = _file_seq(admin, case_id)
    # when the reviewer withholds the name and the photo, and is sent to the preview
    response = _redact(admin, case_id, "kanari wijayakusuma\n\nwijayakusuma", [photo])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}/redact/preview")
    preview = admin.get(f"/cases/{case_id}/redact/preview").get_data(as_text=True)
    # then the preview shows the text as exported: the mark, never the name or the photo
    assert "[disamarkan]" in preview and "wijayakusuma" not in preview.casefold()
    assert "3 bagian diganti dengan [disamarkan]" in preview and f"#{photo}" in preview
    # and the export form says the redaction applies, without a checkbox for the photo
    form = admin.get(f"/cases/{case_id}/export").get_data(as_text=True)
    assert f'name="attachments" value="{photo}"' not in form and "[disamarkan]" in form
    # and the export (photo ticked by hand all the same) holds none of it, and says what was withheld
    members = _export_everything(admin, case_id)
    assert not _mentions(members) and set(members) == {"export.pdf", "export.json"}
    redaction = json.loads(members["export.json"])["redaction"]
    assert redaction["passages"] == 3 and redaction["withheld_files"] == [int(photo)]
    assert "Disamarkan untuk pelimpahan" in pdf_text(members["export.pdf"])
    # while the case page shows the original
    page = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert CANARY in page and "foto-wijayakusuma.jpg" in page and "[disamarkan]" not in page
    assert "1 penyamaran berlaku untuk setiap ekspor" in page
    assert [e.detail for e in events(session, "redaction.add")] == [f"item=4 phrases=2 files={photo}"]


def test_a_redaction_is_lifted_by_another_reviewer_not_its_author(
    review_app: Flask,
    admin: FlaskClient,
    case_id: str,
    session: Session,  # noqa: F811
) -> None:
    _redact(admin, case_id, "kanari\nwijayakusuma", [])  # item 4 (1 report, 2 photo, 3 message)
    # a colleague who does not hold the case yet gets 404, for the page and for a lift
    ani = approved_colleague(review_app, admin, session, "ani")
    assert ani.get(f"/cases/{case_id}/redact").status_code == 404
    lift = f"/cases/{case_id}/redact/4/lift"
    assert ani.post(lift, data={"csrf_token": csrf_token(ani, "/")}).status_code == 404
    assert (
        ani.post(f"/cases/{case_id}/redact", data={"csrf_token": csrf_token(ani, "/"), "phrases": "x y"}).status_code
        == 404
    )
    # the author sees no lift button, and a lift posted anyway is refused
    page = admin.get(f"/cases/{case_id}/redact").get_data(as_text=True)
    assert "<li>wijayakusuma</li>" in page and f'action="{lift}"' not in page
    refused = admin.post(lift, data={"csrf_token": csrf_token(admin, f"/cases/{case_id}/redact")})
    assert refused.status_code == 400 and "penelaah lain" in refused.get_data(as_text=True)
    assert _mentions(_export_everything(admin, case_id)) is False
    # once keyed, the colleague lifts it, and the next export carries the name again
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)
    assert f'action="{lift}"' in ani.get(f"/cases/{case_id}/redact").get_data(as_text=True)
    done = ani.post(lift, data={"csrf_token": csrf_token(ani, f"/cases/{case_id}/redact")})
    assert done.status_code == 302
    assert "dicabut oleh ani" in admin.get(f"/cases/{case_id}/redact").get_data(as_text=True).casefold()
    members = _export_everything(admin, case_id)
    assert _mentions(members) and json.loads(members["export.json"])["redaction"] is None
    assert [e.detail for e in events(session, "redaction.lift")] == ["item=5 of=4"]


def test_redaction_forms_need_the_csrf_token(admin: FlaskClient, case_id: str, session: Session) -> None:  # noqa: F811
    page = admin.get(f"/cases/{case_id}/redact").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 1
    assert admin.post(f"/cases/{case_id}/redact", data={"phrases": CANARY}).status_code == 400
    _redact(admin, case_id, CANARY, [])
    assert admin.post(f"/cases/{case_id}/redact/4/lift").status_code == 400
    assert len(events(session, "redaction.add")) == 1 and events(session, "redaction.lift") == []


def test_a_refused_phrase_keeps_the_form(admin: FlaskClient, case_id: str, session: Session) -> None:  # noqa: F811
    response = _redact(admin, case_id, "disamarkan", [])
    assert response.status_code == 400 and "disamarkan" in response.get_data(as_text=True)
    assert "minimal 2 karakter" in response.get_data(as_text=True)
    assert _redact(admin, case_id, "  \n ", []).status_code == 400
    assert events(session, "redaction.add") == []


def test_a_report_paragraph_is_chosen_by_checkbox(admin: FlaskClient, case_id: str) -> None:  # noqa: F811
    page = admin.get(f"/cases/{case_id}/redact").get_data(as_text=True)
    assert 'name="paragraphs" value="what:0"' in page
    token = csrf_token(admin, f"/cases/{case_id}/redact")
    admin.post(f"/cases/{case_id}/redact", data={"csrf_token": token, "paragraphs": ["what:0"]})
    preview = admin.get(f"/cases/{case_id}/redact/preview").get_data(as_text=True)
    assert "Kepala bagian" not in preview and "[disamarkan]" in preview
    assert "Tanyakan ke" in preview  # the message does not quote the paragraph: it stays


def test_the_case_page_links_to_the_redaction_page(admin: FlaskClient, case_id: str) -> None:  # noqa: F811
    assert f'href="/cases/{case_id}/redact"' in admin.get(f"/cases/{case_id}").get_data(as_text=True)
