"""Padmé padding: known lengths, the overhead bound, round trips and strict parsing."""

import pytest

from crypto import padding
from crypto.errors import CryptoError
from crypto.padding import pad, padme_length, unpad


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (8, 8), (9, 10), (100, 104), (256, 256), (1000, 1024), (1024, 1024), (1025, 1088)],
)
def test_padme_length_known_values(length: int, expected: int) -> None:
    # given a length, when it is rounded, then it matches the Padmé table
    assert padme_length(length) == expected


def test_padme_length_never_shrinks_and_is_idempotent() -> None:
    # given every length up to 20,000
    for length in range(20_000):
        # when it is rounded
        rounded = padme_length(length)
        # then it is not shorter and rounding again changes nothing
        assert rounded >= length
        assert padme_length(rounded) == rounded


def test_padme_length_is_monotonic() -> None:
    # given consecutive lengths, when both are rounded
    rounded = [padme_length(length) for length in range(20_000)]
    # then a longer input never gets a shorter padded length
    assert rounded == sorted(rounded)


def test_padme_length_leaks_only_log_log_bits() -> None:
    # given lengths >= 2, whose exponent E = floor(log2 L)
    for length in list(range(2, 5_000)) + [10**6 + 1, 2**31 + 12345]:
        rounded = padme_length(length)
        exponent = length.bit_length() - 1
        # when counting the significant bits of the padded length
        trailing_zeros = (rounded & -rounded).bit_length() - 1
        significant = rounded.bit_length() - trailing_zeros
        # then only the leading bit and floor(log2 E) + 1 more bits remain visible
        assert significant <= exponent.bit_length() + 1


@pytest.mark.parametrize("start", [256, 4_096, 65_536, 10**6, 2**31])
def test_padme_overhead_is_at_most_twelve_percent(start: int) -> None:
    # given a run of lengths >= 256
    for length in range(start, start + 20_000):
        # when each is rounded, then the overhead stays below 12 %
        assert padme_length(length) - length <= 0.12 * length


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"x", b"hello", b"a" * 96, b"trailing zeros\x00\x00\x00", bytes(range(256)) * 5, b"\x00" * 1000],
    ids=["empty", "one", "hello", "96", "trailing-zeros", "binary", "all-zero"],
)
def test_pad_round_trip(plaintext: bytes) -> None:
    # given a plaintext, when padded and unpadded, then it comes back unchanged
    assert unpad(pad(plaintext)) == plaintext


@pytest.mark.parametrize("size", [0, 1, 5, 96, 996, 1021, 5_000])
def test_pad_length_is_padme_of_prefixed_length(size: int) -> None:
    # given a plaintext of `size` bytes, when padded
    padded = pad(b"p" * size)
    # then it has a 4-byte big-endian length prefix and the Padmé length
    assert len(padded) == padme_length(4 + size)
    assert padded[:4] == size.to_bytes(4, "big")
    assert not any(padded[4 + size :])


def test_pad_hides_small_length_differences() -> None:
    # given two plaintexts of 1000 and 1010 bytes, when padded
    # then both have the same length
    assert len(pad(b"a" * 1000)) == len(pad(b"a" * 1010)) == 1024


def test_pad_refuses_plaintext_over_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a (lowered) maximum plaintext length
    monkeypatch.setattr(padding, "MAX_PLAINTEXT", 10)
    # when padding one byte more, then it is refused
    with pytest.raises(ValueError):
        pad(b"x" * 11)


def _mangled_inputs() -> dict[str, bytes]:
    padded = pad(b"hello")  # 4 + 5 = 9 -> 10 bytes: one zero byte of padding
    longer = pad(b"a" * 96)  # 100 -> 104 bytes: four zero bytes of padding
    assert len(padded) == 10 and len(longer) == 104
    return {
        "non-zero-last-padding-byte": padded[:-1] + b"\x01",
        "non-zero-first-padding-byte": longer[:100] + b"\x80" + longer[101:],
        "extra-zero-byte": padded + b"\x00",
        "extra-zero-block": longer + bytes(8),
        "one-padding-byte-missing": longer[:-1],
        "truncated-into-plaintext": padded[:6],
        "only-prefix": padded[:4],
        "shorter-than-prefix": padded[:3],
        "empty": b"",
        "length-prefix-too-large": b"\x00\x00\x00\x07" + padded[4:],
        "length-prefix-too-small": b"\x00\x00\x00\x04" + padded[4:],
        "length-prefix-huge": b"\xff\xff\xff\xff" + padded[4:],
    }


@pytest.mark.parametrize("name", list(_mangled_inputs()))
def test_strict_unpad_fails(name: str) -> None:
    # given a padded blob mangled in one way
    mangled = _mangled_inputs()[name]
    # when unpadded, then it fails with the one crypto error
    with pytest.raises(CryptoError):
        unpad(mangled)
