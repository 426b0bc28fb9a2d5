"""Hybrid signatures: Ed25519 + ML-DSA-65, both from `cryptography`.

A signature is valid only if *both* halves verify, so it stays unforgeable if
either primitive survives (the same reasoning as the hybrid KEM in `keys`).

Serialised forms (exact lengths, checked before use):
    private key   64 bytes: Ed25519 seed (32) || ML-DSA-65 seed (32)
    public key  1984 bytes: Ed25519 public (32) || ML-DSA-65 public (1952)
    signature   3374 bytes: version (1) || Ed25519 (64) || ML-DSA-65 (3309)

Every signature is over a caller-chosen `purpose` and the message: the purpose
is bound as ML-DSA's context string and prefixed (length-encoded) to what
Ed25519 signs, so a signature made for one purpose (a roster entry) never
verifies for another (an audit anchor).

A *fingerprint* is SHA-256 over a domain label and the public key, shown as 16
groups of 4 hex digits: what a key holder reads aloud to confirm a colleague's
key out of band, and what the installation's roots of trust list.
"""

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from .derive import encode_fields
from .errors import CryptoError

PRIVATE_KEY_BYTES = 64
PUBLIC_KEY_BYTES = 1984
SIGNATURE_BYTES = 3374
_ED_BYTES = 32
_ED_SIG = 64
_VERSION = b"\x01"
_PREFIX = b"kanal-integritas/v1/sign/"


@dataclass(frozen=True)
class SigningKey:
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never print the private half
        return f"SigningKey(fingerprint={fingerprint(self.public)[:9]}...)"


def _halves(private: bytes) -> tuple[ed25519.Ed25519PrivateKey, mldsa.MLDSA65PrivateKey]:
    if len(private) != PRIVATE_KEY_BYTES:
        raise CryptoError()
    try:
        return (
            ed25519.Ed25519PrivateKey.from_private_bytes(private[:_ED_BYTES]),
            mldsa.MLDSA65PrivateKey.from_seed_bytes(private[_ED_BYTES:]),
        )
    except ValueError:
        raise CryptoError() from None


def signing_key_from_private(private: bytes) -> SigningKey:
    ed, ml = _halves(private)
    return SigningKey(private=private, public=ed.public_key().public_bytes_raw() + ml.public_key().public_bytes_raw())


def generate_signing_key() -> SigningKey:
    return signing_key_from_private(os.urandom(PRIVATE_KEY_BYTES))


def _message(purpose: str, message: bytes) -> bytes:
    return encode_fields(_PREFIX + purpose.encode("ascii"), message)


def sign(private: bytes, message: bytes, *, purpose: str) -> bytes:
    ed, ml = _halves(private)
    data = _message(purpose, message)
    return _VERSION + ed.sign(data) + ml.sign(data, purpose.encode("ascii"))


def verify(public: bytes, message: bytes, signature: bytes, *, purpose: str) -> bool:
    """True only when both the Ed25519 and the ML-DSA-65 halves verify."""
    if len(public) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES or signature[:1] != _VERSION:
        return False
    data = _message(purpose, message)
    try:
        ed = ed25519.Ed25519PublicKey.from_public_bytes(public[:_ED_BYTES])
        ml = mldsa.MLDSA65PublicKey.from_public_bytes(public[_ED_BYTES:])
        ed.verify(signature[1 : 1 + _ED_SIG], data)
        ml.verify(signature[1 + _ED_SIG :], data, purpose.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(public: bytes, *, kind: str = "signing") -> str:
    """SHA-256 of a public key (signing, or `kind="encryption"` for an HPKE key), as 16 groups of 4 hex digits."""
    digest = hashlib.sha256(encode_fields(b"kanal-integritas/v1/fingerprint", kind.encode("ascii"), public)).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (any spacing or case) in the canonical grouped form; ValueError if malformed."""
    compact = "".join(text.split()).replace(":", "").replace("-", "").lower()
    if len(compact) != 64 or any(c not in "0123456789abcdef" for c in compact):
        raise ValueError("a fingerprint is 64 hex digits")
    return " ".join(compact[i : i + 4] for i in range(0, 64, 4))
