"""An encrypted temporary file for uploads in flight.

Werkzeug spools uploads larger than 500 KB to a temporary file in plaintext.
`EncryptedSpool` replaces that file: data is encrypted in 64 KiB blocks with
AES-256-GCM under a random key that exists only in this object, so the bytes
that reach the disk are useless once the request ends (the file is unlinked at
creation and the key dies with the process memory). Small uploads never touch
the disk: the first block stays in memory.

It also enforces a size limit while the data streams in: past the limit it
keeps accepting (so the rest of the form is still parsed) but discards, and
reports `too_large`.
"""

import io
import os
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import CryptoError

BLOCK = 64 * 1024
_TAG = 16


class EncryptedSpool(io.RawIOBase):
    def __init__(self, *, limit: int) -> None:
        super().__init__()
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._limit = limit
        self._pending = bytearray()
        self._file: io.BufferedRandom | None = None
        self._blocks = 0
        self.size = 0
        self.too_large = False
        self._reading = False
        self._read_block = 0
        self._read_buffer = b""

    # -- writing -------------------------------------------------------------
    def writable(self) -> bool:
        return not self._reading

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._reading:
            raise io.UnsupportedOperation("spool is being read")
        length = len(data)
        if self.too_large or self.size + length > self._limit:
            self.too_large = True
            self._pending.clear()
            return length
        self.size += length
        self._pending += data
        while len(self._pending) >= BLOCK and self._pending_spills():
            self._spill(bytes(self._pending[:BLOCK]))
            del self._pending[:BLOCK]
        return length

    def _pending_spills(self) -> bool:
        # Keep exactly one block in memory until a second one arrives, so a
        # small upload never creates a file at all.
        return len(self._pending) > BLOCK or self._file is not None

    def _spill(self, block: bytes) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        nonce = self._blocks.to_bytes(12, "big")
        self._file.write(self._aead.encrypt(nonce, block, None))
        self._blocks += 1

    # -- reading -------------------------------------------------------------
    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if offset != 0 or whence != os.SEEK_SET:
            raise io.UnsupportedOperation("only rewinding is supported")
        if not self._reading and self._file is not None and self._pending:
            self._spill(bytes(self._pending))
            self._pending.clear()
        self._reading = True
        self._read_block, self._read_buffer = 0, b""
        if self._file is not None:
            self._file.seek(0)
        return 0

    def readable(self) -> bool:
        return self._reading

    def _next_block(self) -> bytes:
        if self._file is None:
            if self._read_block == 0:
                self._read_block = 1
                return bytes(self._pending)
            return b""
        if self._read_block >= self._blocks:
            return b""
        sealed = self._file.read(BLOCK + _TAG)
        nonce = self._read_block.to_bytes(12, "big")
        self._read_block += 1
        try:
            return self._aead.decrypt(nonce, sealed, None)
        except InvalidTag:  # the file was changed on disk while the request ran
            raise CryptoError() from None

    def read(self, size: int | None = -1) -> bytes:
        if not self._reading:
            raise io.UnsupportedOperation("rewind before reading")
        want = self.size if size is None or size < 0 else size
        while len(self._read_buffer) < want:
            block = self._next_block()
            if not block:
                break
            self._read_buffer += block
        result, self._read_buffer = self._read_buffer[:want], self._read_buffer[want:]
        return result

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._pending.clear()
        super().close()
