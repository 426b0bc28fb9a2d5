"""Fuzzing (bounded, in the suite): arbitrary input to the receipt normaliser and
the decoders either works or fails with the single CryptoError — never anything else."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.envelope import decrypt_item, encrypt_item
from crypto.errors import CryptoError
from crypto.keys import generate_keypair, open_grant
from crypto.receipts import normalise
from crypto.stream import decrypt_stream, new_header

KEY = bytes(range(32))
RECIPIENT = generate_keypair()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_receipt_normaliser_returns_a_canonical_code_or_none(text: str) -> None:
    result = normalise(text)
    assert result is None or (len(result) == 19 and normalise(result) == result)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_item_decoder_only_ever_raises_crypto_error(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        decrypt_item(KEY, blob, case_id="c", item_id="i")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=200))
def test_a_flipped_or_cut_item_never_decrypts(plaintext: bytes, position: int) -> None:
    sealed = bytearray(encrypt_item(KEY, plaintext, case_id="c", item_id="i"))
    sealed[position % len(sealed)] ^= 0x01
    with pytest.raises(CryptoError):
        decrypt_item(KEY, bytes(sealed), case_id="c", item_id="i")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.binary(max_size=40), st.lists(st.binary(max_size=200), max_size=4))
def test_stream_decoder_only_ever_raises_crypto_error(header: bytes, chunks: list[bytes]) -> None:
    for candidate in (header, new_header()):
        with pytest.raises(CryptoError):
            list(decrypt_stream(KEY, candidate, chunks, case_id="c", attachment_id="a"))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.binary(max_size=1300))
def test_grant_decoder_only_ever_raises_crypto_error(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        open_grant(blob, recipient_private=RECIPIENT.private, case_id="c", key_kind="case", recipient_id="r")
