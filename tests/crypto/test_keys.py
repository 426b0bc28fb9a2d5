"""Hybrid ML-KEM-768 + X25519 key pairs and HPKE key grants."""

import pytest

from crypto.errors import CryptoError
from crypto.keys import (
    PRIVATE_KEY_BYTES,
    PUBLIC_KEY_BYTES,
    GrantOpener,
    KeyPair,
    generate_keypair,
    keypair_from_private,
    keypair_from_secret,
    new_symmetric_key,
    open_grant,
    seal_key,
)

ALICE = generate_keypair()
BOB = generate_keypair()
KEY = bytes(range(32))
BINDING = {"case_id": "case-1", "key_kind": "case", "recipient_id": "alice"}
# Grant layout: version (1) || ML-KEM-768 ciphertext (1088) || X25519 enc (32) || AES-GCM body (32) || tag (16)
GRANT_BYTES = 1 + 1088 + 32 + 32 + 16


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


def _grant(key: bytes = KEY, recipient: KeyPair = ALICE, **binding: str) -> bytes:
    return seal_key(key, recipient_public=recipient.public, **{**BINDING, **binding})


def _open(sealed: bytes, recipient: KeyPair = ALICE, **binding: str) -> bytes:
    return open_grant(sealed, recipient_private=recipient.private, **{**BINDING, **binding})


def test_serialised_key_lengths() -> None:
    # given a generated key pair, then private is 96 and public 1216 bytes
    assert len(ALICE.private) == PRIVATE_KEY_BYTES == 96
    assert len(ALICE.public) == PUBLIC_KEY_BYTES == 1216


def test_generated_keypairs_differ() -> None:
    # given two generated key pairs, then neither half is shared
    assert ALICE.private != BOB.private and ALICE.public != BOB.public


def test_keypair_from_private_round_trip() -> None:
    # given a serialised private key, when re-loaded, then the same pair comes back
    assert keypair_from_private(ALICE.private) == ALICE


@pytest.mark.parametrize("length", [0, 32, 64, 95, 97, 1216])
def test_keypair_from_private_of_wrong_length_fails(length: int) -> None:
    # given a private key of the wrong length, when loaded, then it fails
    with pytest.raises(CryptoError):
        keypair_from_private(b"\x07" * length)


def test_keypair_from_secret_is_deterministic() -> None:
    # given the same secret, label and salt, when derived twice, then the pairs match
    first = keypair_from_secret(b"m" * 32, label="recovery-key", salt=b"s")
    assert first == keypair_from_secret(b"m" * 32, label="recovery-key", salt=b"s")
    assert len(first.private) == 96 and len(first.public) == 1216


@pytest.mark.parametrize(
    ("label", "salt"),
    [("other-key", b"s"), ("recovery-key", b"t"), ("recovery-key", None)],
    ids=["label", "salt", "no-salt"],
)
def test_keypair_from_secret_differs_with_label_or_salt(label: str, salt: bytes | None) -> None:
    # given one secret, when derived with a different label or salt, then the pair differs
    reference = keypair_from_secret(b"m" * 32, label="recovery-key", salt=b"s")
    other = keypair_from_secret(b"m" * 32, label=label, salt=salt)
    assert other.private != reference.private and other.public != reference.public


def test_repr_does_not_contain_private_key() -> None:
    # given a key pair, when rendered with repr and str
    rendered = repr(ALICE) + str(ALICE)
    # then no form of the private half appears
    assert ALICE.private.hex() not in rendered
    assert ALICE.private[:8].hex() not in rendered
    assert repr(ALICE.private)[2:20] not in rendered


def test_new_symmetric_key_is_random_256_bit() -> None:
    # given two fresh keys, then both are 32 bytes and differ
    first, second = new_symmetric_key(), new_symmetric_key()
    assert len(first) == len(second) == 32 and first != second


@pytest.mark.parametrize("key_kind", ["case", "team"])
def test_grant_round_trip(key_kind: str) -> None:
    # given a key sealed to Alice, when Alice opens it with the same binding, then it comes back
    assert _open(_grant(key_kind=key_kind), key_kind=key_kind) == KEY


def test_grant_layout_and_randomness() -> None:
    # given one key sealed twice to Alice
    first, second = _grant(), _grant()
    # then both are version 1 grants of fixed length, and differ
    assert first[:1] == b"\x01" and len(first) == GRANT_BYTES
    assert first != second


def test_grant_for_alice_cannot_be_opened_by_bob() -> None:
    # given a grant sealed to Alice, when Bob tries it (even claiming Alice's id), then it fails
    with pytest.raises(CryptoError):
        _open(_grant(), recipient=BOB)


@pytest.mark.parametrize(
    "binding",
    [{"case_id": "case-2"}, {"key_kind": "team"}, {"recipient_id": "bob"}, {"case_id": ""}],
    ids=["case", "kind", "recipient", "empty-case"],
)
def test_grant_with_wrong_binding_fails(binding: dict[str, str]) -> None:
    # given a grant bound to case-1/case/alice, when opened with one field changed, then it fails
    with pytest.raises(CryptoError):
        _open(_grant(), **binding)


def test_grant_binding_fields_are_unambiguous() -> None:
    # given a grant for case "ab" and recipient "c"
    sealed = _grant(case_id="ab", recipient_id="c")
    # when opened as case "a" and recipient "bc", then it fails
    with pytest.raises(CryptoError):
        _open(sealed, case_id="a", recipient_id="bc")


@pytest.mark.parametrize("key_kind", ["", "Case", "reporter", "case "])
def test_unknown_key_kind_is_refused(key_kind: str) -> None:
    # given an unknown key kind, when sealing or opening, then it is a programming error
    with pytest.raises(ValueError):
        _grant(key_kind=key_kind)
    with pytest.raises(ValueError):
        _open(_grant(), key_kind=key_kind)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_sealing_requires_32_byte_key(length: int) -> None:
    # given a key that is not 256-bit, when sealed, then it is refused
    with pytest.raises(ValueError):
        _grant(key=b"k" * length)


def test_sealing_to_wrong_length_public_key_is_refused() -> None:
    # given a truncated public key, when sealing to it, then it is refused
    with pytest.raises(ValueError):
        seal_key(KEY, recipient_public=ALICE.public[:-1], **BINDING)


@pytest.mark.parametrize(
    ("index", "bit"),
    [
        (0, 0),
        (0, 1),
        (1, 0),
        (600, 5),
        (1088, 7),
        (1089, 0),
        (1120, 6),
        (1120, 7),
        (1121, 0),
        (1152, 7),
        (1153, 0),
        (-1, 7),
    ],
    ids=[
        "version",
        "version-bit1",
        "mlkem-first",
        "mlkem-mid",
        "mlkem-last",
        "x25519-first",
        "x25519-last",
        "x25519-top-bit",
        "body-first",
        "body-last",
        "tag-first",
        "tag-last",
    ],
)
def test_flipped_bit_in_grant_fails(index: int, bit: int) -> None:
    # given a grant with one bit flipped, when opened, then it fails loudly
    with pytest.raises(CryptoError):
        _open(_flip(_grant(), index, bit))


@pytest.mark.parametrize("keep", [0, 1, 2, 1089, 1121, 1153, GRANT_BYTES - 1])
def test_truncated_grant_fails(keep: int) -> None:
    # given a grant cut to `keep` bytes, when opened, then it fails
    with pytest.raises(CryptoError):
        _open(_grant()[:keep])


def test_grant_with_appended_byte_fails() -> None:
    # given a grant with one extra byte, when opened, then it fails
    with pytest.raises(CryptoError):
        _open(_grant() + b"\x00")


@pytest.mark.parametrize("length", [0, 95, 97])
def test_opening_with_wrong_length_private_key_fails(length: int) -> None:
    # given a valid grant, when opened with a malformed private key, then it fails
    with pytest.raises(CryptoError):
        open_grant(_grant(), recipient_private=b"\x01" * length, **BINDING)


def test_one_opener_opens_many_grants_as_open_grant_does() -> None:
    # given one opener for alice (her key parsed once) and grants of several cases
    opener = GrantOpener(ALICE.private)
    grants = {f"case-{n}": _grant(key=bytes([n]) * 32, case_id=f"case-{n}") for n in range(3)}
    # then each opens to its own key, bound like open_grant
    for n, (case_id, sealed) in enumerate(grants.items()):
        assert opener.open(sealed, case_id=case_id, key_kind="case", recipient_id="alice") == bytes([n]) * 32
    # and a grant for another case, kind or recipient, or for bob, or bit-flipped, fails the same way
    failures = [
        (grants["case-0"], {"case_id": "case-1", "key_kind": "case", "recipient_id": "alice"}),
        (grants["case-0"], {"case_id": "case-0", "key_kind": "team", "recipient_id": "alice"}),
        (grants["case-0"], {"case_id": "case-0", "key_kind": "case", "recipient_id": "bob"}),
        (_grant(recipient=BOB), BINDING),
        (_flip(grants["case-0"], 100), {"case_id": "case-0", "key_kind": "case", "recipient_id": "alice"}),
    ]
    for sealed, binding in failures:
        with pytest.raises(CryptoError):
            opener.open(sealed, **binding)
    assert repr(opener) == "GrantOpener(...)"


@pytest.mark.parametrize("length", [0, 95, 97])
def test_opener_with_wrong_length_private_key_fails(length: int) -> None:
    with pytest.raises(CryptoError):
        GrantOpener(b"\x01" * length)
