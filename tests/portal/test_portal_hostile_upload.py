"""A report with decompression bombs attached is received: text and files kept, files marked not cleaned."""

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.evidence import sandbox
from cases.models import Attachment, Case
from tests.actions import receipt_of, submit_report_with_files, upload
from tests.cases.evidence import hostile

NOT_CLEANED = "Tidak dapat dibersihkan: disimpan persis seperti yang Anda kirim."


def test_report_with_bombs_attached_is_received_with_text_and_files_kept(
    portal: FlaskClient, portal_app: Flask, session: Session
) -> None:
    # given the bombs: a 159 Mpx PNG of 150 KB and a PDF with [/FlateDecode /FlateDecode]
    files = [
        upload(hostile.png_bomb(), "foto.png"),
        upload(hostile.pdf_filter_chain(), "surat.pdf"),
        upload(hostile.pdf_object_stream_bomb(), "laporan.pdf"),
    ]
    # when a reporter sends them with the report
    response = submit_report_with_files(portal, files, what="Teks laporan yang harus tetap ada bersama berkasnya.")
    # then the report is received (a receipt), and the page tells that each file was not cleaned
    assert response.status_code == 200
    assert receipt_of(response)
    page = response.get_data(as_text=True)
    assert page.count(NOT_CLEANED) == 3
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.scalar(select(func.count()).select_from(Attachment)) == 3
    # and the work was done by the portal's sandbox children, not by this process
    config = portal_app.extensions["kanal.config"]
    assert sandbox.pool(config.sandbox).started >= 1


def test_a_child_killed_by_its_limit_does_not_fail_the_report(
    portal: FlaskClient, portal_app: Flask, session: Session
) -> None:
    # given a portal whose cleaners may use only 128 MB (the object-stream bomb needs 512)
    config = portal_app.extensions["kanal.config"]
    portal_app.extensions["kanal.config"] = dataclasses.replace(
        config, sandbox=dataclasses.replace(config.sandbox, memory_mb=128)
    )
    # when a report arrives with the bomb
    response = submit_report_with_files(portal, [upload(hostile.pdf_object_stream_bomb(), "laporan.pdf")])
    # then it is received with the file kept and marked, never a 500
    assert response.status_code == 200 and NOT_CLEANED in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_a_request_whose_cleaning_budget_is_spent_keeps_its_remaining_files_as_sent(
    portal: FlaskClient, portal_app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a request's cleaning budget already spent (as after slow files: 10 × 30 s would outlive
    # gunicorn's timeout, and the killed worker would lose the report)
    from portal import uploads

    monkeypatch.setattr(uploads, "REQUEST_CLEANING_SECONDS", 0.0)
    config = portal_app.extensions["kanal.config"]
    started = sandbox.pool(config.sandbox).started
    # when ordinary, cleanable files come with the report
    files = [upload(hostile.ordinary("jpg"), "foto.jpg"), upload(hostile.ordinary("pdf"), "surat.pdf")]
    response = submit_report_with_files(portal, files, what="Teks laporan yang harus tetap ada bersama berkasnya.")
    # then the report is received with both files, kept as sent and said to be not cleaned; no child ran
    assert response.status_code == 200 and receipt_of(response)
    assert response.get_data(as_text=True).count(NOT_CLEANED) == 2
    assert session.scalar(select(func.count()).select_from(Attachment)) == 2
    assert sandbox.pool(config.sandbox).started == started
