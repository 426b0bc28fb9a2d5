"""Reporter receipts: format, forgiving normalisation, keyed look-up hash, reporter key pair."""

import hashlib
import hmac
import re

import pytest

from crypto.errors import CryptoError
from crypto.keys import new_symmetric_key, open_grant, seal_key
from crypto.receipts import ALPHABET, lookup_hash, new_receipt, new_reporter_salt, normalise, reporter_keypair

RECEIPT_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
RECEIPT = "7K3M-Q9ZD-01AB-XYTV"
SERVER_KEY = b"\x11" * 32
SALT = b"\x22" * 32
BINDING = {"case_id": "case-1", "key_kind": "case", "recipient_id": "reporter"}


def test_new_receipt_has_the_documented_format() -> None:
    # given a fresh receipt, then it is four dash-separated groups of four Crockford characters
    assert RECEIPT_FORMAT.match(new_receipt())


def test_thousand_receipts_are_unique_and_well_formed() -> None:
    # given 1000 fresh receipts
    receipts = [new_receipt() for _ in range(1000)]
    # then all are well formed, already normal, and distinct
    assert all(RECEIPT_FORMAT.match(r) and normalise(r) == r for r in receipts)
    assert len(set(receipts)) == 1000


def test_receipts_use_the_whole_alphabet_in_every_position() -> None:
    # given 1000 fresh receipts (16,000 characters of 5 random bits each)
    receipts = [new_receipt().replace("-", "") for _ in range(1000)]
    # then every alphabet character shows up, including in the first position
    assert set("".join(receipts)) == set(ALPHABET)
    assert len({r[0] for r in receipts}) > 20


@pytest.mark.parametrize(
    "text",
    [
        "7K3M-Q9ZD-01AB-XYTV",
        "7k3m-q9zd-01ab-xytv",
        "7K3MQ9ZD01ABXYTV",
        "7K3M Q9ZD 01AB XYTV",
        "  7k3m-q9zd-01ab-xytv\n",
        "7K3M-Q9ZD-OIAB-XYTV",
        "7K3M-Q9ZD-0LAB-XYTV",
        "7K3M-Q9ZD-olab-XYTV",
        "7K3M--Q9ZD\t01AB-XYTV",
    ],
    ids=["canonical", "lowercase", "no-dashes", "spaces", "padded", "O-and-I", "L", "lowercase-o-l", "tab-double-dash"],
)
def test_normalise_accepts_forgiving_input(text: str) -> None:
    # given a receipt typed carelessly, when normalised, then the canonical form comes back
    assert normalise(text) == RECEIPT


@pytest.mark.parametrize(
    "text",
    [
        "",
        "7K3M-Q9ZD-01AB-XYT",
        "7K3M-Q9ZD-01AB-XYTVV",
        "7K3M-Q9ZD-01AB-XYTU",
        "7K3M-Q9ZD-01AB-XYT!",
        "7K3M_Q9ZD_01AB_XYTV",
        "7K3M-Q9ZD-01AB-XYT*",
        "7K3M.Q9ZD.01AB.XYTV",
        "０K3M-Q9ZD-01AB-XYTV",
    ],
    ids=["empty", "too-short", "too-long", "U", "bang", "underscores", "star", "dots", "fullwidth-digit"],
)
def test_normalise_rejects_non_receipts(text: str) -> None:
    # given text that cannot be a receipt, when normalised, then None comes back
    assert normalise(text) is None


def test_normalise_accepts_up_to_64_characters() -> None:
    # given a valid receipt padded with spaces to exactly 64 characters, then it normalises
    assert normalise(RECEIPT.ljust(64)) == RECEIPT


def test_normalise_rejects_input_over_64_characters() -> None:
    # given a valid receipt padded with spaces to 65 characters, then it is refused outright
    assert normalise(RECEIPT.ljust(65)) is None
    assert normalise("A" * 10_000) is None


def test_lookup_hash_is_32_bytes_and_deterministic() -> None:
    # given one receipt and server key, when hashed twice, then the 32-byte hashes match
    first = lookup_hash(RECEIPT, server_key=SERVER_KEY)
    assert len(first) == 32 and first == lookup_hash(RECEIPT, server_key=SERVER_KEY)


def test_lookup_hash_depends_on_server_key() -> None:
    # given one receipt, when hashed under two server keys, then the hashes differ
    assert lookup_hash(RECEIPT, server_key=SERVER_KEY) != lookup_hash(RECEIPT, server_key=b"\x12" * 32)


def test_lookup_hash_depends_on_receipt() -> None:
    # given two receipts, when hashed under one server key, then the hashes differ
    assert lookup_hash(RECEIPT, server_key=SERVER_KEY) != lookup_hash(new_receipt(), server_key=SERVER_KEY)


def test_lookup_hash_is_stable_hmac_sha256() -> None:
    # given the documented construction (stored hashes must keep matching), then the value is pinned
    message = b"kanal-integritas/v1/receipt-lookup\x00" + RECEIPT.encode()
    expected = hmac.new(SERVER_KEY, message, hashlib.sha256).digest()
    assert lookup_hash(RECEIPT, server_key=SERVER_KEY) == expected


def test_new_reporter_salt_is_random_32_bytes() -> None:
    # given two fresh salts, then both are 32 bytes and differ
    first, second = new_reporter_salt(), new_reporter_salt()
    assert len(first) == len(second) == 32 and first != second


def test_reporter_keypair_is_deterministic_per_receipt_and_salt() -> None:
    # given one receipt and salt, when derived twice, then the key pairs match
    assert reporter_keypair(RECEIPT, salt=SALT) == reporter_keypair(RECEIPT, salt=SALT)


def test_reporter_keypair_differs_with_salt() -> None:
    # given one receipt, when derived with two salts, then the key pairs differ
    assert reporter_keypair(RECEIPT, salt=SALT).public != reporter_keypair(RECEIPT, salt=b"\x23" * 32).public


def test_reporter_keypair_differs_with_receipt() -> None:
    # given one salt, when derived for two receipts, then the key pairs differ
    assert reporter_keypair(RECEIPT, salt=SALT).public != reporter_keypair(new_receipt(), salt=SALT).public


def test_key_sealed_to_reporter_opens_with_rederived_keypair() -> None:
    # given a case key sealed to the public half derived from receipt and salt
    case_key = new_symmetric_key()
    sealed = seal_key(case_key, recipient_public=reporter_keypair(RECEIPT, salt=SALT).public, **BINDING)
    # when the reporter later re-derives the key pair from the typed receipt
    again = reporter_keypair(normalise("7k3m q9zd olab xytv") or "", salt=SALT)
    # then the grant opens to the same key
    assert open_grant(sealed, recipient_private=again.private, **BINDING) == case_key


def test_key_sealed_to_reporter_does_not_open_with_another_salt() -> None:
    # given a case key sealed to the reporter key for SALT
    sealed = seal_key(new_symmetric_key(), recipient_public=reporter_keypair(RECEIPT, salt=SALT).public, **BINDING)
    # when opened with the key pair derived under another salt, then it fails
    with pytest.raises(CryptoError):
        open_grant(sealed, recipient_private=reporter_keypair(RECEIPT, salt=b"\x23" * 32).private, **BINDING)


@pytest.mark.parametrize("text", ["ß" * 8, "ı" * 16, "ＡＢＣＤ" * 4])
def test_normalise_refuses_non_ascii(text: str) -> None:
    assert normalise(text) is None
