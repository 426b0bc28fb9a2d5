"""Attack class: disk exhaustion by uploads (SecureDrop/GlobaLeaks audit finding).
Per file and per case limits are checked while streaming (tests/crypto/test_spool.py,
tests/test_conversation_flow.py); this module proves the third wall: a total for
everyone per hour, so many "reporters" together cannot fill the disk either."""

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.config import Config
from cases.models import Attachment, Case
from cases.web import dispose
from portal import create_app
from tests.actions import submit_report_with_files, upload

TEXT = "Kepala seksi meminta setoran tiap bulan dari staf pelayanan."


@pytest.fixture
def small_hour(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    app = create_app(dataclasses.replace(config, max_upload_mb_per_hour=1))
    yield app
    dispose(app)


def test_the_hourly_total_for_everyone_refuses_more_and_keeps_the_text(small_hour: Flask, session: Session) -> None:
    evidence = b"bukti transfer setoran\n" * 30_000  # ~690 KB of plain text
    first = small_hour.test_client()
    assert 'class="receipt"' in submit_report_with_files(first, [upload(evidence, "bukti1.txt")], what=TEXT) \
        .get_data(as_text=True)
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
