"""Hybrid post-quantum key pairs and HPKE key grants.

A key pair is ML-KEM-768 + X25519 (the HPKE hybrid KEM), so a grant stays
secret if either primitive survives ("harvest now, decrypt later").

Serialised forms (exact lengths, checked before use):
    private key  96 bytes: ML-KEM-768 seed (64) || X25519 private (32)
    public key 1216 bytes: ML-KEM-768 public (1184) || X25519 public (32)

A *grant* is one 256-bit key sealed with HPKE base mode (KEM ML-KEM-768+X25519,
HKDF-SHA256, AES-256-GCM) to one recipient. The case id, the key kind and the
recipient id are bound in HPKE `info`, so a grant copied onto another case,
kind or recipient row fails to open. Format: version byte || HPKE output.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from .derive import KEY_BYTES, derive_key, encode_fields
from .errors import CryptoError
from .padding import pad, unpad

PRIVATE_KEY_BYTES = 96
PUBLIC_KEY_BYTES = 1216
_MLKEM_SEED = 64
_MLKEM_PUBLIC = 1184
_GRANT_VERSION = b"\x01"
_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
# "identity": a case's confidential-identity key (issue 20), sealed to custodians only.
KEY_KINDS = ("case", "team", "identity")


@dataclass(frozen=True)
class KeyPair:
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never print the private half
        return f"KeyPair(public={self.public[:4].hex()}...)"


def _from_private(private: bytes) -> tuple[hpke.MLKEM768X25519PrivateKey, bytes]:
    if len(private) != PRIVATE_KEY_BYTES:
        raise CryptoError()
    try:
        m = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:_MLKEM_SEED])
        x = x25519.X25519PrivateKey.from_private_bytes(private[_MLKEM_SEED:])
    except ValueError:
        raise CryptoError() from None
    public = m.public_key().public_bytes_raw() + x.public_key().public_bytes_raw()
    return hpke.MLKEM768X25519PrivateKey(m, x), public


def _public_key(public: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public) != PUBLIC_KEY_BYTES:
        raise ValueError("public key must be 1216 bytes")
    m = mlkem.MLKEM768PublicKey.from_public_bytes(public[:_MLKEM_PUBLIC])
    x = x25519.X25519PublicKey.from_public_bytes(public[_MLKEM_PUBLIC:])
    return hpke.MLKEM768X25519PublicKey(m, x)


def keypair_from_private(private: bytes) -> KeyPair:
    _, public = _from_private(private)
    return KeyPair(private=private, public=public)


def generate_keypair() -> KeyPair:
    return keypair_from_private(os.urandom(PRIVATE_KEY_BYTES))


def keypair_from_secret(secret: bytes, *, label: str, salt: bytes | None = None) -> KeyPair:
    """Deterministic key pair from a high-entropy secret (receipt, master secret)."""
    return keypair_from_private(derive_key(secret, label=label, salt=salt, length=PRIVATE_KEY_BYTES))


def new_symmetric_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _grant_info(case_id: str, key_kind: str, recipient_id: str) -> bytes:
    if key_kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {key_kind!r}")
    return encode_fields(b"kanal-integritas/v1/grant", case_id.encode(), key_kind.encode(), recipient_id.encode())


def seal_key(key: bytes, *, recipient_public: bytes, case_id: str, key_kind: str, recipient_id: str) -> bytes:
    """Seal a 256-bit case or team key to one recipient's public key."""
    if len(key) != KEY_BYTES:
        raise ValueError("only 256-bit keys are sealed")
    info = _grant_info(case_id, key_kind, recipient_id)
    return _GRANT_VERSION + _SUITE.encrypt(key, _public_key(recipient_public), info=info)


def open_grant(sealed: bytes, *, recipient_private: bytes, case_id: str, key_kind: str, recipient_id: str) -> bytes:
    return GrantOpener(recipient_private).open(sealed, case_id=case_id, key_kind=key_kind, recipient_id=recipient_id)


class GrantOpener:
    """One recipient's private key, parsed once, for opening many grants in a row.

    Parsing the hybrid private key (an ML-KEM-768 key generation from its seed) costs about twice
    an HPKE open; the case list's previews and its search open a grant per case, so they parse
    once. Holds the key only as long as the caller keeps the object (one request)."""

    __slots__ = ("_private",)

    def __init__(self, recipient_private: bytes) -> None:
        self._private, _ = _from_private(recipient_private)

    def __repr__(self) -> str:  # never print the key
        return "GrantOpener(...)"

    def open(self, sealed: bytes, *, case_id: str, key_kind: str, recipient_id: str) -> bytes:
        """The sealed key; CryptoError for any failure (wrong key, case, kind, recipient, or tampering)."""
        info = _grant_info(case_id, key_kind, recipient_id)
        if sealed[:1] != _GRANT_VERSION:
            raise CryptoError()
        try:
            key = _SUITE.decrypt(sealed[1:], self._private, info=info)
        except (InvalidTag, ValueError):
            raise CryptoError() from None
        if len(key) != KEY_BYTES:
            raise CryptoError()
        return key


_MESSAGE_VERSION = b"\x01"


def _message_info(purpose: str, context: str, recipient_id: str) -> bytes:
    return encode_fields(b"kanal-integritas/v1/message", purpose.encode(), context.encode(), recipient_id.encode())


def seal_message(plaintext: bytes, *, recipient_public: bytes, purpose: str, context: str, recipient_id: str) -> bytes:
    """A short text sealed (HPKE, the grant suite) to one recipient, bound to what it is about: a
    custodian's reason for one reviewer, who holds no key the custodian could write it under."""
    info = _message_info(purpose, context, recipient_id)
    return _MESSAGE_VERSION + _SUITE.encrypt(pad(plaintext), _public_key(recipient_public), info=info)


def open_message(sealed: bytes, *, recipient_private: bytes, purpose: str, context: str, recipient_id: str) -> bytes:
    """The text of `seal_message`; CryptoError for any failure (wrong key, purpose, context, recipient)."""
    if sealed[:1] != _MESSAGE_VERSION:
        raise CryptoError()
    private, _ = _from_private(recipient_private)
    try:
        return unpad(_SUITE.decrypt(sealed[1:], private, info=_message_info(purpose, context, recipient_id)))
    except (InvalidTag, ValueError):
        raise CryptoError() from None


def key_tag(secret: bytes, key: bytes, *, case_id: str, opd_id: int, key_kind: str) -> bytes:
    """HMAC-SHA256 that binds a case or team key to its case and unit, under a secret kept outside
    the database: anyone can seal a key of their choosing to a public key (HPKE base mode), and the
    unit is a plain column, so whoever opens a grant checks this before trusting either."""
    tag_key = derive_key(secret, label="case-key-tag")
    return hmac.new(
        tag_key, encode_fields(case_id.encode(), str(opd_id).encode(), key_kind.encode(), key), hashlib.sha256
    ).digest()


def tag_matches(expected: bytes, computed: bytes) -> bool:
    return hmac.compare_digest(expected, computed)
