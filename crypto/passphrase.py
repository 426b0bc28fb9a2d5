"""Reviewer passphrases: one Argon2id derivation, two keys.

Argon2id(passphrase, salt, params) -> 32-byte master, then HKDF with distinct
labels -> a *login verifier* (stored, compared in constant time) and a
*wrapping key* (never stored) that wraps the reviewer's private key. The
database alone therefore gives an attacker only an Argon2id-hard guessing
target, and a passphrase change re-wraps the same private key.

Parameters travel with the stored record (`KdfParams.encode`) so they can be
raised later without breaking existing accounts. Production refuses parameters
below `KdfParams.production_minimum()`; tests use cheap ones.
"""

import hmac
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from .derive import derive_key, unwrap, wrap
from .errors import CryptoError
from .keys import KeyPair, keypair_from_private
from .signing import SigningKey, signing_key_from_private

MAX_PASSPHRASE_CHARS = 1024
SALT_BYTES = 16
_WRAP_LABEL = "reviewer-private-key"
_SIGNING_WRAP_LABEL = "reviewer-signing-key"
_ACTIVATION_WRAP_LABEL = "founder-signing-key"
_ENCODED = re.compile(r"argon2id\$m=(?P<m>[1-9][0-9]{0,7}),t=(?P<t>[1-9][0-9]{0,2}),p=(?P<p>[1-9][0-9]{0,1})")


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def encode(self) -> str:
        return f"argon2id$m={self.memory_kib},t={self.iterations},p={self.lanes}"

    @classmethod
    def decode(cls, text: str) -> "KdfParams":
        """Strict parse of `encode()`'s output; out-of-range values are refused."""
        match = _ENCODED.fullmatch(text)
        if match is None:
            raise CryptoError()
        params = cls(int(match["m"]), int(match["t"]), int(match["p"]))
        if not params.valid():
            raise CryptoError()
        return params

    def valid(self) -> bool:
        return (
            1 <= self.lanes <= 64
            and 1 <= self.iterations <= 100
            and 8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024
        )

    @classmethod
    def production_minimum(cls) -> "KdfParams":
        return cls()

    def at_least(self, other: "KdfParams") -> bool:
        return self.valid() and self.memory_kib >= other.memory_kib and self.iterations >= other.iterations


@dataclass(frozen=True)
class PassphraseKeys:
    verifier: bytes
    wrapping_key: bytes


def derive_passphrase_keys(passphrase: str, *, salt: bytes, params: KdfParams) -> PassphraseKeys:
    """The one Argon2id derivation. Input is capped before any work is done."""
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        raise ValueError("passphrase longer than 1,024 characters")
    master = Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(passphrase.encode("utf-8"))
    return PassphraseKeys(
        verifier=derive_key(master, label="login-verifier"),
        wrapping_key=derive_key(master, label="private-key-wrap"),
    )


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def verifier_matches(candidate: bytes, stored: bytes) -> bool:
    return hmac.compare_digest(candidate, stored)


def wrap_private_key(keys: PassphraseKeys, keypair: KeyPair, *, owner_id: str) -> bytes:
    return wrap(keys.wrapping_key, keypair.private, label=_WRAP_LABEL, context=owner_id.encode())


def unwrap_private_key(keys: PassphraseKeys, wrapped: bytes, *, owner_id: str) -> KeyPair:
    return keypair_from_private(unwrap(keys.wrapping_key, wrapped, label=_WRAP_LABEL, context=owner_id.encode()))


def wrap_signing_key(keys: PassphraseKeys, key: SigningKey, *, owner_id: str) -> bytes:
    return wrap(keys.wrapping_key, key.private, label=_SIGNING_WRAP_LABEL, context=owner_id.encode())


def unwrap_signing_key(keys: PassphraseKeys, wrapped: bytes, *, owner_id: str) -> SigningKey:
    return signing_key_from_private(
        unwrap(keys.wrapping_key, wrapped, label=_SIGNING_WRAP_LABEL, context=owner_id.encode())
    )


def _activation_key(activation: str, owner_id: str) -> bytes:
    # The one-time activation passphrase carries 100 random bits: HKDF suffices (no Argon2id).
    compact = activation.upper().replace("-", "").replace(" ", "")
    return derive_key(compact.encode("utf-8"), label="activation-wrap", salt=owner_id.encode())


def wrap_for_activation(activation: str, key: SigningKey, *, owner_id: str) -> bytes:
    """A founder's signing key, made at installation, kept until they activate with `activation`."""
    return wrap(
        _activation_key(activation, owner_id), key.private, label=_ACTIVATION_WRAP_LABEL, context=owner_id.encode()
    )


def unwrap_for_activation(activation: str, wrapped: bytes, *, owner_id: str) -> SigningKey:
    return signing_key_from_private(
        unwrap(_activation_key(activation, owner_id), wrapped, label=_ACTIVATION_WRAP_LABEL, context=owner_id.encode())
    )
