"""Fuzzing (bounded, in the suite): receipt normalisation, and the decoders of items,
streams, grants and the upload spool. Arbitrary input either works or fails with the
single CryptoError, never with anything else."""

import io
import tempfile
from collections.abc import Iterator
from typing import IO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError
from crypto.keys import generate_keypair, open_grant
from crypto.receipts import ALPHABET, normalise
from crypto.spool import BLOCK, EncryptedSpool
from crypto.stream import CHUNK_SIZE, decrypt_stream, encrypt_stream, new_header

KEY = bytes(range(32))
META = ItemMetadata(case_id="c", item_id="i", author="reporter", kind="message", key_kind="case", seq=2)
RECIPIENT = generate_keypair()
BOUNDED = settings(max_examples=200, deadline=None, derandomize=True)
SLOW = settings(max_examples=50, deadline=None, derandomize=True)


@BOUNDED
@given(st.text(max_size=200))
def test_receipt_normaliser_returns_a_canonical_code_or_none(text: str) -> None:
    # given any text, then the answer is None or a canonical receipt that normalises to itself
    result = normalise(text)
    if result is not None:
        groups = result.split("-")
        assert [len(group) for group in groups] == [4, 4, 4, 4]
        assert all(c in ALPHABET for c in "".join(groups))
        assert normalise(result) == result


RECEIPTS = st.lists(st.sampled_from(ALPHABET), min_size=16, max_size=16).map(
    lambda chars: "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))
)


@BOUNDED
@given(RECEIPTS, st.data())
def test_a_receipt_survives_the_ways_people_retype_it(receipt: str, data: st.DataObject) -> None:
    # given a receipt retyped with any case, spacing, dashes and O/I/L look-alikes
    typed = []
    for char in receipt.replace("-", ""):
        variants = [char, char.lower()] + {"0": ["O", "o"], "1": ["I", "i", "L", "l"]}.get(char, [])
        typed.append(data.draw(st.sampled_from(variants)))
        typed.append(data.draw(st.sampled_from(["", "", "-", " ", "\t"])))
    # then it normalises back to the receipt itself
    assert normalise("".join(typed)) == receipt


@BOUNDED
@given(st.binary(max_size=300))
def test_item_decoder_only_ever_raises_crypto_error(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        decrypt_item(KEY, blob, META)


@SLOW
@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=10_000))
def test_a_flipped_item_never_decrypts(plaintext: bytes, position: int) -> None:
    sealed = bytearray(encrypt_item(KEY, plaintext, META))
    sealed[position % len(sealed)] ^= 0x01
    with pytest.raises(CryptoError):
        decrypt_item(KEY, bytes(sealed), META)


@SLOW
@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=10_000))
def test_a_cut_item_never_decrypts(plaintext: bytes, cut: int) -> None:
    sealed = encrypt_item(KEY, plaintext, META)
    with pytest.raises(CryptoError):
        decrypt_item(KEY, sealed[: cut % len(sealed)], META)


@BOUNDED
@given(st.binary(max_size=40), st.lists(st.binary(max_size=200), max_size=4))
def test_stream_decoder_only_ever_raises_crypto_error(header: bytes, chunks: list[bytes]) -> None:
    for candidate in (header, new_header()):
        with pytest.raises(CryptoError):
            list(decrypt_stream(KEY, candidate, chunks, case_id="c", attachment_id="a", item_id="i"))


@SLOW
@given(st.integers(min_value=0, max_value=3 * CHUNK_SIZE), st.integers(min_value=0), st.booleans())
def test_a_tampered_stream_never_decrypts(size: int, where: int, cut: bool) -> None:
    # given a real encrypted stream, with one bit flipped or cut short somewhere
    header = new_header()
    chunks = list(
        encrypt_stream(KEY, header, io.BytesIO(bytes(size)), size=size, case_id="c", attachment_id="a", item_id="i")
    )
    joined = bytearray(b"".join(chunks))
    position = where % len(joined)
    if cut:
        tampered = [bytes(joined[:position])] if position else []
    else:
        joined[position] ^= 0x80
        tampered = [bytes(joined[i : i + CHUNK_SIZE + 16]) for i in range(0, len(joined), CHUNK_SIZE + 16)]
    # then decryption fails with CryptoError
    with pytest.raises(CryptoError):
        list(decrypt_stream(KEY, header, tampered, case_id="c", attachment_id="a", item_id="i"))


@SLOW
@given(st.binary(max_size=1300))
def test_grant_decoder_only_ever_raises_crypto_error(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        open_grant(blob, recipient_private=RECIPIENT.private, case_id="c", key_kind="case", recipient_id="r")


@SLOW
@given(st.lists(st.binary(max_size=3 * BLOCK // 2), max_size=5))
def test_spool_returns_exactly_what_was_written(parts: list[bytes]) -> None:
    # given an upload arriving in arbitrary pieces, then reading it back gives the same bytes
    with EncryptedSpool(limit=10 * BLOCK) as spool:
        for part in parts:
            spool.write(part)
        spool.seek(0)
        assert spool.read() == b"".join(parts)
        assert spool.too_large is (sum(map(len, parts)) > 10 * BLOCK)


@pytest.fixture
def spool_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[IO[bytes]]]:
    files: list[IO[bytes]] = []
    real = tempfile.TemporaryFile

    def keep() -> IO[bytes]:
        handle = real()
        files.append(handle)
        return handle

    monkeypatch.setattr(tempfile, "TemporaryFile", keep)
    yield files


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0), st.booleans())
def test_a_tampered_spool_only_raises_crypto_error(spool_files: list[IO[bytes]], where: int, cut: bool) -> None:
    # given an upload spilled to disk, whose file is then changed by someone else
    spool_files.clear()
    with EncryptedSpool(limit=10 * BLOCK) as spool:
        spool.write(bytes(3 * BLOCK))
        spool.seek(0)
        (disk,) = spool_files
        disk.seek(0)
        raw = bytearray(disk.read())
        position = where % len(raw)
        if cut:
            raw = raw[:position]
        else:
            raw[position] ^= 0x01
        disk.seek(0)
        disk.truncate()
        disk.write(raw)
        disk.seek(0)
        # then reading it back fails with CryptoError, and never returns changed bytes
        with pytest.raises(CryptoError):
            spool.read()
