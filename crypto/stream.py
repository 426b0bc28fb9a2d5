"""Streaming encryption of attachments (age's STREAM construction), padded.

    header = version (0x03) || salt (32)
    key    = HKDF-SHA256(case key, salt, label "attachment-stream")
    stream = file size (8 bytes, big-endian) || file || zeros, padmé_length(8 + size) bytes in all
    chunk  = AES-256-GCM(key, nonce = counter (11 bytes, big-endian) || last flag (1 byte),
                         plaintext <= 64 KiB of the stream,
                         associated data = encode_fields(version, case id, attachment id, item id))

Every chunk but the last holds exactly 64 KiB of the stream; the last one holds
1..64 KiB and carries the flag. The padding (crypto/padding.py, as for items)
makes the number and the lengths of the chunks a function of the file size's
Padmé bucket alone: files of 1,044,189 and 1,044,190 bytes store the same 16
chunks of 64 KiB + 16. The exact size is only inside: here in the first chunk,
and in the file's details item. Opening checks that the size is the one the
padded length allows and that the padding is all zeros.

Reordered chunks fail (the counter is in the nonce), a truncated stream fails
(the last flag is missing), an extended one fails (data after the last flag),
and a chunk moved to another attachment fails (ids in the associated data).
The item id is that of the item holding the file's details (its name, type,
size), which binds the attachment id in turn (envelope.py): a stream moved to
another details item, or a details item pointed at another stream, fails.
Neither direction ever holds more than two chunks in memory.

Version 2 headers (0x02) are the same construction without the padding (the
stream is the file itself; the last chunk may be empty only when the file is).
Version 1 headers (0x01) are unpadded too, and bound only the case id and the
attachment id. Both are still opened until `flask --app wsgi:review items
upgrade` re-encrypts them as version 3; nothing writes them any more.
"""

import os
from collections.abc import Iterable, Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .derive import KEY_BYTES, derive_key, encode_fields
from .errors import CryptoError
from .padding import padme_length

VERSION = b"\x03"
UNPADDED_VERSION = b"\x02"
LEGACY_VERSION = b"\x01"
CHUNK_SIZE = 64 * 1024
TAG_BYTES = 16
HEADER_BYTES = 1 + 32
SIZE_BYTES = 8
_MAX_CHUNKS = 2**40  # far beyond any file we accept; keeps the counter inside 11 bytes


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _cipher(key: bytes, header: bytes, *, versions: tuple[bytes, ...] = (VERSION,)) -> AESGCM:
    if len(key) != KEY_BYTES or len(header) != HEADER_BYTES or header[:1] not in versions:
        raise CryptoError()
    return AESGCM(derive_key(key, label="attachment-stream", salt=header[1:]))


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= _MAX_CHUNKS:
        raise CryptoError()
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _aad(header: bytes, case_id: str, attachment_id: str, item_id: str) -> bytes:
    if header[:1] == LEGACY_VERSION:
        return encode_fields(LEGACY_VERSION, case_id.encode(), attachment_id.encode())
    return encode_fields(header[:1], case_id.encode(), attachment_id.encode(), item_id.encode())


def padded_length(size: int) -> int:
    """The length of the padded stream of a file of `size` bytes (what version 3 stores, less the tags)."""
    return padme_length(SIZE_BYTES + size)


def stored_length(size: int) -> int:
    """The ciphertext a version 3 stream of a file of `size` bytes takes: padded stream plus one tag per chunk."""
    padded = padded_length(size)
    return padded + TAG_BYTES * -(-padded // CHUNK_SIZE)


class _Padded:
    """The version 3 stream of the `size` bytes `reader` holds: size, file, zeros. The reader must
    hold exactly `size` bytes (ValueError otherwise: the caller's size is wrong, nothing is stored)."""

    def __init__(self, reader: Readable, size: int) -> None:
        if not 0 <= size < 2 ** (8 * SIZE_BYTES):
            raise ValueError("file size out of range")
        self._reader = reader
        self._prefix = size.to_bytes(SIZE_BYTES, "big")
        self._file_left, self._zeros_left = size, padded_length(size) - SIZE_BYTES - size
        self._end_checked = False

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            raise ValueError("the padded stream is read in chunks")
        parts = [self._prefix[:size]]
        self._prefix = self._prefix[size:]
        size -= len(parts[0])
        if self._file_left and size:
            want = min(size, self._file_left)
            part = _read_full(self._reader, want)
            if len(part) < want:
                raise ValueError("the file is shorter than its size")
            parts.append(part)
            self._file_left -= want
            size -= want
        if not self._file_left and not self._end_checked:
            if self._reader.read(1):
                raise ValueError("the file is longer than its size")
            self._end_checked = True
        if self._zeros_left and size:
            count = min(size, self._zeros_left)
            parts.append(bytes(count))
            self._zeros_left -= count
        return b"".join(parts)


def _unpadded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The file inside a version 3 stream, chunk by chunk; CryptoError unless the size field is one
    the padded length allows and every padding byte is zero."""
    data = next(chunks, b"")
    if len(data) < SIZE_BYTES:  # the first chunk holds min(64 KiB, padded length) >= 8 bytes
        raise CryptoError()
    size = int.from_bytes(data[:SIZE_BYTES], "big")
    expected, total, left = padded_length(size), len(data), size
    data = data[SIZE_BYTES:]
    while True:
        body, padding = data[:left], data[left:]
        left -= len(body)
        if padding.count(0) != len(padding):
            raise CryptoError()
        if body:
            yield body
        following = next(chunks, None)
        if following is None:
            break
        data, total = following, total + len(following)
        if total > expected:
            raise CryptoError()
    if left or total != expected:
        raise CryptoError()


def _read_full(reader: Readable, size: int) -> bytes:
    """Read exactly `size` bytes unless the stream ends first."""
    parts, remaining = [], size
    while remaining:
        part = reader.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def new_header() -> bytes:
    return VERSION + os.urandom(32)


def is_legacy(header: bytes) -> bool:
    """True for a version 1 stream, not yet bound to its details item."""
    return header[:1] == LEGACY_VERSION


def is_padded(header: bytes) -> bool:
    """True for a version 3 stream, whose stored length tells only the Padmé bucket of the file size."""
    return header[:1] == VERSION


def encrypt_stream(
    key: bytes, header: bytes, reader: Readable, *, size: int, case_id: str, attachment_id: str, item_id: str
) -> Iterator[bytes]:
    """Yield the encrypted chunks of the padded stream of the `size` bytes `reader` holds (version 3
    headers only). ValueError if `reader` holds more or fewer bytes than `size`."""
    cipher, aad = _cipher(key, header), _aad(header, case_id, attachment_id, item_id)
    reader = _Padded(reader, size)
    counter = 0
    current = _read_full(reader, CHUNK_SIZE)
    while True:
        following = _read_full(reader, CHUNK_SIZE) if len(current) == CHUNK_SIZE else b""
        last = not following
        yield cipher.encrypt(_nonce(counter, last), current, aad)
        if last:
            return
        counter, current = counter + 1, following


def decrypt_stream(
    key: bytes, header: bytes, chunks: Iterable[bytes], *, case_id: str, attachment_id: str, item_id: str
) -> Iterator[bytes]:
    """Yield plaintext chunk by chunk; raise CryptoError at the first sign of tampering.

    A consumer that acts on plaintext before the end must be ready for the
    error to arrive after earlier chunks (a download is then cut short).
    """
    cipher = _cipher(key, header, versions=(VERSION, UNPADDED_VERSION, LEGACY_VERSION))
    aad = _aad(header, case_id, attachment_id, item_id)
    plaintext = _decrypt_chunks(cipher, aad, iter(chunks))
    yield from _unpadded(plaintext) if is_padded(header) else plaintext


def _decrypt_chunks(cipher: AESGCM, aad: bytes, iterator: Iterator[bytes]) -> Iterator[bytes]:
    current = next(iterator, None)
    if current is None:
        raise CryptoError()
    counter = 0
    while current is not None:
        following = next(iterator, None)
        last = following is None
        full = CHUNK_SIZE + TAG_BYTES
        if len(current) > full or (not last and len(current) != full):
            raise CryptoError()
        try:
            plaintext = cipher.decrypt(_nonce(counter, last), current, aad)
        except InvalidTag:
            raise CryptoError() from None
        if last and not plaintext and counter:
            raise CryptoError()  # an empty last chunk only for an empty file
        yield plaintext
        counter, current = counter + 1, following
