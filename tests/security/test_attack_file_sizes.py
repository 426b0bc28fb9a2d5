"""Attack class: the size of an evidence file read from the database — a database writer, a backup
reader or a DBA matching the exact length of a stored file against a document only a few people
had (the file's size is as good as a fingerprint once it is exact; issue 16, point 3).

Every attachment stream is padded to the Padmé bucket of its size (crypto/stream.py, format 3),
like items. Through the real upload path, two files of 1,044,189 and 1,044,190 bytes store the
same: the same chunk rows of the same lengths, the same plaintext columns, details items of the
same length; both download back byte for byte. The exact size is only in the encrypted details,
which is what the team is shown (as a bucket).
"""

import re
import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cases.models import Attachment, AttachmentChunk, Base, CaseItem
from crypto.stream import TAG_BYTES, is_padded, padded_length, stored_length
from tests.actions import case_ids, submit_report_with_files, upload
from tests.test_end_to_end import activated_reviewer

SIZES = (1_044_189, 1_044_190)


def _text_file(size: int) -> bytes:
    """Plain text of exactly `size` bytes (text is stored as it comes: no cleaning changes its size)."""
    return secrets.token_hex(size // 2 + 1).encode()[:size]


def _submit_both(portal: FlaskClient) -> dict[str, bytes]:
    files = {f"rekap-{n}.txt": _text_file(size) for n, size in enumerate(SIZES)}
    response = submit_report_with_files(portal, [upload(data, name) for name, data in files.items()])
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return files


def _what_the_database_holds(session: Session, attachment: Attachment) -> dict[str, object]:
    """Everything a database writer sees of one stored file, but its random ids."""
    session.refresh(attachment)
    chunks = session.scalars(
        select(AttachmentChunk).where(AttachmentChunk.attachment_id == attachment.id).order_by(AttachmentChunk.seq)
    ).all()
    details = session.get(CaseItem, attachment.item_id)
    assert details is not None
    return {
        "header": (len(attachment.header), attachment.header[:1]),
        "chunk_count": attachment.chunk_count,
        "created_at": attachment.created_at,
        "chunks": [(chunk.seq, len(chunk.data)) for chunk in chunks],
        "stored": sum(len(chunk.data) for chunk in chunks),
        "details": (details.kind, details.author, details.key_kind, details.created_at, len(details.ciphertext)),
    }


def test_two_files_one_byte_apart_store_the_same_and_download_back_exactly(
    portal: FlaskClient, review: FlaskClient, review_app: Flask, session: Session
) -> None:
    # given a reader, and a report with two files of 1,044,189 and 1,044,190 bytes uploaded through the portal
    activated_reviewer(review_app, review, "ratna")
    files = _submit_both(portal)

    # then the database holds the same for both: chunk rows and their lengths, chunk count, header, details
    attachments = session.scalars(select(Attachment)).all()
    assert len(attachments) == 2 and all(is_padded(a.header) for a in attachments)
    first, second = (_what_the_database_holds(session, a) for a in attachments)
    assert first == second
    assert first["stored"] == stored_length(SIZES[0]) == stored_length(SIZES[1]) == 16 * (64 * 1024 + 16)

    # and each downloads back byte for byte, with its exact size, shown to the team only as a bucket
    case_id = case_ids(review)[0]
    page = review.get(f"/cases/{case_id}").get_data(as_text=True)
    assert page.count("&lt; 1 MB") == 2 and "1044189" not in page and "1.044.189" not in page
    links = re.findall(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', page)
    downloads = []
    for link in links:
        response = review.get(link)
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == len(response.data)
        downloads.append(response.data)
    assert sorted(downloads) == sorted(files.values())


@pytest.mark.committed  # reads every table raw through an engine of its own
def test_a_database_writer_finds_the_exact_size_in_no_plaintext_column(
    portal: FlaskClient, session: Session, engine: Engine
) -> None:
    # given the two files stored through the portal
    _submit_both(portal)
    # when a database writer reads every row of every table
    found = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for column, value in row._mapping.items():
                    if isinstance(value, int) and not isinstance(value, bool) and value in SIZES:
                        found.append((table.name, column))
                    if isinstance(value, str) and any(str(size) in value for size in SIZES):
                        found.append((table.name, column))
                    if isinstance(value, bytes | memoryview) and len(value) in SIZES:
                        found.append((table.name, column))
    # then no number, text or length anywhere is either exact size
    assert found == []
    # and neither is what the stored chunks add up to, less their tags: both give the same Padmé bucket
    inferred = set()
    for attachment in session.scalars(select(Attachment)):
        lengths = session.scalars(
            select(func.length(AttachmentChunk.data)).where(AttachmentChunk.attachment_id == attachment.id)
        ).all()
        assert attachment.chunk_count == len(lengths) == 16
        inferred.add(sum(lengths) - TAG_BYTES * len(lengths))
    assert inferred == {padded_length(SIZES[0])} == {padded_length(SIZES[1])} == {1024 * 1024}
