"""Reporter and team talk through both apps, with evidence, and nothing leaks."""

import io
import logging
import re
from pathlib import Path

import pikepdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cases.models import Attachment, AttachmentChunk, Case, CaseItem, ReporterSession
from tests.actions import (
    case_ids,
    check_status,
    receipt_of,
    reporter_sends,
    submit_report,
    submit_report_with_files,
    team_replies,
    upload,
)
from tests.test_end_to_end import _database_text, _files_text, activated_reviewer


def jpeg_with_gps(marker: str = "KanariPhone") -> bytes:
    exif = Image.Exif()
    exif[0x0110] = marker
    exif[0x8825] = {1: "S", 2: (6.0, 58.0, 30.0), 3: "E", 4: (110.0, 24.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def pdf_with_author(author: str = "Kanari Penulis") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = author
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture
def team(review: FlaskClient, review_app: Flask) -> FlaskClient:
    activated_reviewer(review_app, review, "ratna")
    return review


def test_reporter_and_team_converse_through_both_apps(portal: FlaskClient, team: FlaskClient) -> None:
    # Given a report, and the team replying with a question
    receipt = submit_report(portal)
    case_id = case_ids(team)[0]
    assert team_replies(team, case_id, "Terima kasih. Kapan setoran pertama diminta?").status_code == 302

    # When the reporter comes back with the receipt
    page = check_status(portal, receipt).get_data(as_text=True)

    # Then they read the question, from "the team", never the reviewer's name
    assert "Kapan setoran pertama diminta?" in page and "Tim integritas" in page
    assert "ratna" not in page and "Ratna" not in page

    # And their answer reaches the team, marked as new in the list
    assert "Sejak Januari" in reporter_sends(portal, "Sejak Januari 2026.").get_data(as_text=True)
    assert "● baru" in team.get("/").get_data(as_text=True)
    case_page = team.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sejak Januari 2026." in case_page and "ratna" in case_page
    assert "● baru" not in team.get("/").get_data(as_text=True)  # read now


def test_reporter_never_sees_team_only_items(portal: FlaskClient, team: FlaskClient, session: Session) -> None:
    receipt = submit_report(portal)
    case = session.scalars(select(Case)).one()
    # An internal note is a team-key item (written by the triage features of issue #4).
    case.item_seq += 1
    session.add(
        CaseItem(
            id="note1",
            case_id=case.id,
            seq=case.item_seq,
            kind="note",
            author="team",
            key_kind="team",
            created_at=case.received_at,
            ciphertext=b"\x01" + bytes(60),
        )
    )
    session.commit()
    page = check_status(portal, receipt)
    assert page.status_code == 200  # the note is skipped, not decrypted with the wrong key
    assert "note1" not in page.get_data(as_text=True)


def test_photo_gps_is_gone_after_upload(portal: FlaskClient, team: FlaskClient) -> None:
    response = submit_report_with_files(portal, [upload(jpeg_with_gps(), "IMG_20261101_0830.jpg")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Metadata sudah dihapus" in page

    case_id = case_ids(team)[0]
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', team.get(f"/cases/{case_id}").get_data(as_text=True))
    download = team.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    image = Image.open(io.BytesIO(download.data))
    assert image.size == (80, 60)
    assert dict(image.getexif()) == {}
    assert b"KanariPhone" not in download.data


def test_pdf_author_is_gone_after_upload(portal: FlaskClient, team: FlaskClient) -> None:
    receipt = submit_report(portal)
    check_status(portal, receipt)
    page = reporter_sends(portal, "", files=[upload(pdf_with_author(), "surat tugas.pdf")]).get_data(as_text=True)
    assert "surat tugas.pdf" in page and "Metadata sudah dihapus" in page

    case_id = case_ids(team)[0]
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', team.get(f"/cases/{case_id}").get_data(as_text=True))
    data = team.get(link.group(1)).data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Author" not in pdf.docinfo
    assert b"Kanari Penulis" not in data


def test_file_over_the_limit_is_refused_and_the_form_kept(
    portal: FlaskClient, session: Session, portal_app: Flask
) -> None:
    limit = portal_app.extensions["kanal.config"].max_file_mb * 1024 * 1024
    big = b"ID3" + bytes(limit)  # an "audio" file one byte over the limit
    response = submit_report_with_files(
        portal, [upload(big, "rekaman.mp3")], what="Teks laporan yang harus tetap ada setelah berkas ditolak."
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "rekaman.mp3" in page and "lebih besar dari 25 MB" in page
    assert "Teks laporan yang harus tetap ada setelah berkas ditolak." in page
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_disallowed_type_is_refused_and_the_form_kept(portal: FlaskClient, session: Session) -> None:
    response = submit_report_with_files(portal, [upload(b"MZ\x90\x00" + bytes(200), "setoran.exe")], who="Kabid Umum")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "bukan jenis berkas yang kami terima" in page and "Kabid Umum" in page
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_unclean_file_is_kept_as_sent_and_the_reporter_told(portal: FlaskClient, team: FlaskClient) -> None:
    audio = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 400
    page = submit_report_with_files(portal, [upload(audio, "rekaman rapat.mp3")]).get_data(as_text=True)
    assert "Tidak dapat dibersihkan" in page
    case_id = case_ids(team)[0]
    view = team.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "tidak dibersihkan" in view
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', view)
    assert team.get(link.group(1)).data == audio


def test_reviewer_without_a_grant_cannot_download(portal: FlaskClient, review_app: Flask, team: FlaskClient) -> None:
    submit_report_with_files(portal, [upload(jpeg_with_gps(), "a.jpg")])
    case_id = case_ids(team)[0]
    link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', team.get(f"/cases/{case_id}").get_data(as_text=True))
    latecomer = review_app.test_client()
    activated_reviewer(review_app, latecomer, "baru")
    assert latecomer.get(link.group(1)).status_code == 404
    assert latecomer.post(f"/cases/{case_id}/reply", data={"text": "x"}).status_code in (400, 404)


def test_upload_failing_midway_leaves_nothing(
    portal: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cases.evidence.store as store

    real = store.encrypt_stream

    def breaks_after_two_chunks(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for number, chunk in enumerate(real(*args, **kwargs)):
            if number == 2:
                raise OSError("disk gone")
            yield chunk

    monkeypatch.setattr(store, "encrypt_stream", breaks_after_two_chunks)
    audio = b"OggS" + bytes(300_000)
    response = submit_report_with_files(portal, [upload(audio, "rekaman.ogg")])
    assert response.status_code == 500
    assert "tanda terima" in response.get_data(as_text=True)  # told to check for a receipt
    for table in (Case, CaseItem, Attachment, AttachmentChunk):
        assert session.scalar(select(func.count()).select_from(table)) == 0


def test_closed_case_accepts_no_more(portal: FlaskClient, session: Session) -> None:
    receipt = submit_report(portal)
    session.scalars(select(Case)).one().status = "closed"
    session.commit()
    page = check_status(portal, receipt).get_data(as_text=True)
    assert "sudah selesai" in page and 'name="evidence"' not in page
    assert reporter_sends(portal, "masih ada lagi", follow=False).status_code == 400


def test_visit_ends_on_forget_and_the_cookie_is_useless_after(
    portal: FlaskClient, portal_app: Flask, session: Session
) -> None:
    receipt = submit_report(portal)
    check_status(portal, receipt)
    cookie = portal.get_cookie("kanal_portal").value
    assert receipt.replace("-", "") not in cookie.upper().replace("-", "")
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', portal.get("/laporan-saya").get_data(as_text=True)
    ).group(1)
    portal.post("/lupakan", data={"csrf_token": token})
    assert session.scalar(select(func.count()).select_from(ReporterSession)) == 0
    replay = portal_app.test_client()
    replay.set_cookie("kanal_portal", cookie)
    assert replay.get("/laporan-saya").headers["Location"].endswith("/status")


def test_visit_expires_after_thirty_minutes(portal: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    receipt = submit_report(portal)
    check_status(portal, receipt)
    assert portal.get("/laporan-saya").status_code == 200
    import cases.reporting.visits as visit

    now = visit.time.time()
    monkeypatch.setattr(visit.time, "time", lambda: now + 31 * 60)
    assert portal.get("/laporan-saya").headers["Location"].endswith("/status")


CANARY = "KANARI-b41d7e"


@pytest.mark.committed  # what reaches the disk: the database file among them, committed
def test_canaries_in_messages_and_file_names_never_reach_disk_or_logs(
    portal: FlaskClient,
    team: FlaskClient,
    engine: Engine,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    text_file = f"{CANARY} isi berkas teks\n".encode() * 5000  # > 64 KiB: spooled and chunked
    receipt = receipt_of(submit_report_with_files(portal, [upload(text_file, f"{CANARY}-catatan.txt")]))
    check_status(portal, receipt)
    reporter_sends(portal, f"{CANARY} balasan pelapor", files=[upload(jpeg_with_gps(), f"{CANARY}-foto.jpg")])
    case_id = case_ids(team)[0]
    team_replies(team, case_id, f"{CANARY} balasan tim")
    page = team.get(f"/cases/{case_id}").get_data(as_text=True)
    assert page.count(CANARY) >= 4  # the team really reads all of it

    haystacks = {
        "database": _database_text(engine),
        "data dir": _files_text(data_dir),
        "logs": (caplog.text + "".join(capfd.readouterr())).encode(),
    }
    for where, haystack in haystacks.items():
        assert CANARY.encode() not in haystack, f"canary found in {where}"
        assert receipt.encode() not in haystack, f"receipt found in {where}"


def test_reply_after_the_visit_ended_is_shown_back_not_lost(
    portal: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = submit_report(portal)
    check_status(portal, receipt)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', portal.get("/laporan-saya").get_data(as_text=True)
    ).group(1)
    import cases.reporting.visits as visit

    now = visit.time.time()
    monkeypatch.setattr(visit.time, "time", lambda: now + 31 * 60)
    response = portal.post("/laporan-saya", data={"csrf_token": token, "text": "Balasan panjang yang ditulis lama."})
    assert response.status_code == 400
    assert "Balasan panjang yang ditulis lama." in response.get_data(as_text=True)


def test_reply_with_an_expired_form_is_shown_back_not_lost(portal: FlaskClient) -> None:
    receipt = submit_report(portal)
    check_status(portal, receipt)
    response = portal.post(
        "/laporan-saya", data={"csrf_token": "kedaluwarsa", "text": "Jawaban yang tidak boleh hilang."}
    )
    assert response.status_code == 400
    assert "Jawaban yang tidak boleh hilang." in response.get_data(as_text=True)


def test_portal_fields_stay_out_of_the_browser_history(portal: FlaskClient) -> None:
    for url in ("/lapor", "/status"):
        page = portal.get(url).get_data(as_text=True)
        fields = re.findall(r"<(?:input|textarea)[^>]*>", page)
        # a checkbox keeps no typed text, and HTML allows no autocomplete on it
        typed = [f for f in fields if not any(f'type="{t}"' in f for t in ("hidden", "file", "checkbox"))]
        assert typed and all('autocomplete="off"' in f for f in typed), url
