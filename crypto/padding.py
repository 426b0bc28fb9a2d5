"""Padmé padding, so ciphertext lengths leak little about the plaintext.

Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
Communication with PURBs", 2019) rounds a length L up so that at most
O(log log L) bits of L remain visible, with at most ~12 % overhead.

Format: a 4-byte big-endian plaintext length, the plaintext, then zeros up to
the Padmé length of (4 + len(plaintext)). Parsing is strict: the padding must be
all zeros and the total length must be exactly the Padmé length.
"""

from .errors import CryptoError

_LENGTH_PREFIX = 4
MAX_PLAINTEXT = 2**32 - 1


def padme_length(length: int) -> int:
    """Smallest Padmé length >= length."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    significant = exponent.bit_length()
    low_bits = exponent - significant
    mask = (1 << low_bits) - 1
    return (length + mask) & ~mask


def pad(plaintext: bytes) -> bytes:
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("plaintext too long to pad")
    body = len(plaintext).to_bytes(_LENGTH_PREFIX, "big") + plaintext
    return body + bytes(padme_length(len(body)) - len(body))


def unpad(padded: bytes) -> bytes:
    if len(padded) < _LENGTH_PREFIX:
        raise CryptoError()
    length = int.from_bytes(padded[:_LENGTH_PREFIX], "big")
    end = _LENGTH_PREFIX + length
    if end > len(padded) or padme_length(end) != len(padded):
        raise CryptoError()
    if any(padded[end:]):
        raise CryptoError()
    return padded[_LENGTH_PREFIX:end]
