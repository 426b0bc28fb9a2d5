"""Reviewer passphrases: Argon2id -> verifier + wrapping key, parameters, private-key wraps."""

import pytest

from crypto.errors import CryptoError
from crypto.keys import generate_keypair
from crypto.passphrase import (
    MAX_PASSPHRASE_CHARS,
    KdfParams,
    PassphraseKeys,
    derive_passphrase_keys,
    new_salt,
    unwrap_private_key,
    verifier_matches,
    wrap_private_key,
)

CHEAP = KdfParams(memory_kib=1024, iterations=1, lanes=1)
SALT = b"\x5a" * 16
KEYPAIR = generate_keypair()


def _keys(passphrase: str = "kuda-laut biru 7", salt: bytes = SALT, params: KdfParams = CHEAP) -> PassphraseKeys:
    return derive_passphrase_keys(passphrase, salt=salt, params=params)


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(data)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


def test_derivation_is_deterministic() -> None:
    # given the same passphrase, salt and parameters, when derived twice, then the keys match
    assert _keys() == _keys()


@pytest.mark.parametrize(
    "changed",
    [{"salt": b"\x5b" * 16}, {"passphrase": "kuda-laut biru 8"}, {"params": KdfParams(1024, 2, 1)}],
    ids=["salt", "passphrase", "params"],
)
def test_derivation_differs_when_an_input_differs(changed: dict[str, object]) -> None:
    # given one input changed, when derived, then both keys differ
    reference, other = _keys(), _keys(**changed)
    assert other.verifier != reference.verifier and other.wrapping_key != reference.wrapping_key


def test_verifier_and_wrapping_key_are_distinct_256_bit_keys() -> None:
    # given derived passphrase keys, then the stored verifier is not the wrapping key
    keys = _keys()
    assert len(keys.verifier) == len(keys.wrapping_key) == 32
    assert keys.verifier != keys.wrapping_key


def test_passphrase_of_1024_characters_is_accepted() -> None:
    # given a passphrase at the limit (non-ASCII: the cap counts characters), then it derives
    assert len(_keys("é" * MAX_PASSPHRASE_CHARS).verifier) == 32


def test_passphrase_over_1024_characters_is_refused() -> None:
    # given a passphrase one character over the limit, when derived, then it is refused
    with pytest.raises(ValueError):
        _keys("a" * (MAX_PASSPHRASE_CHARS + 1))


def test_production_parameters_work() -> None:
    # given the production minimum, when deriving once, then two distinct keys come out
    keys = _keys(params=KdfParams.production_minimum())
    assert len(keys.verifier) == 32 and keys != _keys()


def test_production_minimum_is_at_least_64_mib_and_three_passes() -> None:
    # given the production minimum, then it is at least 64 MiB and t=3
    minimum = KdfParams.production_minimum()
    assert minimum.memory_kib >= 64 * 1024
    assert minimum.iterations == 3


@pytest.mark.parametrize("params", [CHEAP, KdfParams(), KdfParams(262144, 4, 8)])
def test_kdf_params_encode_decode_round_trip(params: KdfParams) -> None:
    # given parameters, when encoded and decoded, then they come back
    assert KdfParams.decode(params.encode()) == params


def test_kdf_params_encoding_is_stable() -> None:
    # given the default parameters, when encoded, then the stored text is the documented form
    assert KdfParams().encode() == "argon2id$m=65536,t=3,p=4"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "argon2id",
        "argon2id$",
        "scrypt$m=1024,t=1,p=1",
        "argon2i$m=1024,t=1,p=1",
        "argon2id$m=1024,t=1",
        "argon2id$m=x,t=1,p=1",
        "argon2id$m1024,t1,p1",
        "argon2id$m=1.5,t=1,p=1",
        "garbage",
    ],
)
def test_decoding_garbage_kdf_params_fails(text: str) -> None:
    # given text that is not an encoded parameter set, when decoded, then it fails
    with pytest.raises(CryptoError):
        KdfParams.decode(text)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (KdfParams(), True),
        (KdfParams(131072, 4, 4), True),
        (KdfParams(65535, 3, 4), False),
        (KdfParams(65536, 2, 4), False),
        (CHEAP, False),
    ],
    ids=["equal", "stronger", "less-memory", "fewer-passes", "cheap"],
)
def test_at_least_compares_memory_and_passes(params: KdfParams, expected: bool) -> None:
    # given parameters, when compared with the production minimum, then weaker ones fall short
    assert params.at_least(KdfParams.production_minimum()) is expected


def test_new_salt_is_random_16_bytes() -> None:
    # given two fresh salts, then both are 16 bytes and differ
    first, second = new_salt(), new_salt()
    assert len(first) == len(second) == 16 and first != second


def test_verifier_matches_only_the_same_bytes() -> None:
    # given a stored verifier, then only the same verifier matches
    keys = _keys()
    assert verifier_matches(keys.verifier, _keys().verifier)
    assert not verifier_matches(_keys("wrong").verifier, keys.verifier)


def test_private_key_wrap_round_trip() -> None:
    # given a private key wrapped under passphrase keys for owner r-1
    wrapped = wrap_private_key(_keys(), KEYPAIR, owner_id="r-1")
    # when unwrapped with re-derived keys, then the same key pair comes back
    assert unwrap_private_key(_keys(), wrapped, owner_id="r-1") == KEYPAIR


def test_passphrase_change_rewraps_same_private_key() -> None:
    # given a key pair unwrapped with the old passphrase and re-wrapped with a new one
    old = wrap_private_key(_keys("old passphrase"), KEYPAIR, owner_id="r-1")
    unwrapped = unwrap_private_key(_keys("old passphrase"), old, owner_id="r-1")
    new = wrap_private_key(_keys("new passphrase"), unwrapped, owner_id="r-1")
    # then the new passphrase opens it and the old one no longer does
    assert unwrap_private_key(_keys("new passphrase"), new, owner_id="r-1") == KEYPAIR
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys("old passphrase"), new, owner_id="r-1")


def test_wrong_passphrase_fails() -> None:
    # given a wrapped private key, when unwrapped with another passphrase, then it fails
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys("wrong"), wrap_private_key(_keys(), KEYPAIR, owner_id="r-1"), owner_id="r-1")


def test_wrong_salt_fails() -> None:
    # given a wrapped private key, when unwrapped with keys from another salt, then it fails
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys(salt=new_salt()), wrap_private_key(_keys(), KEYPAIR, owner_id="r-1"), owner_id="r-1")


def test_wrong_owner_id_fails() -> None:
    # given r-1's wrapped private key, when unwrapped as r-2's, then it fails
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys(), wrap_private_key(_keys(), KEYPAIR, owner_id="r-1"), owner_id="r-2")


def test_verifier_cannot_unwrap_private_key() -> None:
    # given a wrapped private key, when the stored verifier is used as the wrapping key, then it fails
    keys = _keys()
    stolen = PassphraseKeys(verifier=keys.verifier, wrapping_key=keys.verifier)
    with pytest.raises(CryptoError):
        unwrap_private_key(stolen, wrap_private_key(keys, KEYPAIR, owner_id="r-1"), owner_id="r-1")


@pytest.mark.parametrize(
    ("index", "bit"),
    [(0, 0), (1, 0), (12, 7), (13, 0), (60, 1), (-1, 7)],
    ids=["version", "nonce-first", "nonce-last", "body-first", "body-mid", "tag-last"],
)
def test_flipped_bit_in_wrapped_private_key_fails(index: int, bit: int) -> None:
    # given a wrapped private key with one bit flipped, when unwrapped, then it fails
    tampered = _flip(wrap_private_key(_keys(), KEYPAIR, owner_id="r-1"), index, bit)
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys(), tampered, owner_id="r-1")


@pytest.mark.parametrize("keep", [0, 13, 28, 124])
def test_truncated_wrapped_private_key_fails(keep: int) -> None:
    # given a wrapped private key cut short, when unwrapped, then it fails
    wrapped = wrap_private_key(_keys(), KEYPAIR, owner_id="r-1")
    assert len(wrapped) == 125
    with pytest.raises(CryptoError):
        unwrap_private_key(_keys(), wrapped[:keep], owner_id="r-1")


@pytest.mark.parametrize(
    "text",
    [
        "argon2id$m=-1,t=0,p=0",
        "argon2id$m=1024,t=1,p=1,x=9",
        "argon2id$m= 5 ,t=1,p=1",
        "argon2id$m=4,t=1,p=1",
        "argon2id$m=1_024,t=1,p=1",
        "argon2id$m=99999999,t=1,p=1",
    ],
)
def test_decode_refuses_out_of_range_or_loose_params(text: str) -> None:
    with pytest.raises(CryptoError):
        KdfParams.decode(text)


def test_zero_lanes_never_counts_as_production_strength() -> None:
    assert not KdfParams(memory_kib=65536, iterations=3, lanes=0).at_least(KdfParams.production_minimum())
