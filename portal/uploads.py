"""Uploads never reach the disk in plaintext.

The portal's request class hands Werkzeug an `EncryptedSpool` for every file
part instead of its plaintext temporary file, with the per-file limit enforced
while the data streams in.
"""

import time
from typing import IO, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from cases.evidence.errors import FileRefused
from cases.evidence.sandbox_limits import REQUEST_CLEANING_SECONDS
from cases.evidence.store import Limits, PreparedFile, Upload, prepare_file, spool_too_large, upload_spool
from cases.platform.config import Config
from cases.web.ratelimit import within_upload_share
from cases.web.security import NulFreeRequest

REFUSAL_MESSAGES = {
    "too_large": _l("“%(name)s” is larger than %(mb)d MB and was not accepted."),
    "type": _l(
        "“%(name)s” is not a file type we accept. Send photos (JPEG, PNG, WebP, HEIC), PDF, "
        "Office or OpenDocument files, plain text, or audio recordings."
    ),
    "empty": _l("“%(name)s” is empty."),
    "case_full": _l("“%(name)s” does not fit: a report can hold at most %(case_mb)d MB of files."),
    "too_many": _l("Send at most %(count)d files at a time."),
    "busy": _l(
        "“%(name)s” could not be accepted right now: the channel has received many files this hour. "
        "Your text is kept below; send the report without it now and add the file later with your "
        "receipt code, or try again in an hour."
    ),
}
VISIT_SHARE_MESSAGE = _l(
    "Your files could not be accepted right now: this visit has sent many files this hour. Your text is "
    "kept below; send it without the files now and add them later with your receipt code."
)


def limits() -> Limits:
    config: Config = current_app.extensions["kanal.config"]
    return Limits(
        file_bytes=config.max_file_mb * 1024 * 1024,
        case_bytes=config.max_case_mb * 1024 * 1024,
        hour_bytes=config.max_upload_mb_per_hour * 1024 * 1024,
        sandbox=config.sandbox,
    )


class PortalRequest(NulFreeRequest):
    """The shared request (form values without NULs) whose file parts stream into the encrypted
    spool with the per-file limit."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return cast(IO[bytes], upload_spool(limit=limits().file_bytes))


def uploads_from(files: list[FileStorage]) -> list[Upload]:
    """The files the reporter actually chose (browsers send an empty part when none)."""
    chosen = []
    for storage in files:
        if not storage.filename:
            continue
        stream = storage.stream
        too_large = spool_too_large(stream)
        chosen.append(Upload(filename=storage.filename, stream=stream, too_large=too_large))
    return chosen


def refusal_message(refused: FileRefused) -> str:
    config: Config = current_app.extensions["kanal.config"]
    return str(
        REFUSAL_MESSAGES[refused.reason]
        % {
            "name": refused.filename[:80],
            "mb": config.max_file_mb,
            "case_mb": config.max_case_mb,
            "count": limits().files_per_upload,
        }
    )


def prepare_uploads(files: list[FileStorage]) -> tuple[list[PreparedFile], list[str]]:
    """Check and clean every chosen file; the messages for those refused. Files that passed their
    checks are then spent from this visit's share of the hour's upload allowance (bytes after the
    size checks, never the bytes a refused file claimed)."""
    prepared, errors = [], []
    until = time.monotonic() + REQUEST_CLEANING_SECONDS  # one request's cleaning, all files together
    for upload in uploads_from(files):
        try:
            prepared.append(prepare_file(upload, limits=limits(), cleaning_until=until))
        except FileRefused as refused:
            errors.append(refusal_message(refused))
    if prepared and not errors and not within_upload_share(sum(file.size for file in prepared)):
        return [], [str(VISIT_SHARE_MESSAGE)]
    return prepared, errors
