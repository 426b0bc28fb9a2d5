"""Upgrading items of format 1 to format 2, and file streams of format 1 or 2 to the padded
format 3 (`flask --app wsgi:review items upgrade`).

Format 1 bound only the case id and the item id (the stream: case id and
attachment id), so until this runs, a database writer can relabel those items
unnoticed; streams of formats 1 and 2 are not padded, so their stored length
gives the exact file size. The server holds no case keys, so no schema
migration can do it: the operator gives the recovery master secret, whose
grants open every case. Each legacy item is opened under its format 1 binding
and sealed again as format 2 with the metadata its row holds *now*; each
unpadded stream is checked whole, then re-encrypted chunk by chunk in place as
format 3, padded and bound to its details item.

A file's details are only re-sealed when they name the attachment row that
points at them, and a stream only when its details pass the same check, so a
row re-pointed before the upgrade is not blessed: it stays format 1 and shows
as failing its integrity check. Running it again only touches what is left.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.errors import ItemTampered
from cases.evidence.store import attachment_info
from cases.items import open_item, seal_item
from cases.models import Attachment, AttachmentChunk, Case, CaseItem, KeyGrant, RecoveryKey
from cases.team.errors import RecoveryMismatch
from cases.team.grants import tag_case
from crypto.envelope import LEGACY_VERSION
from crypto.errors import CryptoError
from crypto.keys import open_grant
from crypto.recovery import recovery_keypair
from crypto.stream import VERSION as PADDED_STREAM
from crypto.stream import decrypt_stream, encrypt_stream, new_header

_LEGACY_ITEM = func.substr(CaseItem.ciphertext, 1, 1) == LEGACY_VERSION
_LEGACY_STREAM = func.substr(Attachment.header, 1, 1) == LEGACY_VERSION
_UNPADDED_STREAM = func.substr(Attachment.header, 1, 1) != PADDED_STREAM


@dataclass(frozen=True)
class UpgradeReport:
    cases: int  # cases that held something of format 1
    items: int  # items re-sealed as format 2
    streams: int  # file streams re-encrypted as format 3 (padded)
    failed: int  # items or streams that did not open as they should: left as they are
    without_grant: int  # cases this recovery key holds no grant for: left as they are
    tagged: int = 0  # cases from before key tags, tagged now (their keys and unit as they stand)


def legacy_counts(connection: Connection | Session) -> tuple[int, int]:
    """How many items and file streams are still format 1 (a cheap look at first bytes)."""
    items = connection.scalar(select(func.count()).select_from(CaseItem).where(_LEGACY_ITEM))
    streams = connection.scalar(select(func.count()).select_from(Attachment).where(_LEGACY_STREAM))
    return int(items or 0), int(streams or 0)


def unpadded_count(connection: Connection | Session) -> int:
    """How many file streams are not padded (format 1 or 2): their stored length gives the exact size."""
    return int(connection.scalar(select(func.count()).select_from(Attachment).where(_UNPADDED_STREAM)) or 0)


class _Reader:
    """A readable stream over an iterator of byte strings (plaintext chunks)."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts, self._buffer = parts, b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        cut = len(self._buffer) if size < 0 else size
        result, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return result


def _old_chunks(session: Session, attachment: Attachment) -> Iterator[bytes]:
    for seq in range(attachment.chunk_count):
        data = session.scalar(
            select(AttachmentChunk.data).where(
                AttachmentChunk.attachment_id == attachment.id, AttachmentChunk.seq == seq
            )
        )
        if data is None:
            raise CryptoError()
        yield data


def _upgrade_stream(session: Session, attachment: Attachment, case_key: bytes) -> bool:
    item = session.get(CaseItem, attachment.item_id)
    try:
        if item is None:
            return False
        attachment_info(item, case_key, attachment_id=attachment.id)

        def plaintext() -> Iterator[bytes]:
            return decrypt_stream(
                case_key,
                attachment.header,
                _old_chunks(session, attachment),
                case_id=attachment.case_id,
                attachment_id=attachment.id,
                item_id=item.id,
            )

        size = sum(len(part) for part in plaintext())  # the whole stream must open before a chunk is replaced
    except (CryptoError, ItemTampered):
        return False
    header, old_count = new_header(), attachment.chunk_count
    # Rewritten in place: new chunk n holds the file from byte n * 64 KiB - 8 (after the size field), so it
    # is written only after old chunk n + 1 was read (and each side reads ahead one chunk): nothing is read
    # after it was replaced. Padding may add chunks at the end.
    count = 0
    for count, chunk in enumerate(
        encrypt_stream(
            case_key,
            header,
            _Reader(plaintext()),
            size=size,
            case_id=attachment.case_id,
            attachment_id=attachment.id,
            item_id=item.id,
        ),
        start=1,
    ):
        seq = count - 1
        if seq < old_count:
            session.execute(
                update(AttachmentChunk)
                .where(AttachmentChunk.attachment_id == attachment.id, AttachmentChunk.seq == seq)
                .values(data=chunk)
            )
        else:
            session.execute(insert(AttachmentChunk), [{"attachment_id": attachment.id, "seq": seq, "data": chunk}])
    session.execute(
        delete(AttachmentChunk).where(AttachmentChunk.attachment_id == attachment.id, AttachmentChunk.seq >= count)
    )
    attachment.header, attachment.chunk_count = header, count
    return True


def _upgrade_item(item: CaseItem, key: bytes | None, attachment_id: str | None) -> bool:
    if key is None or (attachment_id is not None) != (item.kind == "attachment"):
        return False
    try:
        plaintext = open_item(item, key, attachment_id=attachment_id)
        if attachment_id is not None:
            attachment_info(item, key, attachment_id=attachment_id)  # the details name this very attachment
    except ItemTampered:
        return False
    seal_item(item, key, plaintext, attachment_id=attachment_id)
    return True


def _case_keys(session: Session, case_id: str, key: RecoveryKey, private: bytes) -> dict[str, bytes]:
    keys = {}
    for grant in session.scalars(
        select(KeyGrant).where(KeyGrant.case_id == case_id, KeyGrant.recipient_id == key.recipient_id)
    ):
        try:
            keys[grant.key_kind] = open_grant(
                grant.sealed,
                recipient_private=private,
                case_id=case_id,
                key_kind=grant.key_kind,
                recipient_id=key.recipient_id,
            )
        except CryptoError:
            continue
    return keys


def upgrade_legacy_items(session: Session, *, master_secret: bytes) -> UpgradeReport:
    """Re-seal every format 1 item as format 2, and every unpadded stream as format 3, through the recovery
    key's grants (audited)."""
    keypair = recovery_keypair(master_secret)
    key = session.scalars(select(RecoveryKey).where(RecoveryKey.public_key == keypair.public)).first()
    if key is None:
        raise RecoveryMismatch()
    audit.record(session, action="recovery.use", detail=f"key={key.id} for=items-upgrade")
    case_ids = sorted(
        set(session.scalars(select(CaseItem.case_id).where(_LEGACY_ITEM).distinct()))
        | set(session.scalars(select(Attachment.case_id).where(_UNPADDED_STREAM).distinct()))
        | set(session.scalars(select(Case.id).where(Case.seal_tag.is_(None))))
    )
    items = streams = failed = without_grant = tagged = 0
    for case_id in case_ids:
        keys = _case_keys(session, case_id, key, keypair.private)
        if not keys:
            without_grant += 1
            continue
        case = session.get(Case, case_id)
        if case is not None and case.seal_tag is None and {"case", "team"} <= keys.keys():
            tag_case(session, case, case_key=keys["case"], team_key=keys["team"])
            tagged += 1
        rows = session.execute(
            select(CaseItem, Attachment.id)
            .outerjoin(Attachment, Attachment.item_id == CaseItem.id)
            .where(CaseItem.case_id == case_id, _LEGACY_ITEM)
            .order_by(CaseItem.seq)
        ).all()
        for item, attachment_id in rows:
            done = _upgrade_item(item, keys.get(item.key_kind), attachment_id)
            items, failed = items + done, failed + (not done)
        session.flush()  # the streams check their details items as just re-sealed
        legacy = session.scalars(select(Attachment).where(Attachment.case_id == case_id, _UNPADDED_STREAM))
        for attachment in legacy.all():
            done = "case" in keys and _upgrade_stream(session, attachment, keys["case"])
            streams, failed = streams + done, failed + (not done)
    session.flush()
    return UpgradeReport(
        cases=len(case_ids), items=items, streams=streams, failed=failed, without_grant=without_grant, tagged=tagged
    )
