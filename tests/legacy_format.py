"""Format 1 items and streams, built by hand, as the application wrote them before metadata was bound,
and format 2 streams, as it wrote them before they were padded.

Nothing in the application writes these any more, so tests make such rows from the documented
formats: associated data = (0x01, case id, item id) for items, (0x01, case id, attachment id) for format 1
streams, (0x02, case id, attachment id, item id) for format 2 streams, whose chunks hold the file itself.
"""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, insert, select
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


def downgrade_stream(session: Session, attachment: Attachment, case_key: bytes, *, version: bytes = b"\x01") -> bytes:
    """Rewrite `attachment`'s stream as format 1 (or 2: unpadded, bound to its details item); returns its
    plaintext."""
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
    header = version + os.urandom(32)
    cipher = AESGCM(derive_key(case_key, label="attachment-stream", salt=header[1:]))
    bound = [attachment.case_id.encode(), attachment.id.encode()]
    aad = encode_fields(version, *bound, *([attachment.item_id.encode()] if version == b"\x02" else []))
    pieces = [plaintext[i : i + CHUNK_SIZE] for i in range(0, len(plaintext), CHUNK_SIZE)] or [b""]
    session.execute(delete(AttachmentChunk).where(AttachmentChunk.attachment_id == attachment.id))
    for seq, piece in enumerate(pieces):
        last = b"\x01" if seq == len(pieces) - 1 else b"\x00"
        data = cipher.encrypt(seq.to_bytes(11, "big") + last, piece, aad)
        session.execute(insert(AttachmentChunk), [{"attachment_id": attachment.id, "seq": seq, "data": data}])
    attachment.header, attachment.chunk_count = header, len(pieces)
    return plaintext
