"""Reporter receipts: the only thing a reporter keeps, never stored by us.

A receipt is 80 random bits written as 16 Crockford base32 characters in four
groups, `XXXX-XXXX-XXXX-XXXX`. Input is forgiving: case, dashes and spaces do
not matter, O reads as 0 and I/L as 1 (Crockford's rules).

The server keeps only `lookup_hash(receipt)`: HMAC-SHA256 keyed with a server
secret, so a stolen database cannot be searched with guessed receipts without
that secret too. The reporter's key pair is derived from the receipt and a
random per-case salt, so only the receipt opens what the team seals to the
reporter.
"""

import hashlib
import hmac
import os
import secrets

from .keys import KeyPair, keypair_from_secret

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_BITS = 80
RECEIPT_CHARS = 16
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\n\r")
# Anything longer than this is not a receipt; refuse before doing any work.
MAX_INPUT_CHARS = 64


def new_receipt() -> str:
    value = secrets.randbits(RECEIPT_BITS)
    chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(RECEIPT_CHARS)))
    return "-".join(chars[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))


def normalise(text: str) -> str | None:
    """Canonical `XXXX-XXXX-XXXX-XXXX`, or None when the text cannot be a receipt."""
    if len(text) > MAX_INPUT_CHARS or not text.isascii():
        return None
    compact = text.upper().translate(_IGNORED).translate(_CONFUSABLE)
    if len(compact) != RECEIPT_CHARS or any(c not in ALPHABET for c in compact):
        return None
    return "-".join(compact[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))


def lookup_hash(receipt: str, *, server_key: bytes) -> bytes:
    """Keyed hash used to find a case by receipt. `receipt` must be normalised."""
    message = b"kanal-integritas/v1/receipt-lookup\x00" + receipt.encode("ascii")
    return hmac.new(server_key, message, hashlib.sha256).digest()


def new_reporter_salt() -> bytes:
    return os.urandom(32)


def reporter_keypair(receipt: str, *, salt: bytes) -> KeyPair:
    return keypair_from_secret(receipt.encode("ascii"), label="reporter-key", salt=salt)
