"""Exact times under a key: what a copy of the database shows of a team action is its hour.

A team action's exact time is needed by a few functions (the admins' audit view, a
session's idle and absolute expiry, a login lock of 30 seconds), but a plaintext exact
time next to a reporter's row would date the reporter (DESIGN.md §3, the time rule). So
those times are sealed: a tuple of moments (naive UTC datetimes, or None), each encoded as
microseconds since 1970, sealed with `crypto.derive.wrap` (AES-256-GCM, random nonce)
under a key derived with HKDF from a secret kept outside the database, and bound to a
context naming the row it belongs to, so a sealed time copied to another row fails to open.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from .derive import derive_key, unwrap, wrap
from .errors import CryptoError

_LABEL = "moments"
_EPOCH = datetime(1970, 1, 1)
_ABSENT = b"\x00"
_PRESENT = b"\x01"


def moment_key(secret: bytes, *, purpose: str) -> bytes:
    """The sealing key for one purpose (`audit`, `reviewer-session`, ...), derived from `secret`."""
    return derive_key(secret, label=f"moments/{purpose}")


def _encode(moment: datetime | None) -> bytes:
    if moment is None:
        return _ABSENT + bytes(8)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return _PRESENT + micros.to_bytes(8, "big", signed=True)


def _decode(field: bytes) -> datetime | None:
    if field[:1] == _ABSENT:
        return None
    if field[:1] != _PRESENT:
        raise CryptoError()
    return _EPOCH + timedelta(microseconds=int.from_bytes(field[1:], "big", signed=True))


def seal_moments(key: bytes, moments: Sequence[datetime | None], *, context: bytes) -> bytes:
    """Seal `moments` (in order; None stays None) for the row named by `context`."""
    if not 0 < len(moments) < 256:
        raise ValueError("one to 255 moments")
    payload = bytes([len(moments)]) + b"".join(_encode(moment) for moment in moments)
    return wrap(key, payload, label=_LABEL, context=context)


def open_moments(key: bytes, sealed: bytes, *, context: bytes) -> tuple[datetime | None, ...]:
    """The moments `seal_moments` sealed for `context`; CryptoError when anything differs."""
    payload = unwrap(key, sealed, label=_LABEL, context=context)
    count = payload[0] if payload else 0
    if count == 0 or len(payload) != 1 + 9 * count:
        raise CryptoError()
    try:
        return tuple(_decode(payload[1 + 9 * i : 10 + 9 * i]) for i in range(count))
    except OverflowError:
        raise CryptoError() from None
