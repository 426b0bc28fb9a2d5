"""A report form's one-time token: the same form sent twice makes one case, and its files survive a correction.

Every report form carries a random token in a hidden field (it travels only in the
page and the POST body, never in a cookie or a URL). From it, and only from it,
come:

- the id of the `sent_form` row claimed in the transaction that makes the case
  (a second POST of the same form, such as the browser's "resend" on a refresh of
  the receipt page, finds the row and makes no case; two POSTs at once collide on
  the primary key and one of them makes nothing);
- the key that seals the receipt and the files' details in that row, so the
  receipt page can be shown again for 30 minutes (`RESHOW`) without the receipt
  ever being stored in plaintext;
- the id and key of the files kept when the form was sent back for a correction
  (`kept_file`), so the reporter does not choose them again and any app server can
  take the next POST.

Rows keep only the hour. `purge_stale_forms` (at every report, the hourly
`purge-expired` timer and server start) deletes kept files and sealed receipts
after the previous hour, and the rows themselves after `FORGET_AFTER` — longer
than a form's CSRF token is accepted, so a form can never be sent twice.
"""

import dataclasses
import hashlib
import io
import json
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.evidence.sniff import FileKind
from cases.evidence.store import AttachmentInfo, Limits, PreparedFile, stored_this_hour
from cases.models import KeptFile, KeptFileChunk, SentForm, new_id
from cases.platform.clock import to_hour, utc_now
from cases.reporting.errors import FormAlreadySent, KeptFilesGone
from crypto.derive import derive_key, unwrap, wrap
from crypto.errors import CryptoError
from crypto.stream import CHUNK_SIZE, decrypt_stream, encrypt_stream, new_header

RESHOW = timedelta(minutes=30)
# How long a report form is accepted (the portal's CSRF time limit: a frightened reporter may take a
# long time to write), and how long a sent form is remembered: longer, so that the same form can
# never make a second case while it is still accepted (rows keep only the hour; purged by hour).
FORM_LIFETIME = timedelta(hours=4)
FORGET_AFTER = FORM_LIFETIME + timedelta(hours=1)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SENT = "report-form-sent"
_KEPT = "report-form-kept-file"


def new_form_token() -> str:
    return secrets.token_urlsafe(32)


def is_form_token(text: object) -> bool:
    return isinstance(text, str) and _TOKEN.match(text) is not None


def _form_id(token: str) -> bytes:
    return hashlib.sha256(b"kanal-integritas/v1/report-form-id\x00" + token.encode()).digest()


def _key(token: str, label: str) -> bytes:
    return derive_key(token.encode(), label=label)


# --- sent once -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentBefore:
    """What a form sent again is shown: the same receipt page while `receipt` is set (30 minutes),
    afterwards only that the report was received and its code shown once."""

    receipt: str | None
    files: tuple[AttachmentInfo, ...] = ()

    def __repr__(self) -> str:  # the receipt must never reach a log line
        return f"SentBefore(receipt={'<hidden>' if self.receipt else None}, files={len(self.files)})"


def sent_before(session: Session, token: str) -> SentBefore | None:
    """None when this form has not been sent; otherwise what to show again."""
    row = session.get(SentForm, _form_id(token))
    if row is None:
        return None
    if row.sealed is None:
        return SentBefore(None)
    try:
        data = json.loads(unwrap(_key(token, _SENT), row.sealed, label=_SENT, context=row.id))
        made = datetime.fromisoformat(data["at"])
        files = tuple(AttachmentInfo(**info) for info in data["files"])
    except (CryptoError, ValueError, KeyError, TypeError):
        return SentBefore(None)
    if utc_now() - made > RESHOW:
        return SentBefore(None)
    return SentBefore(str(data["receipt"]), files)


def claim_form(session: Session, token: str) -> SentForm:
    """Claim the form for the case this transaction makes. FormAlreadySent when it was sent already,
    also by a POST running at the same moment: the primary key decides, and the loser makes nothing.
    Call it first inside a savepoint (or transaction) that also holds the case, so that the failed
    insert takes the rest with it. First, too, because on SQLite the claim's write takes the write
    lock with the busy wait: a transaction that read first and wrote later would be refused outright
    when another report was written in between (seen with four workers)."""
    row = SentForm(id=_form_id(token), sealed=None, created_at=to_hour(utc_now()))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise FormAlreadySent() from None
    return row


def seal_receipt(claimed: SentForm, token: str, *, receipt: str, files: Sequence[AttachmentInfo]) -> None:
    """Keep the receipt page of a claimed form (`claim_form`'s row), sealed under the form's token, to
    show it again. Set on the row in the session: written with the case, in the same flush (issue 21)."""
    form_id = _form_id(token)
    if claimed.id != form_id:
        raise ValueError("not this form's claim")
    data = {"receipt": receipt, "files": [dataclasses.asdict(info) for info in files], "at": utc_now().isoformat()}
    claimed.sealed = wrap(
        _key(token, _SENT), json.dumps(data, ensure_ascii=False).encode(), label=_SENT, context=form_id
    )


# --- kept files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptFileInfo:
    """A kept file as the form names it."""

    id: str
    name: str
    size: int


def _ids(form_id: bytes, kept_id: str) -> dict[str, str]:
    return {"case_id": form_id.hex(), "attachment_id": kept_id, "item_id": "kept"}


def keep_files(session: Session, token: str, files: Sequence[PreparedFile], *, limits: Limits) -> list[str]:
    """Keep prepared (checked and cleaned) files for the form's next POST; the names of those that could
    not be kept (the form's file count or size, or the hour's allowance for everyone, is used up)."""
    form_id, key, hour = _form_id(token), _key(token, _KEPT), to_hour(utc_now())
    already = kept_files(session, token)
    count, size = len(already), sum(info.size for info in already)
    this_hour = stored_this_hour(session) + kept_bytes_this_hour(session)
    not_kept = []
    for prepared in files:
        if (
            count + 1 > limits.files_per_upload
            or size + prepared.size > limits.case_bytes
            or this_hour + prepared.size > limits.hour_bytes
        ):
            not_kept.append(prepared.name)
            continue
        count, size, this_hour = count + 1, size + prepared.size, this_hour + prepared.size
        kept_id = new_id()
        info = {
            "name": prepared.name,
            "kind": dataclasses.asdict(prepared.kind),
            "outcome": prepared.outcome,
            "caveat": prepared.caveat,
            "size": prepared.size,
        }
        header = new_header()
        row = KeptFile(
            id=kept_id,
            form_id=form_id,
            header=header,
            sealed_info=wrap(key, json.dumps(info).encode(), label=_KEPT, context=form_id + kept_id.encode()),
            chunk_count=0,
            created_at=hour,
        )
        session.add(row)
        session.flush()
        count = 0
        for count, chunk in enumerate(
            encrypt_stream(key, header, prepared.reader, size=prepared.size, **_ids(form_id, kept_id)), start=1
        ):
            session.execute(insert(KeptFileChunk), [{"kept_file_id": kept_id, "seq": count - 1, "data": chunk}])
        row.chunk_count = count
    session.flush()
    return not_kept


def _opened(session: Session, token: str) -> Iterator[tuple[KeptFile, dict[str, Any]]]:
    form_id, key = _form_id(token), _key(token, _KEPT)
    for row in session.scalars(select(KeptFile).where(KeptFile.form_id == form_id).order_by(KeptFile.id)):
        try:
            info = json.loads(unwrap(key, row.sealed_info, label=_KEPT, context=form_id + row.id.encode()))
        except (CryptoError, ValueError):
            continue  # not this form's (a forged row): never shown, never sent
        yield row, info


def kept_files(session: Session, token: str) -> list[KeptFileInfo]:
    return [KeptFileInfo(row.id, str(info["name"]), int(info["size"])) for row, info in _opened(session, token)]


def remove_kept_files(session: Session, token: str, kept_ids: Sequence[str]) -> None:
    """The reporter took these files off the form."""
    if kept_ids:
        session.execute(
            delete(KeptFile).where(KeptFile.form_id == _form_id(token), KeptFile.id.in_(list(kept_ids)[:50]))
        )


class _ChunkReader(io.RawIOBase):
    """A readable over decrypted chunks, read lazily from the database."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        try:
            if size is None or size < 0:
                return self._buffer + b"".join(self._chunks)
            while len(self._buffer) < size:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer += chunk
        except CryptoError:  # purged meanwhile, or changed: the report goes back to the form, not a 500
            raise KeptFilesGone() from None
        part, self._buffer = self._buffer[:size], self._buffer[size:]
        return part


def kept_for_sending(session: Session, token: str) -> list[PreparedFile]:
    """The kept files as prepared files, to be stored with the report (content decrypted while it is
    stored; a chunk that does not open raises CryptoError and the whole report is rolled back)."""
    form_id, key = _form_id(token), _key(token, _KEPT)
    prepared = []
    for row, info in _opened(session, token):

        def chunks(kept_id: str = row.id, count: int = row.chunk_count) -> Iterator[bytes]:
            for seq in range(count):
                data = session.scalar(
                    select(KeptFileChunk.data).where(KeptFileChunk.kept_file_id == kept_id, KeptFileChunk.seq == seq)
                )
                if data is None:
                    raise CryptoError()
                yield data

        prepared.append(
            PreparedFile(
                name=str(info["name"]),
                kind=FileKind(**info["kind"]),
                outcome=info["outcome"],
                caveat=str(info["caveat"]),
                reader=_ChunkReader(decrypt_stream(key, row.header, chunks(), **_ids(form_id, row.id))),
                size=int(info["size"]),
            )
        )
    return prepared


def forget_kept_files(session: Session, token: str) -> None:
    session.execute(delete(KeptFile).where(KeptFile.form_id == _form_id(token)))


def kept_bytes_this_hour(session: Session) -> int:
    """Upper bound of the kept files' bytes made in the current hour (they count in the hourly allowance)."""
    chunks = session.scalar(
        select(func.coalesce(func.sum(KeptFile.chunk_count), 0)).where(KeptFile.created_at >= to_hour(utc_now()))
    )
    return int(chunks or 0) * CHUNK_SIZE


# --- forgetting ----------------------------------------------------------------------------------


_purged_hour: list[datetime] = []  # the hour this process last purged in (purge_stale_forms_hourly)


def purge_stale_forms_hourly(session: Session) -> None:
    """`purge_stale_forms` once per hour per process (at a report): rows are kept by the hour, so
    a second purge within the same hour finds nothing new. The timer and server start purge too."""
    hour = to_hour(utc_now())
    if _purged_hour and _purged_hour[0] == hour:
        return
    purge_stale_forms(session)
    _purged_hour[:] = [hour]


def purge_stale_forms(session: Session) -> int:
    """Kept files and sealed receipts older than the previous hour, and sent-form rows older than
    FORGET_AFTER; returns how many rows were deleted or emptied."""
    now = to_hour(utc_now())
    cutoff = now - timedelta(hours=1)
    counts = [
        session.execute(delete(KeptFile).where(KeptFile.created_at < cutoff)),
        session.execute(
            update(SentForm).where(SentForm.created_at < cutoff, SentForm.sealed.is_not(None)).values(sealed=None)
        ),
        session.execute(delete(SentForm).where(SentForm.created_at < now - FORGET_AFTER)),
    ]
    return sum((result.rowcount or 0) for result in counts if isinstance(result, CursorResult))
