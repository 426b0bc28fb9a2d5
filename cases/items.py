"""Case items: the one place that numbers, seals and opens them with their metadata bound.

Every item's plaintext columns (author, kind, key kind, seq, and for an
evidence file's details the attachment that points at it) are bound into its
associated data (crypto/envelope.py). Opening always uses the row's *current*
columns, so a database writer who turns a team message into the reporter's,
a note into a message, or renumbers items, gets `ItemTampered`, never the
content under a false label.
"""

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import ItemTampered
from cases.models import Attachment, Case, CaseItem, new_id
from cases.platform.clock import to_hour, utc_now
from cases.reporting.report_content import ReportContent
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError


def next_seq(session: Session, case: Case) -> int:
    # Lock the case row so two writers never take the same number (PostgreSQL);
    # SQLite serialises writers anyway.
    session.flush()  # refresh would otherwise discard a number taken but not yet written
    session.refresh(case, with_for_update=True)
    case.item_seq += 1
    return case.item_seq


def metadata_of(item: "CaseItem | ItemColumns", *, attachment_id: str | None = None) -> ItemMetadata:
    """What `item`'s row says now; `attachment_id`: the attachment whose `item_id` is this item, if any."""
    return ItemMetadata(
        case_id=item.case_id,
        item_id=item.id,
        author=item.author,
        kind=item.kind,
        key_kind=item.key_kind,
        seq=item.seq,
        attachment_id=attachment_id or "",
    )


def add_item(
    session: Session,
    *,
    case: Case,
    key: bytes,
    key_kind: str,
    kind: str,
    author: str,
    plaintext: bytes,
    seq: int,
    reviewer_id: str | None = None,
    attachment_id: str = "",
    created_at: datetime | None = None,
) -> CaseItem:
    """Seal `plaintext` as item `seq` of `case`, bound to everything its row says (not committed)."""
    item = CaseItem(
        id=new_id(),
        case_id=case.id,
        seq=seq,
        kind=kind,
        author=author,
        reviewer_id=reviewer_id,
        key_kind=key_kind,
        created_at=created_at or to_hour(utc_now()),
    )
    seal_item(item, key, plaintext, attachment_id=attachment_id)
    session.add(item)
    return item


def seal_item(item: CaseItem, key: bytes, plaintext: bytes, *, attachment_id: str | None = None) -> None:
    """(Re)encrypt `item` in the current format, bound to what its row says now."""
    item.ciphertext = encrypt_item(key, plaintext, metadata_of(item, attachment_id=attachment_id))


def open_item(item: "CaseItem | ItemColumns", key: bytes, *, attachment_id: str | None = None) -> bytes:
    """The plaintext, or ItemTampered when the ciphertext or any bound column was changed."""
    try:
        return decrypt_item(key, item.ciphertext, metadata_of(item, attachment_id=attachment_id))
    except CryptoError:
        raise ItemTampered(item.seq) from None


class ItemColumns(Protocol):
    """What opening an item reads of its row: a `CaseItem`, or a row of these columns (a search reads
    thousands of items and needs no ORM object for each)."""

    id: str
    case_id: str
    seq: int
    kind: str
    author: str
    key_kind: str
    ciphertext: bytes


ITEM_COLUMNS = (
    CaseItem.id,
    CaseItem.case_id,
    CaseItem.seq,
    CaseItem.kind,
    CaseItem.author,
    CaseItem.key_kind,
    CaseItem.ciphertext,
)


def attachment_pointing_at(session: Session, item: CaseItem) -> str | None:
    return session.scalar(select(Attachment.id).where(Attachment.item_id == item.id))


def open_report(session: Session, *, case: Case, case_key: bytes) -> ReportContent:
    """The case's report; ItemTampered unless exactly one report item opens with its metadata."""
    items = session.scalars(
        select(CaseItem).where(CaseItem.case_id == case.id, CaseItem.kind == "report").order_by(CaseItem.seq).limit(2)
    ).all()
    if len(items) != 1:  # a row relabelled as the report, or the report relabelled away
        raise ItemTampered(items[0].seq if items else 0)
    return ReportContent.from_bytes(
        open_item(items[0], case_key, attachment_id=attachment_pointing_at(session, items[0]))
    )
