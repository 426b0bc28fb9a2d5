"""Streaming encryption of attachments (age's STREAM construction).

    header = version (0x02) || salt (32)
    key    = HKDF-SHA256(case key, salt, label "attachment-stream")
    chunk  = AES-256-GCM(key, nonce = counter (11 bytes, big-endian) || last flag (1 byte),
                         plaintext <= 64 KiB,
                         associated data = encode_fields(version, case id, attachment id, item id))

Every chunk but the last holds exactly 64 KiB of plaintext; the last one holds
0..64 KiB and carries the flag, and may be empty only when the whole file is.
Reordered chunks fail (the counter is in the nonce), a truncated stream fails
(the last flag is missing), an extended one fails (data after the last flag),
and a chunk moved to another attachment fails (ids in the associated data).
The item id is that of the item holding the file's details (its name, type,
size), which binds the attachment id in turn (envelope.py): a stream moved to
another details item, or a details item pointed at another stream, fails.
Neither direction ever holds more than two chunks in memory.

Version 1 headers (0x01) bound only the case id and the attachment id. They are
still opened with that binding until `flask --app wsgi:review items upgrade`
re-encrypts them; nothing writes version 1 any more.
"""

import os
from collections.abc import Iterable, Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .derive import KEY_BYTES, derive_key, encode_fields
from .errors import CryptoError

VERSION = b"\x02"
LEGACY_VERSION = b"\x01"
CHUNK_SIZE = 64 * 1024
TAG_BYTES = 16
HEADER_BYTES = 1 + 32
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
    return encode_fields(VERSION, case_id.encode(), attachment_id.encode(), item_id.encode())


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


def encrypt_stream(
    key: bytes, header: bytes, reader: Readable, *, case_id: str, attachment_id: str, item_id: str
) -> Iterator[bytes]:
    """Yield the encrypted chunks of everything `reader` holds (version 2 headers only)."""
    cipher, aad = _cipher(key, header), _aad(header, case_id, attachment_id, item_id)
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
    cipher = _cipher(key, header, versions=(VERSION, LEGACY_VERSION))
    aad = _aad(header, case_id, attachment_id, item_id)
    iterator = iter(chunks)
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
