"""Encryption of case items (report, messages, notes) under a case or team key.

Format, version 1 (version and minimum length are checked before any decryption):

    version (1 byte, 0x01) || salt (32 bytes) || AES-256-GCM ciphertext || tag (16)

The item key and nonce are derived per item: HKDF-SHA256(case key, salt,
label "item") -> 32-byte key || 12-byte nonce. A fresh random salt per item
means no (key, nonce) pair ever repeats. The associated data binds the version,
the case id and the item id, so an item moved to another case or swapped with
another item of the same case fails to open. The plaintext is Padme-padded
first, so ciphertext length reveals little of the text length.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .derive import KEY_BYTES, derive_key, encode_fields
from .errors import CryptoError
from .padding import pad, unpad

VERSION = b"\x01"
_SALT_BYTES = 32
_TAG_BYTES = 16
_NONCE_BYTES = 12


def _item_cipher(key: bytes, salt: bytes) -> tuple[AESGCM, bytes]:
    material = derive_key(key, label="item", salt=salt, length=KEY_BYTES + _NONCE_BYTES)
    return AESGCM(material[:KEY_BYTES]), material[KEY_BYTES:]


def _associated_data(case_id: str, item_id: str) -> bytes:
    return encode_fields(VERSION, case_id.encode(), item_id.encode())


def encrypt_item(key: bytes, plaintext: bytes, *, case_id: str, item_id: str) -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError("item keys are 256-bit")
    salt = os.urandom(_SALT_BYTES)
    cipher, nonce = _item_cipher(key, salt)
    return VERSION + salt + cipher.encrypt(nonce, pad(plaintext), _associated_data(case_id, item_id))


def decrypt_item(key: bytes, ciphertext: bytes, *, case_id: str, item_id: str) -> bytes:
    if len(key) != KEY_BYTES or len(ciphertext) < 1 + _SALT_BYTES + _TAG_BYTES or ciphertext[:1] != VERSION:
        raise CryptoError()
    salt = ciphertext[1 : 1 + _SALT_BYTES]
    cipher, nonce = _item_cipher(key, salt)
    try:
        padded = cipher.decrypt(nonce, ciphertext[1 + _SALT_BYTES :], _associated_data(case_id, item_id))
    except InvalidTag:
        raise CryptoError() from None
    return unpad(padded)
