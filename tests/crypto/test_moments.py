"""crypto.moments: exact times sealed to a row, readable only with the key, never moved to another row."""

from datetime import UTC, datetime, timedelta

import pytest

from crypto.errors import CryptoError
from crypto.moments import moment_key, open_moments, seal_moments

SECRET = b"the audit key, kept outside the database"
EXACT = datetime(2026, 12, 3, 18, 39, 35, 250001)


def test_moments_round_trip_with_none_and_microseconds() -> None:
    key = moment_key(SECRET, purpose="reviewer-session")
    moments = (EXACT, EXACT + timedelta(minutes=29, microseconds=7), None)
    assert open_moments(key, seal_moments(key, moments, context=b"row 1"), context=b"row 1") == moments


def test_an_aware_time_is_kept_as_naive_utc() -> None:
    key = moment_key(SECRET, purpose="audit")
    sealed = seal_moments(key, [EXACT.replace(tzinfo=UTC)], context=b"e")
    assert open_moments(key, sealed, context=b"e") == (EXACT,)


def test_the_sealed_value_shows_neither_the_time_nor_equality() -> None:
    key = moment_key(SECRET, purpose="audit")
    first, second = (seal_moments(key, [EXACT], context=b"e") for _ in range(2))
    assert first != second  # a random nonce: two equal times do not look equal
    micros = (EXACT - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    assert micros.to_bytes(8, "big") not in first and EXACT.isoformat().encode() not in first


@pytest.mark.parametrize(
    "change",
    [
        lambda key, sealed: (key, sealed, b"row 2"),  # moved to another row
        lambda key, sealed: (moment_key(SECRET, purpose="login-lock"), sealed, b"row 1"),  # another purpose
        lambda key, sealed: (moment_key(b"a guess", purpose="audit"), sealed, b"row 1"),  # another key
        lambda key, sealed: (key, sealed[:-1] + bytes([sealed[-1] ^ 1]), b"row 1"),  # a flipped bit
        lambda key, sealed: (key, sealed[:20], b"row 1"),  # cut short
    ],
)
def test_anything_changed_fails_to_open(change: object) -> None:
    key = moment_key(SECRET, purpose="audit")
    sealed = seal_moments(key, [EXACT], context=b"row 1")
    other_key, other_sealed, context = change(key, sealed)  # type: ignore[operator]
    with pytest.raises(CryptoError):
        open_moments(other_key, other_sealed, context=context)


def test_between_one_and_255_moments() -> None:
    key = moment_key(SECRET, purpose="audit")
    with pytest.raises(ValueError):
        seal_moments(key, [], context=b"e")
    assert len(open_moments(key, seal_moments(key, [None] * 255, context=b"e"), context=b"e")) == 255
