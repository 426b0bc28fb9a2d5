"""Case export through the review app: step-up, CSRF, grants, audit, a streamed ZIP, no temp files."""

import io
import json
import re
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from cases.models import AuditEvent, Case, ReviewerSession
from tests.actions import (
    TotpClock,
    case_ids,
    check_status,
    csrf_token,
    full_login,
    reporter_sends,
    submit_report_with_files,
    team_replies,
    upload,
)
from tests.domain import age_session
from tests.pdf_text import pdf_text
from tests.review.test_review_workspace import admin, approved_colleague, post, reviewer_id  # noqa: F401
from tests.test_conversation_flow import jpeg_with_gps
from tests.test_end_to_end import NEW_PASSPHRASE

REPORT = "Sekretaris dinas memungut uang 'jasa' untuk setiap SK kenaikan pangkat."
CONTACT = "telegram @saksi_anonim"
KEPT = "Bukti kuitansi saya lampirkan."
LEFT_OUT = "Saya satu-satunya staf di bagian keuangan lantai dua."


@pytest.fixture
def case_id(admin: FlaskClient, portal: FlaskClient) -> str:  # noqa: F811
    """A case with contact details, a photo (cleaned at upload), two reporter messages and a reply."""
    response = submit_report_with_files(portal, [upload(jpeg_with_gps(), "kuitansi.jpg")], what=REPORT, contact=CONTACT)
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1).strip()
    check_status(portal, receipt)
    reporter_sends(portal, KEPT)
    reporter_sends(portal, LEFT_OUT)
    [case] = case_ids(admin)
    team_replies(admin, case, "Terima kasih, kami tindak lanjuti.")
    return case


def _checkbox(page: str, text: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="(\d+)"[^>]*>\s*#\d+[^<]*?{re.escape(text)}', page)
    assert match, f"no {name} checkbox for {text!r}"
    return match.group(1)


def _export(client: FlaskClient, case: str, **fields: str | list[str]) -> TestResponse:
    data: dict[str, str | list[str]] = {
        "csrf_token": csrf_token(client, f"/cases/{case}/export"),
        "reason": "Rujukan ke Inspektorat Provinsi",
        "include_report": "y",
    }
    data.update(fields)
    return client.post(f"/cases/{case}/export", data=data)


def _zip(response: TestResponse) -> dict[str, bytes]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _exports(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("case.export"))))


def _age_step_up(session: Session) -> None:
    for row in session.scalars(select(ReviewerSession)):
        age_session(row, stepped_up=timedelta(minutes=6))
    session.commit()


def test_case_page_links_to_the_export(admin: FlaskClient, case_id: str) -> None:  # noqa: F811
    assert f'href="/cases/{case_id}/export"' in admin.get(f"/cases/{case_id}").get_data(as_text=True)


def test_export_downloads_exactly_the_selected_parts_as_a_zip(
    admin: FlaskClient,
    case_id: str,
    session: Session,  # noqa: F811
) -> None:
    # given the export form, listing each message and file with its own checkbox
    page = admin.get(f"/cases/{case_id}/export").get_data(as_text=True)
    kept, photo = _checkbox(page, KEPT, "messages"), _checkbox(page, "kuitansi.jpg", "attachments")
    _checkbox(page, LEFT_OUT, "messages")
    # when the reviewer ticks the report, one message and the photo
    response = _export(admin, case_id, messages=[kept], attachments=[photo], include_history="y")
    # then a ZIP streams back as a download that nothing caches
    assert response.mimetype == "application/zip" and response.is_streamed
    assert response.headers["Content-Disposition"] == f'attachment; filename="case-{case_id}-export.zip"'
    assert response.headers["Cache-Control"] == "no-store"
    members = _zip(response)
    assert set(members) == {"export.pdf", "export.json", "attachments/1-kuitansi.jpg"}
    document = json.loads(members["export.json"])
    assert document["report"]["what"] == REPORT and [m["text"] for m in document["messages"]] == [KEPT]
    assert document["export"]["reason"] == "Rujukan ke Inspektorat Provinsi"
    text = pdf_text(members["export.pdf"])
    assert REPORT in text and KEPT in text
    for absent in (LEFT_OUT, CONTACT):
        assert absent not in text and all(absent.encode() not in data for data in members.values())
    # and the export is audited with its reason, without content
    [event] = _exports(session)
    assert event.case_id == case_id and event.detail.endswith("reason=Rujukan ke Inspektorat Provinsi")
    assert f"messages={kept} files={photo}" in event.detail
    assert all(content not in event.detail for content in (REPORT, KEPT, CONTACT, "kuitansi"))


def test_exported_photo_is_the_stored_cleaned_version(
    admin: FlaskClient,
    case_id: str,  # noqa: F811
) -> None:
    page = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    download_url = re.search(rf'href="(/cases/{case_id}/files/[0-9a-f]+)"', page).group(1)
    stored = admin.get(download_url).get_data()
    photo = _checkbox(admin.get(f"/cases/{case_id}/export").get_data(as_text=True), "kuitansi.jpg", "attachments")
    exported = _zip(_export(admin, case_id, attachments=[photo]))["attachments/1-kuitansi.jpg"]
    assert exported == stored
    assert b"KanariPhone" not in exported and b"KanariPhone" in jpeg_with_gps()  # the cleaned one, not the upload


def test_contact_details_need_the_box_and_a_reason(
    admin: FlaskClient,
    case_id: str,
    session: Session,  # noqa: F811
) -> None:
    page = admin.get(f"/cases/{case_id}/export").get_data(as_text=True)
    assert 'name="include_contact"' in page and 'name="include_contact" checked' not in page
    refused = _export(admin, case_id, include_contact="y", contact_reason="")
    assert refused.status_code == 400
    assert "Kontak pelapor hanya disertakan jika alasannya dituliskan" in refused.get_data(as_text=True)
    assert _exports(session) == []
    members = _zip(_export(admin, case_id, include_contact="y", contact_reason="Penyidik perlu meminta keterangan"))
    assert json.loads(members["export.json"])["contact"]["text"] == CONTACT
    assert CONTACT in pdf_text(members["export.pdf"])
    assert [e.action for e in _exports(session)] == ["case.export", "case.export.contact"]


def test_a_reason_is_mandatory(admin: FlaskClient, case_id: str, session: Session) -> None:  # noqa: F811
    response = _export(admin, case_id, reason="   ")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert _exports(session) == []
    assert _export(admin, case_id, reason="x" * 301).status_code == 400


def test_export_needs_a_fresh_code(
    admin: FlaskClient,
    case_id: str,
    session: Session,
    totp_clock: TotpClock,  # noqa: F811
) -> None:
    # given a reviewer whose last code is 6 minutes old
    token = csrf_token(admin, f"/cases/{case_id}/export")
    _age_step_up(session)
    # when they open the form or post an export, they are sent to confirm first, and nothing is exported
    form = admin.get(f"/cases/{case_id}/export")
    assert form.status_code == 302 and form.headers["Location"].startswith("/step-up")
    assert f"next=/cases/{case_id}/export" in form.headers["Location"].replace("%2F", "/")
    attempt = admin.post(f"/cases/{case_id}/export", data={"csrf_token": token, "reason": "x", "include_report": "y"})
    assert attempt.status_code == 302 and "/step-up" in attempt.headers["Location"]
    assert _exports(session) == []
    # and after a fresh code the form comes back and the export works
    admin.post(
        f"/step-up?next=/cases/{case_id}/export",
        data={"csrf_token": csrf_token(admin, "/step-up"), "code": totp_clock.next_code("admin")},
    )
    assert admin.get(f"/cases/{case_id}/export").status_code == 200
    assert "export.json" in _zip(_export(admin, case_id))


def test_export_needs_the_csrf_token(admin: FlaskClient, case_id: str, session: Session) -> None:  # noqa: F811
    response = admin.post(f"/cases/{case_id}/export", data={"reason": "x", "include_report": "y"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert _exports(session) == []


def test_reviewer_without_a_grant_or_recused_gets_404(
    review_app: Flask,
    admin: FlaskClient,
    portal: FlaskClient,
    session: Session,
    case_id: str,  # noqa: F811
) -> None:
    # a colleague approved after the case, before any re-grant: holds no key for it
    ani = approved_colleague(review_app, admin, session, "ani")
    assert ani.get(f"/cases/{case_id}/export").status_code == 404
    assert _export_as(ani, case_id).status_code == 404
    # once keyed (the admin, who holds the case, signs in again) they may export; recused from the unit they may not
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)
    assert ani.get(f"/cases/{case_id}/export").status_code == 200
    opd_id = session.get(Case, case_id).opd_id
    post(admin, f"/team/{reviewer_id(session, 'ani')}/affiliations", {"opd": str(opd_id), "kind": "member"}, "/team")
    assert ani.get(f"/cases/{case_id}/export").status_code == 404
    assert _export_as(ani, case_id).status_code == 404
    assert _exports(session) == []


def _export_as(client: FlaskClient, case: str) -> TestResponse:
    """Post an export with a token taken from a page the client can open."""
    return client.post(
        f"/cases/{case}/export", data={"csrf_token": csrf_token(client, "/"), "reason": "x", "include_report": "y"}
    )


def test_no_plaintext_reaches_a_temporary_file(
    admin: FlaskClient,
    case_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    # given an empty temporary directory that every tempfile call would use
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # and a record of every way to make one (an unnamed O_TMPFILE would leave no trace in the directory)
    made: list[str] = []
    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp", "mkdtemp"):
        original = getattr(tempfile, name)
        monkeypatch.setattr(tempfile, name, lambda *a, _n=name, _o=original, **k: made.append(_n) or _o(*a, **k))
    page = admin.get(f"/cases/{case_id}/export").get_data(as_text=True)
    everything = {
        "messages": [_checkbox(page, KEPT, "messages"), _checkbox(page, LEFT_OUT, "messages")],
        "attachments": [_checkbox(page, "kuitansi.jpg", "attachments")],
    }
    # when a full export (report, messages, photo, contact) is built and streamed
    members = _zip(
        _export(
            admin,
            case_id,
            include_history="y",
            include_notes="y",
            include_contact="y",
            contact_reason="uji",
            **everything,
        )
    )
    # then it is complete, and the temporary directory stayed empty
    assert len(members) == 3 and CONTACT in json.loads(members["export.json"])["contact"]["text"]
    assert list(scratch.iterdir()) == [] and made == []
