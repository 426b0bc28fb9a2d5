"""Encryption of case items (report, messages, notes) under a case or team key.

Format, version 2 (version and minimum length are checked before any decryption):

    version (1 byte, 0x02) || salt (32 bytes) || AES-256-GCM ciphertext || tag (16)

The item key and nonce are derived per item: HKDF-SHA256(case key, salt,
label "item") -> 32-byte key || 12-byte nonce. A fresh random salt per item
means no (key, nonce) pair ever repeats. The plaintext is Padme-padded first,
so ciphertext length reveals little of the text length.

The associated data binds the item's metadata (`ItemMetadata`), as the
database holds it in plaintext beside the ciphertext:

    encode_fields(0x02, case id, item id, author, kind, key kind, seq (decimal),
                  attachment id)

so a database writer who moves an item to another case, swaps two items,
renumbers one, or re-labels who wrote it ("team" -> "reporter"), what it is
("note" -> "message") or which key opens it, makes it fail to open. The
attachment id is that of the evidence stream this item describes (kind
"attachment"), and empty for every other item: an item pointed at another
stream fails too (the stream binds the item id in turn, see stream.py).

Version 1 (0x01, same layout) bound only the case id and the item id. It is
still opened, with that weaker binding, so that an upgrade never locks a team
out of its cases; `flask --app wsgi:review items upgrade` re-encrypts such
items as version 2 (docs/CRYPTO.md). Nothing writes version 1 any more.
"""

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .derive import KEY_BYTES, derive_key, encode_fields
from .errors import CryptoError
from .padding import pad, unpad

VERSION = b"\x02"
LEGACY_VERSION = b"\x01"
_SALT_BYTES = 32
_TAG_BYTES = 16
_NONCE_BYTES = 12


@dataclass(frozen=True)
class ItemMetadata:
    """What an item's row says about it in plaintext, all of it authenticated."""

    case_id: str
    item_id: str
    author: str
    kind: str
    key_kind: str
    seq: int
    attachment_id: str = ""


def _item_cipher(key: bytes, salt: bytes) -> tuple[AESGCM, bytes]:
    material = derive_key(key, label="item", salt=salt, length=KEY_BYTES + _NONCE_BYTES)
    return AESGCM(material[:KEY_BYTES]), material[KEY_BYTES:]


def _associated_data(version: bytes, metadata: ItemMetadata) -> bytes:
    if version == LEGACY_VERSION:
        return encode_fields(version, metadata.case_id.encode(), metadata.item_id.encode())
    return encode_fields(
        version,
        metadata.case_id.encode(),
        metadata.item_id.encode(),
        metadata.author.encode(),
        metadata.kind.encode(),
        metadata.key_kind.encode(),
        str(metadata.seq).encode(),
        metadata.attachment_id.encode(),
    )


def is_legacy(ciphertext: bytes) -> bool:
    """True for a version 1 item, whose metadata is not yet authenticated."""
    return ciphertext[:1] == LEGACY_VERSION


def encrypt_item(key: bytes, plaintext: bytes, metadata: ItemMetadata) -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError("item keys are 256-bit")
    salt = os.urandom(_SALT_BYTES)
    cipher, nonce = _item_cipher(key, salt)
    return VERSION + salt + cipher.encrypt(nonce, pad(plaintext), _associated_data(VERSION, metadata))


def decrypt_item(key: bytes, ciphertext: bytes, metadata: ItemMetadata) -> bytes:
    """The plaintext, if `ciphertext` was sealed under `key` with exactly this metadata."""
    version = ciphertext[:1]
    if (
        len(key) != KEY_BYTES
        or len(ciphertext) < 1 + _SALT_BYTES + _TAG_BYTES
        or version not in (VERSION, LEGACY_VERSION)
    ):
        raise CryptoError()
    salt = ciphertext[1 : 1 + _SALT_BYTES]
    cipher, nonce = _item_cipher(key, salt)
    try:
        padded = cipher.decrypt(nonce, ciphertext[1 + _SALT_BYTES :], _associated_data(version, metadata))
    except InvalidTag:
        raise CryptoError() from None
    return unpad(padded)
