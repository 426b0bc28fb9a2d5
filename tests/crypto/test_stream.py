"""Attachment STREAM encryption: round trips, padded chunk layout, older unpadded formats still opened,
and loud failure on any tampering."""

import io
import math
import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.derive import derive_key, encode_fields
from crypto.errors import CryptoError
from crypto.padding import padme_length
from crypto.stream import (
    CHUNK_SIZE,
    HEADER_BYTES,
    SIZE_BYTES,
    TAG_BYTES,
    decrypt_stream,
    encrypt_stream,
    is_legacy,
    is_padded,
    new_header,
    padded_length,
    stored_length,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
CASE, ATTACHMENT, ITEM = "case-1", "att-1", "item-1"
SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536, 200_000]


def _seal(
    plaintext: bytes, *, key: bytes = KEY, header: bytes | None = None, attachment_id: str = ATTACHMENT
) -> tuple[bytes, list[bytes]]:
    header = header or new_header()
    chunks = list(
        encrypt_stream(
            key,
            header,
            io.BytesIO(plaintext),
            size=len(plaintext),
            case_id=CASE,
            attachment_id=attachment_id,
            item_id=ITEM,
        )
    )
    return header, chunks


def _open(
    header: bytes,
    chunks: list[bytes],
    *,
    key: bytes = KEY,
    case_id: str = CASE,
    attachment_id: str = ATTACHMENT,
    item_id: str = ITEM,
) -> bytes:
    # decrypt_stream is a generator: only consuming it runs the checks
    return b"".join(decrypt_stream(key, header, chunks, case_id=case_id, attachment_id=attachment_id, item_id=item_id))


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


@pytest.mark.parametrize("size", SIZES)
def test_stream_round_trip(size: int) -> None:
    # given random bytes of a size around the chunk boundaries
    plaintext = os.urandom(size)
    # when encrypted and decrypted with the same key, case and attachment
    header, chunks = _seal(plaintext)
    # then the plaintext comes back unchanged
    assert _open(header, chunks) == plaintext


@pytest.mark.parametrize("size", SIZES)
def test_chunk_count_and_full_chunk_size(size: int) -> None:
    # given a file of `size` bytes, when encrypted
    _, chunks = _seal(os.urandom(size))
    # then its padded stream (size field, file, zeros: the Padmé length of 8 + n) takes ceil(p / 64 KiB)
    # chunks, every one but the last exactly 64 KiB + tag
    padded = padme_length(SIZE_BYTES + size)
    assert padded_length(size) == padded and sum(map(len, chunks)) == stored_length(size)
    assert len(chunks) == math.ceil(padded / CHUNK_SIZE)
    assert all(len(chunk) == CHUNK_SIZE + TAG_BYTES for chunk in chunks[:-1])
    assert len(chunks[-1]) == padded - CHUNK_SIZE * (len(chunks) - 1) + TAG_BYTES


@pytest.mark.parametrize(
    "sizes", [(1_044_189, 1_044_190), (100, 103), (65_529, 66_000), (24 * 1024**2 + 1, 24 * 1024**2 + 500_000)]
)
def test_files_in_one_padme_bucket_store_the_same_layout(sizes: tuple[int, int]) -> None:
    # given two files whose sizes (plus the size field) fall in one Padmé bucket
    first, second = (_seal(os.urandom(size))[1] for size in sizes)
    # then they store the same number of chunks of the same lengths, and each opens to its own bytes
    assert [len(chunk) for chunk in first] == [len(chunk) for chunk in second]
    assert stored_length(sizes[0]) == stored_length(sizes[1]) == sum(map(len, first))


def test_padding_costs_at_most_about_12_percent() -> None:
    for size in (1_000, 100_000, 1_044_189, 10 * 1024**2, 25 * 1024**2):
        assert size < padded_length(size) <= 1.12 * (size + SIZE_BYTES) + 64


def test_header_is_version_and_random_salt() -> None:
    # given two fresh headers, then each is 0x03 || 32 random bytes: padded, bound to the details item
    first, second = new_header(), new_header()
    assert len(first) == HEADER_BYTES == 33
    assert first[:1] == second[:1] == b"\x03" and is_padded(first) and not is_legacy(first)
    assert first[1:] != second[1:]


def test_short_reads_from_the_source_still_give_full_chunks() -> None:
    # given a reader that never returns more than 1000 bytes at a time
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(min(1000, size if size is not None and size >= 0 else 1000))

    plaintext = os.urandom(2 * CHUNK_SIZE + 10)
    header = new_header()
    # when encrypted
    chunks = list(
        encrypt_stream(
            KEY, header, Trickle(plaintext), size=len(plaintext), case_id=CASE, attachment_id=ATTACHMENT, item_id=ITEM
        )
    )
    # then the layout is the same as from a reader returning everything at once
    assert [len(chunk) for chunk in chunks] == [len(chunk) for chunk in _seal(plaintext)[1]]
    assert _open(header, chunks) == plaintext


def test_decryption_yields_plaintext_incrementally() -> None:
    # given a ciphertext of ten chunks fed through a generator that counts what it hands out
    header, chunks = _seal(os.urandom(10 * CHUNK_SIZE))
    consumed = 0

    def feed() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in chunks:
            consumed += 1
            yield chunk

    plaintext = decrypt_stream(KEY, header, feed(), case_id=CASE, attachment_id=ATTACHMENT, item_id=ITEM)
    # when the first plaintext chunk is taken
    first = next(plaintext)
    # then it arrives after reading at most two ciphertext chunks (bounded memory)
    assert len(first) == CHUNK_SIZE - SIZE_BYTES
    assert consumed <= 2
    assert sum(len(part) for part in plaintext) == 9 * CHUNK_SIZE + SIZE_BYTES


def test_encryption_reads_incrementally() -> None:
    # given a large source, when the first ciphertext chunk is taken
    source = io.BytesIO(os.urandom(10 * CHUNK_SIZE))
    encrypted = encrypt_stream(
        KEY, new_header(), source, size=10 * CHUNK_SIZE, case_id=CASE, attachment_id=ATTACHMENT, item_id=ITEM
    )
    next(encrypted)
    # then no more than two chunks of plaintext have been read
    assert source.tell() <= 2 * CHUNK_SIZE
    encrypted.close()


# -- tampering -----------------------------------------------------------------


@pytest.fixture
def sealed() -> tuple[bytes, list[bytes]]:
    """Four chunks: three full ones and a short last one."""
    return _seal(os.urandom(3 * CHUNK_SIZE + 500))


def test_truncated_stream_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    # given the last chunk dropped, then the new last chunk lacks the last flag
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks[:-1])


def test_truncation_at_a_chunk_boundary_of_an_exact_multiple_fails() -> None:
    # given a file of exactly two full chunks with its second chunk dropped
    header, chunks = _seal(os.urandom(2 * CHUNK_SIZE))
    with pytest.raises(CryptoError):
        _open(header, chunks[:1])


def test_dropped_middle_chunk_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks[:1] + chunks[2:])


def test_reordered_chunks_fail(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, [chunks[1], chunks[0], *chunks[2:]])


def test_duplicated_chunk_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, [chunks[0], chunks[0], *chunks[1:]])


@pytest.mark.parametrize("extra", ["copy-of-last", "copy-of-first", "empty", "junk"])
def test_chunk_appended_after_the_last_fails(sealed: tuple[bytes, list[bytes]], extra: str) -> None:
    # given data after the chunk that carries the last flag
    header, chunks = sealed
    appended = {"copy-of-last": chunks[-1], "copy-of-first": chunks[0], "empty": b"", "junk": os.urandom(100)}[extra]
    with pytest.raises(CryptoError):
        _open(header, [*chunks, appended])


def test_chunk_appended_after_a_full_last_chunk_fails() -> None:
    # given a one-chunk file of exactly 64 KiB, extended by a second chunk
    header, chunks = _seal(os.urandom(CHUNK_SIZE))
    with pytest.raises(CryptoError):
        _open(header, [chunks[0], chunks[0]])


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_flipped_bit_in_any_chunk_fails(sealed: tuple[bytes, list[bytes]], position: int) -> None:
    header, chunks = sealed
    for index in (0, len(chunks[position]) // 2, len(chunks[position]) - 1):  # body start, middle, tag
        tampered = list(chunks)
        tampered[position] = _flip(chunks[position], index, bit=index % 8)
        with pytest.raises(CryptoError):
            _open(header, tampered)


def test_wrong_key_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks, key=OTHER_KEY)


def test_wrong_header_salt_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(_flip(header, 1), chunks)
    with pytest.raises(CryptoError):
        _open(new_header(), chunks)


def test_wrong_case_id_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks, case_id="case-2")


def test_wrong_attachment_id_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks, attachment_id="att-2")


def test_stream_moved_to_another_details_item_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    # given a stream bound to details item "item-1", when opened for item "item-2", then it fails
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks, item_id="item-2")


def _legacy_stream(plaintext: bytes) -> tuple[bytes, list[bytes]]:
    """A version 1 stream built by hand: associated data = version, case id, attachment id (no item id)."""
    header = b"\x01" + os.urandom(32)
    cipher = AESGCM(derive_key(KEY, label="attachment-stream", salt=header[1:]))
    aad = encode_fields(b"\x01", CASE.encode(), ATTACHMENT.encode())
    return header, [cipher.encrypt(bytes(11) + b"\x01", plaintext, aad)]


def test_version_1_stream_still_opens_with_its_weaker_binding() -> None:
    # given a stream written before it was bound to its details item
    header, chunks = _legacy_stream(b"bukti lama")
    # then it is recognised as legacy and opens under its case and attachment id (any item id)
    assert is_legacy(header)
    assert _open(header, chunks, item_id="whatever") == b"bukti lama"
    with pytest.raises(CryptoError):
        _open(header, chunks, attachment_id="att-2")


def _version_2_stream(plaintext: bytes) -> tuple[bytes, list[bytes]]:
    """A version 2 stream built by hand: the file itself in 64 KiB chunks, no padding (associated data with
    the item id)."""
    header = b"\x02" + os.urandom(32)
    cipher = AESGCM(derive_key(KEY, label="attachment-stream", salt=header[1:]))
    aad = encode_fields(b"\x02", CASE.encode(), ATTACHMENT.encode(), ITEM.encode())
    pieces = [plaintext[i : i + CHUNK_SIZE] for i in range(0, len(plaintext), CHUNK_SIZE)] or [b""]
    last = len(pieces) - 1
    return header, [
        cipher.encrypt(n.to_bytes(11, "big") + (b"\x01" if n == last else b"\x00"), piece, aad)
        for n, piece in enumerate(pieces)
    ]


@pytest.mark.parametrize("size", [0, 10, CHUNK_SIZE, 2 * CHUNK_SIZE + 1])
def test_unpadded_version_2_stream_still_opens(size: int) -> None:
    # given a stream written before padding (its stored length is the exact size)
    plaintext = os.urandom(size)
    header, chunks = _version_2_stream(plaintext)
    assert not is_padded(header) and not is_legacy(header)
    assert sum(map(len, chunks)) == size + TAG_BYTES * max(1, math.ceil(size / CHUNK_SIZE))
    # then it opens to the file, bound as before
    assert _open(header, chunks) == plaintext
    with pytest.raises(CryptoError):
        _open(header, chunks, item_id="item-2")


@pytest.mark.parametrize("version", [b"\x01", b"\x02"])
def test_padded_stream_relabelled_as_an_older_version_fails(sealed: tuple[bytes, list[bytes]], version: bytes) -> None:
    # given a version 3 stream whose header a database writer set to version 1 or 2 (to have the padding
    # delivered as file content), then it fails: the version is in the associated data
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(version + header[1:], chunks)


def test_unpadded_stream_relabelled_as_padded_fails() -> None:
    header, chunks = _version_2_stream(os.urandom(1000))
    with pytest.raises(CryptoError):
        _open(b"\x03" + header[1:], chunks)


@pytest.mark.parametrize("version", [b"\x01", b"\x02"])
def test_nothing_is_encrypted_unpadded(version: bytes) -> None:
    with pytest.raises(CryptoError):
        list(
            encrypt_stream(
                KEY,
                version + bytes(32),
                io.BytesIO(b"x"),
                size=1,
                case_id=CASE,
                attachment_id=ATTACHMENT,
                item_id=ITEM,
            )
        )


@pytest.mark.parametrize("actual", [999, 1001, 0])
def test_a_reader_that_disagrees_with_the_size_stores_nothing(actual: int) -> None:
    # given a reader holding more or fewer bytes than the size the caller gives, then encryption refuses
    with pytest.raises(ValueError):
        list(
            encrypt_stream(
                KEY,
                new_header(),
                io.BytesIO(bytes(actual)),
                size=1000,
                case_id=CASE,
                attachment_id=ATTACHMENT,
                item_id=ITEM,
            )
        )


def _padded_by_hand(stream: bytes) -> tuple[bytes, list[bytes]]:
    """A version 3 stream of any inner content, correctly encrypted (what only a faulty writer makes)."""
    header = new_header()
    cipher = AESGCM(derive_key(KEY, label="attachment-stream", salt=header[1:]))
    aad = encode_fields(b"\x03", CASE.encode(), ATTACHMENT.encode(), ITEM.encode())
    pieces = [stream[i : i + CHUNK_SIZE] for i in range(0, len(stream), CHUNK_SIZE)] or [b""]
    last = len(pieces) - 1
    return header, [
        cipher.encrypt(n.to_bytes(11, "big") + (b"\x01" if n == last else b"\x00"), piece, aad)
        for n, piece in enumerate(pieces)
    ]


def _stream_of(size: int, *, declared: int | None = None, total: int | None = None, filler: int = 0) -> bytes:
    body = (size if declared is None else declared).to_bytes(SIZE_BYTES, "big") + os.urandom(size)
    length = padded_length(size) if total is None else total
    return body + bytes([filler]) * (length - len(body))


def test_a_well_formed_padded_stream_built_by_hand_opens() -> None:
    stream = _stream_of(100_000)
    assert _open(*_padded_by_hand(stream)) == stream[SIZE_BYTES : SIZE_BYTES + 100_000]


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param(_stream_of(100_000, filler=1), id="padding-not-zero"),
        pytest.param(_stream_of(100_000, declared=99_000), id="size-smaller-than-content-allows"),
        pytest.param(_stream_of(100_000, declared=120_000), id="size-beyond-the-stream"),
        pytest.param(_stream_of(100_000, total=padded_length(100_000) + 4096), id="longer-than-its-bucket"),
        pytest.param(_stream_of(100_000, total=100_000 + SIZE_BYTES), id="not-padded"),
        pytest.param(b"\x00" * 7, id="shorter-than-the-size-field"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_malformed_padded_stream_fails(stream: bytes) -> None:
    with pytest.raises(CryptoError):
        _open(*_padded_by_hand(stream))


def test_chunk_moved_between_attachments_fails() -> None:
    # given two attachments of the same case under the same key and header
    header = new_header()
    _, first = _seal(os.urandom(2 * CHUNK_SIZE + 1), header=header, attachment_id="att-1")
    _, second = _seal(os.urandom(2 * CHUNK_SIZE + 1), header=header, attachment_id="att-2")
    # when a chunk of the second is spliced into the first at the same position
    spliced = [first[0], second[1], first[2]]
    # then the first no longer opens
    with pytest.raises(CryptoError):
        _open(header, spliced, attachment_id="att-1")


def test_empty_chunk_list_fails() -> None:
    with pytest.raises(CryptoError):
        _open(new_header(), [])


def test_oversize_chunk_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, [chunks[0] + b"\x00", *chunks[1:]])
    with pytest.raises(CryptoError):
        _open(header, [bytes(CHUNK_SIZE + TAG_BYTES + 1)])


def test_chunk_shorter_than_a_tag_fails() -> None:
    with pytest.raises(CryptoError):
        _open(new_header(), [b"\x00" * (TAG_BYTES - 1)])


@pytest.mark.parametrize(
    "header",
    [b"", b"\x03", b"\x03" + bytes(31), b"\x03" + bytes(33), b"\x04" + bytes(32), b"\x00" + bytes(32)],
    ids=["empty", "version-only", "short-salt", "long-salt", "version-4", "version-0"],
)
def test_malformed_header_fails(header: bytes) -> None:
    _, chunks = _seal(b"laporan")
    with pytest.raises(CryptoError):
        _open(header, chunks)


def test_wrong_key_length_fails(sealed: tuple[bytes, list[bytes]]) -> None:
    header, chunks = sealed
    with pytest.raises(CryptoError):
        _open(header, chunks, key=KEY[:16])
