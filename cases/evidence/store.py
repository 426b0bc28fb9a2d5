"""Evidence files in and out: check, clean, encrypt in chunks, store; stream back.

An upload arrives as a readable stream (an encrypted spool, see crypto/spool.py).
`prepare_file` recognises it by content, strips metadata where it can (in a
confined child process, cases/evidence/sandbox.py, over pipes, bounded by the
per-file limit) and refuses what is not allowed.
`store_file` encrypts it chunk by chunk (crypto/stream.py) straight into
`attachment_chunk` rows with Core inserts, so no more than a couple of chunks
are ever held, and everything happens inside the caller's transaction: a
failure leaves nothing behind.

The stream is padded to the Padmé bucket of the file size (crypto/stream.py,
version 3), so neither the chunks nor `attachment.chunk_count` tell the exact
size; that lives only in the encrypted details item (`AttachmentInfo.size`),
which is what the team and the reporter are shown.
"""

import dataclasses
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from cases.errors import CaseNotFound, ItemTampered
from cases.evidence.errors import FileRefused
from cases.evidence.sandbox import clean
from cases.evidence.sandbox_limits import SandboxLimits
from cases.evidence.scrub import Outcome
from cases.evidence.sniff import HEAD_BYTES, FileKind, sniff
from cases.items import add_item, open_item
from cases.models import Attachment, AttachmentChunk, Case, CaseItem, new_id
from cases.platform.clock import to_hour, utc_now
from crypto.errors import CryptoError
from crypto.spool import EncryptedSpool
from crypto.stream import CHUNK_SIZE, Readable, decrypt_stream, encrypt_stream, new_header

MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 25 * 1024 * 1024
    case_bytes: int = 100 * 1024 * 1024
    files_per_upload: int = 10
    # All reporters together in the current hour: a flood cannot fill the disk.
    hour_bytes: int = 2048 * 1024 * 1024
    # The cleaners' child processes: memory, CPU, wall time, image pixels, pool.
    sandbox: SandboxLimits = SandboxLimits()


@dataclass(frozen=True)
class Upload:
    """A file as the request delivered it."""

    filename: str
    stream: Readable
    too_large: bool = False


@dataclass(frozen=True)
class PreparedFile:
    name: str
    kind: FileKind
    outcome: Outcome
    caveat: str
    reader: Readable
    size: int


@dataclass(frozen=True)
class AttachmentInfo:
    """What the team and the reporter are told about a stored file."""

    attachment_id: str
    name: str
    mime: str
    label: str
    size: int
    outcome: Outcome
    caveat: str

    @property
    def size_bucket(self) -> str:
        for limit, text in ((100 * 1024, "< 100 KB"), (1024**2, "< 1 MB"), (10 * 1024**2, "< 10 MB")):
            if self.size < limit:
                return text
        return "≥ 10 MB"


def upload_spool(*, limit: int) -> EncryptedSpool:
    """Where an upload waits while the request is parsed: encrypted, size-limited."""
    return EncryptedSpool(limit=limit)


def spool_too_large(stream: object) -> bool:
    return isinstance(stream, EncryptedSpool) and stream.too_large


def safe_name(filename: str, kind: FileKind) -> str:
    """A display and download name: no path, no control characters, the real extension."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .") or "berkas"
    name = name[:MAX_NAME_CHARS]
    if not re.search(rf"\.{re.escape(kind.extension)}$", name, re.IGNORECASE):
        name = f"{name}.{kind.extension}"
    return name


class _Prefixed(io.RawIOBase):
    """`head` followed by the rest of `stream`, without copying the stream."""

    def __init__(self, head: bytes, stream: Readable) -> None:
        super().__init__()
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            head, self._head = self._head, b""
            return head + self._stream.read(-1)
        if self._head:
            part, self._head = self._head[:size], self._head[size:]
            return part
        return self._stream.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def prepare_file(upload: Upload, *, limits: Limits, cleaning_until: float | None = None) -> PreparedFile:
    """Check, recognise and clean one upload. `cleaning_until`: the request's cleaning deadline
    (time.monotonic(); cases.evidence.sandbox_limits.REQUEST_CLEANING_SECONDS)."""
    if upload.too_large:
        raise FileRefused(upload.filename, "too_large")
    head = upload.stream.read(HEAD_BYTES)
    if not head:
        raise FileRefused(upload.filename, "empty")
    needs_whole = head.startswith(b"PK\x03\x04") or (sniff(head) or FileKind("", "", None, "")).cleaner is not None
    if needs_whole:
        whole = head + upload.stream.read(limits.file_bytes + 1 - len(head))
        if len(whole) > limits.file_bytes:
            raise FileRefused(upload.filename, "too_large")
        kind = sniff(head, whole)
        if kind is None:
            raise FileRefused(upload.filename, "type")
        cleaned = clean(whole, kind, limits=limits.sandbox, until=cleaning_until)
        del whole
        return PreparedFile(
            safe_name(upload.filename, kind),
            kind,
            cleaned.outcome,
            cleaned.caveat,
            io.BytesIO(cleaned.data),
            len(cleaned.data),
        )
    kind = sniff(head)
    if kind is None:
        raise FileRefused(upload.filename, "type")
    outcome: Outcome = "no_metadata" if kind.mime == "text/plain" else "not_cleaned"
    size = getattr(upload.stream, "size", None)
    if not isinstance(size, int):
        raise ValueError("uploads must report their size")
    return PreparedFile(
        safe_name(upload.filename, kind),
        kind,
        outcome,
        "" if outcome == "no_metadata" else "unsupported",
        _Prefixed(head, upload.stream),
        size,
    )


def stored_bytes(session: Session, case_id: str) -> int:
    """Upper bound of the evidence already stored for a case (whole chunks)."""
    chunks = session.scalar(
        select(func.coalesce(func.sum(Attachment.chunk_count), 0)).where(Attachment.case_id == case_id)
    )
    return int(chunks or 0) * CHUNK_SIZE


def check_quota(session: Session, *, case_id: str | None, files: list[PreparedFile], limits: Limits) -> None:
    if not files:
        return  # nothing to store: no query (a report without files, issue 21)
    if len(files) > limits.files_per_upload:
        raise FileRefused(files[-1].name, "too_many")
    used = stored_bytes(session, case_id) if case_id else 0
    this_hour = stored_this_hour(session)
    for prepared in files:
        used += prepared.size
        this_hour += prepared.size
        if used > limits.case_bytes:
            raise FileRefused(prepared.name, "case_full")
        if this_hour > limits.hour_bytes:
            raise FileRefused(prepared.name, "busy")


def stored_this_hour(session: Session) -> int:
    """Upper bound of the evidence stored by everyone in the current hour (rows carry the hour only)."""
    chunks = session.scalar(
        select(func.coalesce(func.sum(Attachment.chunk_count), 0)).where(Attachment.created_at >= to_hour(utc_now()))
    )
    return int(chunks or 0) * CHUNK_SIZE


def store_file(
    session: Session,
    *,
    case: Case,
    case_key: bytes,
    prepared: PreparedFile,
    author: str,
    seq: int,
    reviewer_id: str | None = None,
) -> AttachmentInfo:
    """Encrypt and store one prepared file as item `seq` of `case` (not committed).

    The details item binds the attachment id and the content stream binds the
    details item's id, so neither can be re-paired with another in the database.
    """
    attachment_id = new_id()
    info = AttachmentInfo(
        attachment_id,
        prepared.name,
        prepared.kind.mime,
        prepared.kind.label,
        prepared.size,
        prepared.outcome,
        prepared.caveat,
    )
    details = json.dumps(dataclasses.asdict(info), ensure_ascii=False).encode()
    hour = to_hour(utc_now())
    item = add_item(
        session,
        case=case,
        key=case_key,
        key_kind="case",
        kind="attachment",
        author=author,
        plaintext=details,
        seq=seq,
        reviewer_id=reviewer_id,
        attachment_id=attachment_id,
        created_at=hour,
    )
    session.flush()  # the attachment row refers to the item
    header = new_header()
    attachment = Attachment(
        id=attachment_id, case_id=case.id, item_id=item.id, header=header, chunk_count=0, created_at=hour
    )
    session.add(attachment)
    session.flush()
    count = 0
    for count, chunk in enumerate(
        encrypt_stream(
            case_key,
            header,
            prepared.reader,
            size=prepared.size,
            case_id=case.id,
            attachment_id=attachment_id,
            item_id=item.id,
        ),
        start=1,
    ):
        session.execute(insert(AttachmentChunk), [{"attachment_id": attachment_id, "seq": count - 1, "data": chunk}])
    attachment.chunk_count = count
    session.flush()
    return info


def attachment_info(item: CaseItem, case_key: bytes, *, attachment_id: str | None) -> AttachmentInfo:
    """The details of the file whose attachment row (`attachment_id`) points at `item`; ItemTampered otherwise."""
    plaintext = open_item(item, case_key, attachment_id=attachment_id)
    try:
        info = AttachmentInfo(**json.loads(plaintext))
    except (ValueError, TypeError):  # an authentic item that is not a file's details (a re-pointed legacy row)
        raise ItemTampered(item.seq) from None
    if info.attachment_id != attachment_id:  # implied by the binding; also catches re-pointed legacy rows
        raise ItemTampered(item.seq)
    return info


@dataclass(frozen=True)
class Download:
    info: AttachmentInfo
    chunks: Iterator[bytes]


def open_download(
    sessions: sessionmaker[Session], session: Session, *, case_id: str, attachment_id: str, case_key: bytes
) -> Download:
    """Details now, content as a lazy iterator that reads one chunk at a time.

    The iterator opens its own database session from `sessions`, because it
    runs while the response streams, after the request's session is closed.
    """
    attachment = session.scalars(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
    ).first()
    if attachment is None:
        raise CaseNotFound()
    item = session.get(CaseItem, attachment.item_id)
    if item is None:
        raise ItemTampered(0)
    info = attachment_info(item, case_key, attachment_id=attachment.id)
    header, count, item_id = attachment.header, attachment.chunk_count, item.id

    def ciphertext() -> Iterator[bytes]:
        with sessions() as reader:
            for seq in range(count):
                data = reader.scalar(
                    select(AttachmentChunk.data).where(
                        AttachmentChunk.attachment_id == attachment_id, AttachmentChunk.seq == seq
                    )
                )
                if data is None:
                    raise CryptoError()
                yield data

    return Download(
        info,
        decrypt_stream(case_key, header, ciphertext(), case_id=case_id, attachment_id=attachment_id, item_id=item_id),
    )
