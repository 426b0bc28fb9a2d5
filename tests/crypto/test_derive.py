"""Labelled HKDF derivation, unambiguous field encoding and the AES-GCM wrap."""

import hashlib
import hmac

import pytest

from crypto.derive import KEY_BYTES, derive_key, encode_fields, unwrap, wrap
from crypto.errors import CryptoError

SECRET = b"s" * 32
KEY = bytes(range(32))
PRIVATE = bytes(range(96))


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


def _reference_hkdf(secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt or bytes(32), secret, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output, counter = output + block, counter + 1
    return output[:length]


def test_derive_key_matches_rfc5869_with_prefixed_label() -> None:
    # given an independent RFC 5869 HKDF-SHA256
    expected = _reference_hkdf(SECRET, b"salt", b"kanal-integritas/v1/item", 44)
    # when the project derives with label "item", then both agree
    assert derive_key(SECRET, label="item", salt=b"salt", length=44) == expected


def test_derive_key_is_deterministic_and_32_bytes() -> None:
    # given the same secret, label and salt, when derived twice
    first = derive_key(SECRET, label="a", salt=b"salt")
    # then the output is identical and 256-bit
    assert first == derive_key(SECRET, label="a", salt=b"salt")
    assert len(first) == KEY_BYTES


def test_different_label_gives_different_key() -> None:
    # given one secret, when derived under two labels, then the keys differ
    assert derive_key(SECRET, label="login-verifier") != derive_key(SECRET, label="private-key-wrap")


def test_different_salt_gives_different_key() -> None:
    # given one secret and label, when derived with two salts, then the keys differ
    assert derive_key(SECRET, label="a", salt=b"1" * 32) != derive_key(SECRET, label="a", salt=b"2" * 32)


def test_encode_fields_is_length_prefixed() -> None:
    # given two fields, when encoded, then each carries a 4-byte big-endian length
    assert encode_fields(b"ab", b"") == b"\x00\x00\x00\x02ab\x00\x00\x00\x00"


def test_encode_fields_is_unambiguous() -> None:
    # given field lists with the same concatenation, when encoded, then they differ
    assert encode_fields(b"a", b"bc") != encode_fields(b"ab", b"c")
    assert encode_fields(b"ab") != encode_fields(b"a", b"b")


@pytest.mark.parametrize("secret", [b"", b"x", PRIVATE], ids=["empty", "one-byte", "private-key"])
def test_wrap_round_trip(secret: bytes) -> None:
    # given a secret wrapped under a key with a label and context
    wrapped = wrap(KEY, secret, label="reviewer-private-key", context=b"owner-1")
    # when unwrapped with the same key, label and context, then it comes back
    assert unwrap(KEY, wrapped, label="reviewer-private-key", context=b"owner-1") == secret


def test_wrap_format_and_fresh_nonce() -> None:
    # given the same secret wrapped twice
    first, second = wrap(KEY, PRIVATE, label="l"), wrap(KEY, PRIVATE, label="l")
    # then each is version 1 || 12-byte nonce || ciphertext || 16-byte tag, with fresh nonces
    assert first[:1] == b"\x01" and len(first) == 1 + 12 + len(PRIVATE) + 16
    assert first[1:13] != second[1:13]


@pytest.mark.parametrize("bad_key", [b"", b"k" * 16, b"k" * 31, b"k" * 33])
def test_wrap_requires_32_byte_key(bad_key: bytes) -> None:
    # given a key that is not 256-bit, when wrapping, then it is refused
    with pytest.raises(ValueError):
        wrap(bad_key, PRIVATE, label="l")


@pytest.mark.parametrize("bad_key", [b"", b"k" * 31, b"k" * 33])
def test_unwrap_with_wrong_length_key_fails(bad_key: bytes) -> None:
    # given a valid wrap, when unwrapping with a key that is not 256-bit, then it fails
    with pytest.raises(CryptoError):
        unwrap(bad_key, wrap(KEY, PRIVATE, label="l"), label="l")


@pytest.mark.parametrize(
    ("index", "bit"),
    [(0, 0), (0, 1), (1, 0), (12, 7), (13, 0), (60, 3), (-17, 0), (-16, 0), (-1, 7)],
    ids=[
        "version",
        "version-bit1",
        "nonce-first",
        "nonce-last",
        "body-first",
        "body-mid",
        "body-last",
        "tag-first",
        "tag-last",
    ],
)
def test_flipped_bit_in_wrap_fails(index: int, bit: int) -> None:
    # given a wrap with one bit flipped
    tampered = _flip(wrap(KEY, PRIVATE, label="l", context=b"c"), index, bit)
    # when unwrapped, then it fails loudly
    with pytest.raises(CryptoError):
        unwrap(KEY, tampered, label="l", context=b"c")


@pytest.mark.parametrize("keep", [0, 1, 13, 28, 29, 1 + 12 + 96, 1 + 12 + 96 + 15])
def test_truncated_wrap_fails(keep: int) -> None:
    # given a wrap cut to `keep` bytes, when unwrapped, then it fails
    with pytest.raises(CryptoError):
        unwrap(KEY, wrap(KEY, PRIVATE, label="l")[:keep], label="l")


def test_wrap_with_appended_byte_fails() -> None:
    # given a wrap with one extra byte, when unwrapped, then it fails
    with pytest.raises(CryptoError):
        unwrap(KEY, wrap(KEY, PRIVATE, label="l") + b"\x00", label="l")


@pytest.mark.parametrize(
    ("key", "label", "context"),
    [(bytes(32), "l", b"c"), (KEY, "other", b"c"), (KEY, "l", b"other"), (KEY, "l", b"")],
    ids=["wrong-key", "wrong-label", "wrong-context", "missing-context"],
)
def test_unwrap_with_wrong_binding_fails(key: bytes, label: str, context: bytes) -> None:
    # given a wrap bound to KEY, label "l" and context "c"
    wrapped = wrap(KEY, PRIVATE, label="l", context=b"c")
    # when unwrapped with one of them changed, then it fails
    with pytest.raises(CryptoError):
        unwrap(key, wrapped, label=label, context=context)
