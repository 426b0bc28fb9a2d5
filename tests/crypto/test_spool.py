"""EncryptedSpool: uploads round-trip, stay in memory when small, and reach the disk only encrypted."""

import io
import os
import random
import tempfile
from collections.abc import Iterator
from typing import IO

import pytest

import crypto.spool
from crypto.spool import BLOCK, EncryptedSpool

CANARY = b"KANARI-SPOOL"
LIMIT = 10 * 1024 * 1024


@pytest.fixture
def spool() -> Iterator[EncryptedSpool]:
    spool = EncryptedSpool(limit=LIMIT)
    yield spool
    spool.close()


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[IO[bytes]]]:
    """Every temporary file the spool creates, kept so the test can read the raw bytes."""
    files: list[IO[bytes]] = []
    real_temporary_file = tempfile.TemporaryFile

    def temporary_file() -> IO[bytes]:
        files.append(real_temporary_file())  # noqa: SIM115 - closed below
        return files[-1]

    monkeypatch.setattr(crypto.spool.tempfile, "TemporaryFile", temporary_file)
    yield files
    for file in files:
        file.close()


def _write_in_pieces(spool: EncryptedSpool, data: bytes, rng: random.Random) -> None:
    position = 0
    while position < len(data):
        step = rng.randint(1, 9000)
        assert spool.write(data[position : position + step]) == len(data[position : position + step])
        position += step


def _read_in_pieces(spool: EncryptedSpool, rng: random.Random) -> bytes:
    parts = []
    while part := spool.read(rng.randint(1, 100_000)):
        parts.append(part)
    return b"".join(parts)


@pytest.mark.parametrize("size", [0, 100, 65536, 65537, 1_000_000])
def test_spool_round_trip(spool: EncryptedSpool, size: int) -> None:
    # given random data written in pieces of random size
    rng = random.Random(size)
    data = rng.randbytes(size)
    _write_in_pieces(spool, data, rng)
    # when rewound and read back in pieces of random size
    assert spool.seek(0) == 0
    # then the same bytes come back, and the size is what was written
    assert _read_in_pieces(spool, rng) == data
    assert spool.size == size
    assert not spool.too_large


@pytest.mark.parametrize("size", [65537, 3 * BLOCK, 3 * BLOCK + 1])
def test_spool_round_trip_with_one_write(spool: EncryptedSpool, size: int) -> None:
    data = os.urandom(size)
    spool.write(data)
    spool.seek(0)
    assert spool.read() == data


def test_spool_reads_everything_with_read_all(spool: EncryptedSpool) -> None:
    data = os.urandom(200_000)
    _write_in_pieces(spool, data, random.Random(1))
    spool.seek(0)
    assert spool.read(-1) == data
    assert spool.read(10) == b""


def test_spool_can_be_rewound_twice(spool: EncryptedSpool) -> None:
    # given a spool read once to the end
    data = os.urandom(150_000)
    spool.write(data)
    spool.seek(0)
    spool.read()
    # when rewound again, then it reads the same bytes again
    spool.seek(0)
    assert spool.read() == data


def test_spool_supports_readinto(spool: EncryptedSpool) -> None:
    spool.write(b"laporan dana desa")
    spool.seek(0)
    buffer = bytearray(7)
    assert spool.readinto(buffer) == 7
    assert bytes(buffer) == b"laporan"


@pytest.mark.parametrize("size", [0, 1, 100, 65535, 65536])
def test_small_upload_never_creates_a_file(spool: EncryptedSpool, size: int, captured: list[IO[bytes]]) -> None:
    # given an upload of at most one block, written in pieces
    _write_in_pieces(spool, os.urandom(size), random.Random(size))
    # when rewound and read
    spool.seek(0)
    spool.read()
    # then no temporary file was ever created
    assert spool._file is None
    assert captured == []


def test_upload_one_byte_over_a_block_creates_a_file(spool: EncryptedSpool, captured: list[IO[bytes]]) -> None:
    spool.write(os.urandom(BLOCK))
    spool.write(b"x")
    assert spool._file is not None
    assert len(captured) == 1


def test_disk_holds_only_ciphertext(spool: EncryptedSpool, captured: list[IO[bytes]]) -> None:
    # given a 300 KB upload made of a repeated canary
    data = (CANARY * (300_000 // len(CANARY) + 1))[:300_000]
    _write_in_pieces(spool, data, random.Random(7))
    spool.seek(0)
    assert spool.read() == data
    # when the temporary file's raw bytes are read
    assert len(captured) == 1
    raw_file = captured[0]
    raw_file.seek(0)
    raw = raw_file.read()
    # then they hold the whole upload (blocks plus tags), but never the plaintext
    assert len(raw) == 300_000 + 5 * 16
    assert CANARY not in raw
    assert b"KANARI" not in raw


def test_two_spools_use_different_keys(captured: list[IO[bytes]]) -> None:
    # given the same data spooled twice
    data = b"\x00" * (2 * BLOCK)
    first, second = EncryptedSpool(limit=LIMIT), EncryptedSpool(limit=LIMIT)
    try:
        for spool in (first, second):
            spool.write(data)
            spool.seek(0)
        raws = []
        for file in captured:
            file.seek(0)
            raws.append(file.read())
        # then the ciphertexts on disk differ (a fresh random key per spool)
        assert len(raws) == 2
        assert raws[0] != raws[1]
    finally:
        first.close()
        second.close()


def test_exceeding_the_limit_keeps_accepting_but_stores_nothing(captured: list[IO[bytes]]) -> None:
    # given a spool with a 200 000-byte limit holding 150 000 bytes
    spool = EncryptedSpool(limit=200_000)
    try:
        spool.write(os.urandom(150_000))
        stored_blocks = spool._blocks
        # when a write would cross the limit
        assert spool.write(os.urandom(60_000)) == 60_000
        # then the spool says so, and keeps accepting (so the form is still parsed)
        assert spool.too_large
        assert spool.write(os.urandom(1000)) == 1000
        assert spool.write(b"x") == 1
        # and stores nothing further: no new blocks, nothing pending, size unchanged
        assert spool.too_large
        assert spool._blocks == stored_blocks
        assert len(spool._pending) == 0
        assert spool.size == 150_000
        captured[0].seek(0, os.SEEK_END)
        assert captured[0].tell() == stored_blocks * (BLOCK + 16)
    finally:
        spool.close()


def test_exactly_the_limit_is_accepted() -> None:
    spool = EncryptedSpool(limit=1000)
    try:
        spool.write(b"a" * 600)
        spool.write(b"b" * 400)
        assert not spool.too_large
        spool.seek(0)
        assert spool.read() == b"a" * 600 + b"b" * 400
    finally:
        spool.close()


def test_small_upload_over_the_limit_is_too_large() -> None:
    spool = EncryptedSpool(limit=10)
    try:
        assert spool.write(b"x" * 11) == 11
        assert spool.too_large
        assert spool.size == 0
    finally:
        spool.close()


def test_reading_before_rewinding_is_refused(spool: EncryptedSpool) -> None:
    spool.write(b"laporan")
    assert not spool.readable()
    with pytest.raises(io.UnsupportedOperation):
        spool.read(3)


def test_writing_after_rewinding_is_refused(spool: EncryptedSpool) -> None:
    spool.write(b"laporan")
    spool.seek(0)
    assert spool.readable()
    assert not spool.writable()
    with pytest.raises(io.UnsupportedOperation):
        spool.write(b"lagi")


@pytest.mark.parametrize(
    ("offset", "whence"), [(1, os.SEEK_SET), (0, os.SEEK_END), (0, os.SEEK_CUR), (-1, os.SEEK_END)]
)
def test_seeking_anywhere_but_the_start_is_refused(spool: EncryptedSpool, offset: int, whence: int) -> None:
    spool.write(b"laporan")
    with pytest.raises(io.UnsupportedOperation):
        spool.seek(offset, whence)


def test_close_closes_the_temporary_file(captured: list[IO[bytes]]) -> None:
    # given a spool that spilled to a temporary file
    spool = EncryptedSpool(limit=LIMIT)
    spool.write(os.urandom(3 * BLOCK))
    assert len(captured) == 1
    # when closed
    spool.close()
    # then the file is closed too, and the spool with it
    assert captured[0].closed
    assert spool._file is None
    assert spool.closed
