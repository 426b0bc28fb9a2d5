"""Format 1 items and streams, built by hand, as the application wrote them before metadata was bound.

Nothing in the application writes format 1 any more, so tests make such rows from the documented
format: associated data = (0x01, case id, item id) for items, (0x01, case id, attachment id) for streams.
"""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.items import open_item
from cases.models import Attachment, AttachmentChunk, CaseItem
from crypto.derive import derive_key, encode_fields
from crypto.padding import pad
from crypto.stream import CHUNK_SIZE, decrypt_stream


def legacy_item(key: bytes, plaintext: bytes, *, case_id: str, item_id: str) -> bytes:
    salt = os.urandom(32)
    material = derive_key(key, label="item", salt=salt, length=44)
    aad = encode_fields(b"\x01", case_id.encode(), item_id.encode())
    return b"\x01" + salt + AESGCM(material[:32]).encrypt(material[32:], pad(plaintext), aad)


def downgrade_item(session: Session, item: CaseItem, key: bytes) -> None:
    """Rewrite `item` as format 1 (same plaintext)."""
    attachment_id = session.scalar(select(Attachment.id).where(Attachment.item_id == item.id))
    plaintext = open_item(item, key, attachment_id=attachment_id)
    item.ciphertext = legacy_item(key, plaintext, case_id=item.case_id, item_id=item.id)


def downgrade_stream(session: Session, attachment: Attachment, case_key: bytes) -> bytes:
    """Rewrite `attachment`'s stream as format 1; returns its plaintext."""
    chunks = list(
        session.scalars(
            select(AttachmentChunk.data)
            .where(AttachmentChunk.attachment_id == attachment.id)
            .order_by(AttachmentChunk.seq)
        )
    )
    plaintext = b"".join(
        decrypt_stream(
            case_key,
            attachment.header,
            chunks,
            case_id=attachment.case_id,
            attachment_id=attachment.id,
            item_id=attachment.item_id,
        )
    )
    header = b"\x01" + os.urandom(32)
    cipher = AESGCM(derive_key(case_key, label="attachment-stream", salt=header[1:]))
    aad = encode_fields(b"\x01", attachment.case_id.encode(), attachment.id.encode())
    pieces = [plaintext[i : i + CHUNK_SIZE] for i in range(0, len(plaintext), CHUNK_SIZE)] or [b""]
    for seq, piece in enumerate(pieces):
        last = b"\x01" if seq == len(pieces) - 1 else b"\x00"
        session.execute(
            update(AttachmentChunk)
            .where(AttachmentChunk.attachment_id == attachment.id, AttachmentChunk.seq == seq)
            .values(data=cipher.encrypt(seq.to_bytes(11, "big") + last, piece, aad))
        )
    attachment.header = header
    return plaintext
