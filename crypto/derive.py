"""Labelled HKDF-SHA256 derivations and the one symmetric wrap built on them.

Every derivation in the project goes through `derive_key` with its own label,
so no two purposes can ever share key material by accident. `wrap`/`unwrap`
seal a small secret (a private key, a session blob) under a 256-bit key with
AES-256-GCM: version byte, random 96-bit nonce, ciphertext and tag, with the
label and a caller-supplied context bound as associated data.
"""

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import CryptoError

KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAP_VERSION = b"\x01"
_PREFIX = b"kanal-integritas/v1/"


def derive_key(secret: bytes, *, label: str, salt: bytes | None = None, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 of `secret`, domain-separated by `label`."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=salt,
        info=_PREFIX + label.encode("ascii"),
    ).derive(secret)


def encode_fields(*fields: bytes) -> bytes:
    """Unambiguous concatenation: each field prefixed with its 4-byte length."""
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)


def wrap(key: bytes, secret: bytes, *, label: str, context: bytes = b"") -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError("wrapping key must be 32 bytes")
    nonce = os.urandom(_NONCE_BYTES)
    aad = encode_fields(_WRAP_VERSION, label.encode("ascii"), context)
    return _WRAP_VERSION + nonce + AESGCM(key).encrypt(nonce, secret, aad)


def unwrap(key: bytes, wrapped: bytes, *, label: str, context: bytes = b"") -> bytes:
    if len(key) != KEY_BYTES or len(wrapped) < 1 + _NONCE_BYTES + 16 or wrapped[:1] != _WRAP_VERSION:
        raise CryptoError()
    nonce = wrapped[1 : 1 + _NONCE_BYTES]
    aad = encode_fields(_WRAP_VERSION, label.encode("ascii"), context)
    try:
        return AESGCM(key).decrypt(nonce, wrapped[1 + _NONCE_BYTES :], aad)
    except InvalidTag:
        raise CryptoError() from None


def keyed_hash(key: bytes, data: bytes, *, label: str) -> bytes:
    """HMAC-SHA256 under a key derived from `key` for `label`: a look-up id that says nothing without the key."""
    return hmac.new(derive_key(key, label=label), data, hashlib.sha256).digest()
