"""Case-item encryption: round trips, the documented format, and loud failure on any tampering."""

import dataclasses
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.derive import derive_key, encode_fields
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item, is_legacy
from crypto.errors import CryptoError
from crypto.padding import padme_length

KEY = bytes(range(32))
TEXT = b"r" * 100  # pads to 104 bytes -> ciphertext of 1 + 32 + 104 + 16 = 153 bytes
META = ItemMetadata(case_id="case-1", item_id="report", author="reporter", kind="report", key_kind="case", seq=1)


def _meta(case_id: str = "case-1", item_id: str = "report") -> ItemMetadata:
    return dataclasses.replace(META, case_id=case_id, item_id=item_id)


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


def _seal(plaintext: bytes = TEXT, case_id: str = "case-1", item_id: str = "report") -> bytes:
    return encrypt_item(KEY, plaintext, _meta(case_id, item_id))


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"x", TEXT, b"Laporan: dana desa dipotong 10 %", os.urandom(5_000)],
    ids=["empty", "one-byte", "hundred", "utf8", "large-random"],
)
def test_item_round_trip(plaintext: bytes) -> None:
    # given an item encrypted under a case key
    ciphertext = _seal(plaintext)
    # when decrypted with the same key, case id and item id, then it comes back
    assert decrypt_item(KEY, ciphertext, _meta("case-1", "report")) == plaintext


def test_ciphertext_layout_is_version_salt_padded_body_tag() -> None:
    # given a 100-byte item, when encrypted
    ciphertext = _seal()
    # then it is 0x02 || 32-byte salt || Padmé-padded body || 16-byte tag
    assert ciphertext[:1] == b"\x02" and not is_legacy(ciphertext)
    assert len(ciphertext) == 1 + 32 + padme_length(4 + len(TEXT)) + 16 == 153


def test_same_item_encrypts_differently_each_time() -> None:
    # given the same plaintext, case and item encrypted twice
    first, second = _seal(), _seal()
    # then the random salts (and so the ciphertexts) differ
    assert first[1:33] != second[1:33]
    assert first != second


def test_ciphertext_length_hides_small_differences() -> None:
    # given texts of 1000 and 1010 bytes, when encrypted, then the lengths match
    assert len(_seal(b"a" * 1000)) == len(_seal(b"a" * 1010))


def _by_hand(version: bytes, aad: bytes, padded: bytes) -> bytes:
    salt = os.urandom(32)
    material = derive_key(KEY, label="item", salt=salt, length=44)
    return version + salt + AESGCM(material[:32]).encrypt(material[32:], padded, aad)


HI_PADDED = len(b"hi").to_bytes(4, "big") + b"hi" + bytes(padme_length(6) - 6)
V2_AAD = encode_fields(b"\x02", b"case-1", b"report", b"reporter", b"report", b"case", b"1", b"")


def test_ciphertext_built_from_documented_format_opens() -> None:
    # given an item built by hand from the format in the module docstring
    ciphertext = _by_hand(b"\x02", V2_AAD, HI_PADDED)
    # when decrypted by the library, then it opens
    assert decrypt_item(KEY, ciphertext, META) == b"hi"


def test_version_1_item_still_opens_with_its_weaker_binding() -> None:
    # given an item written before metadata was bound (version 1: case id and item id only)
    ciphertext = _by_hand(b"\x01", encode_fields(b"\x01", b"case-1", b"report"), HI_PADDED)
    # then it is recognised as legacy and opens whatever the other columns say (until upgraded)
    assert is_legacy(ciphertext)
    assert decrypt_item(KEY, ciphertext, dataclasses.replace(META, author="team", seq=9)) == b"hi"
    # but never under another case or item id
    with pytest.raises(CryptoError):
        decrypt_item(KEY, ciphertext, _meta(item_id="other"))


def test_version_2_item_relabelled_as_version_1_fails() -> None:
    # given a version 2 item whose version byte a database writer set to 1 (to shed the metadata binding)
    downgraded = b"\x01" + _seal()[1:]
    # when decrypted, then it fails: the associated data no longer matches
    with pytest.raises(CryptoError):
        decrypt_item(KEY, downgraded, META)


@pytest.mark.parametrize(
    "change",
    [
        {"author": "team"},
        {"kind": "message"},
        {"key_kind": "team"},
        {"seq": 2},
        {"seq": 11},
        {"attachment_id": "att-1"},
    ],
    ids=["author", "kind", "key-kind", "seq", "seq-prefix", "attachment"],
)
def test_item_opened_with_changed_metadata_fails(change: dict[str, object]) -> None:
    # given an item sealed with its metadata, when opened with any one field changed, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, _seal(), dataclasses.replace(META, **change))  # type: ignore[arg-type]


def test_metadata_field_boundaries_are_bound() -> None:
    # given author "team" and kind "note", when opened as author "tea", kind "mnote", then it fails
    meta = dataclasses.replace(META, author="team", kind="note")
    ciphertext = encrypt_item(KEY, TEXT, meta)
    with pytest.raises(CryptoError):
        decrypt_item(KEY, ciphertext, dataclasses.replace(meta, author="tea", kind="mnote"))


def test_authentic_item_with_bad_padding_fails() -> None:
    # given an authentic ciphertext whose plaintext is not validly padded
    ciphertext = _by_hand(b"\x02", V2_AAD, b"\x00\x00\x00\x02hi\x01")
    # when decrypted, then it fails with the one crypto error
    with pytest.raises(CryptoError):
        decrypt_item(KEY, ciphertext, META)


@pytest.mark.parametrize("bad_key", [b"", b"k" * 16, b"k" * 31, b"k" * 33])
def test_encrypt_requires_32_byte_key(bad_key: bytes) -> None:
    # given a key that is not 256-bit, when encrypting, then it is refused
    with pytest.raises(ValueError):
        encrypt_item(bad_key, TEXT, _meta("case-1", "report"))


@pytest.mark.parametrize("bad_key", [b"", b"k" * 31, b"k" * 33])
def test_decrypt_with_wrong_length_key_fails(bad_key: bytes) -> None:
    # given a valid item, when decrypted with a key that is not 256-bit, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(bad_key, _seal(), _meta("case-1", "report"))


@pytest.mark.parametrize(
    ("index", "bit"),
    [(0, 0), (0, 1), (1, 0), (16, 4), (32, 7), (33, 0), (80, 2), (136, 0), (137, 0), (-1, 7)],
    ids=[
        "version",
        "version-bit1",
        "salt-first",
        "salt-mid",
        "salt-last",
        "body-first",
        "body-mid",
        "body-last",
        "tag-first",
        "tag-last",
    ],
)
def test_flipped_bit_in_item_fails(index: int, bit: int) -> None:
    # given an item with one bit flipped
    tampered = _flip(_seal(), index, bit)
    # when decrypted, then it fails loudly
    with pytest.raises(CryptoError):
        decrypt_item(KEY, tampered, _meta("case-1", "report"))


def test_unknown_version_fails() -> None:
    # given an otherwise valid item relabelled as version 3
    ciphertext = b"\x03" + _seal()[1:]
    # when decrypted, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, ciphertext, _meta("case-1", "report"))


@pytest.mark.parametrize("keep", [0, 1, 33, 48, 49, 137, 152])
def test_truncated_item_fails(keep: int) -> None:
    # given an item cut to `keep` bytes, when decrypted, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, _seal()[:keep], _meta("case-1", "report"))


def test_item_with_appended_byte_fails() -> None:
    # given an item with one extra byte, when decrypted, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, _seal() + b"\x00", _meta("case-1", "report"))


def test_wrong_key_fails() -> None:
    # given an item under KEY, when decrypted with another key, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(os.urandom(32), _seal(), _meta("case-1", "report"))


def test_wrong_case_id_fails() -> None:
    # given an item of case-1, when opened as if moved to case-2, then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, _seal(), _meta("case-2", "report"))


def test_wrong_item_id_fails() -> None:
    # given two items of one case under one key
    first, second = _seal(b"first", item_id="msg-1"), _seal(b"second", item_id="msg-2")
    # when swapped, then neither opens under the other's id
    with pytest.raises(CryptoError):
        decrypt_item(KEY, first, _meta("case-1", "msg-2"))
    with pytest.raises(CryptoError):
        decrypt_item(KEY, second, _meta("case-1", "msg-1"))


def test_case_and_item_id_boundary_is_bound() -> None:
    # given an item for case "ab", item "c"
    ciphertext = _seal(case_id="ab", item_id="c")
    # when opened as case "a", item "bc" (same concatenation), then it fails
    with pytest.raises(CryptoError):
        decrypt_item(KEY, ciphertext, _meta("a", "bc"))
