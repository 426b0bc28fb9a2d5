"""crypto.totp: RFC 6238 codes, a ±1 step window, no reuse, sealed secrets, backup codes."""

import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from crypto.errors import CryptoError
from crypto.receipts import ALPHABET
from crypto.totp import (
    BACKUP_CODES,
    DIGITS,
    SECRET_BYTES,
    STEP_SECONDS,
    backup_code_hash,
    current_code,
    new_backup_codes,
    new_secret,
    open_secret,
    provisioning_uri,
    seal_secret,
    secret_text,
    verify,
)

RFC_SECRET = b"12345678901234567890"  # RFC 6238 appendix B, HMAC-SHA1
RFC_SECRET_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOW = 1_234_567_890.0  # inside step 41152263
STEP = int(NOW) // STEP_SECONDS
SERVER_SECRET = b"server-secret-for-the-review-app"


def _code_at_step(step: int) -> str:
    return current_code(RFC_SECRET, now=step * STEP_SECONDS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (59, "287082"),  # 8-digit answer 94287082
        (1111111109, "081804"),  # 07081804
        (1111111111, "050471"),  # 14050471
        (1234567890, "005924"),  # 89005924
        (2000000000, "279037"),  # 69279037
        (20000000000, "353130"),  # 65353130
    ],
)
def test_current_code_matches_rfc_6238_sha1_answers(moment: int, expected: str) -> None:
    # given the RFC's 20-byte secret, when the 6-digit code is computed, then it is the RFC's last six digits
    assert current_code(RFC_SECRET, now=moment) == expected


def test_new_secret_is_160_random_bits() -> None:
    # given fresh secrets, then each is 20 bytes and they differ
    secrets = {new_secret() for _ in range(50)}
    assert SECRET_BYTES == 20 and DIGITS == 6 and STEP_SECONDS == 30
    assert len(secrets) == 50 and all(len(s) == 20 for s in secrets)


def test_secret_text_is_base32_in_groups_of_four() -> None:
    # given the RFC secret, then its typed form is its base32 in groups of four
    assert secret_text(RFC_SECRET) == "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_verify_accepts_the_current_step_and_one_either_side(offset: int) -> None:
    # given the code of a step within one of now, when verified, then that step is returned
    assert verify(RFC_SECRET, _code_at_step(STEP + offset), now=NOW, last_step=None) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_verify_refuses_codes_two_or_more_steps_away(offset: int) -> None:
    # given the code of a step two or more away from now (and unlike any code in the window)
    code = _code_at_step(STEP + offset)
    assert code not in {_code_at_step(STEP + near) for near in (-1, 0, 1)}
    # when verified, then it is refused
    assert verify(RFC_SECRET, code, now=NOW, last_step=None) is None


def test_verify_refuses_a_code_at_or_before_the_last_used_step() -> None:
    # given the current code already used (last_step = now's step)
    code = _code_at_step(STEP)
    assert verify(RFC_SECRET, code, now=NOW, last_step=None) == STEP
    # when the same code is offered again, then it is refused
    assert verify(RFC_SECRET, code, now=NOW, last_step=STEP) is None
    # and an older code inside the window is refused too once a newer step is used
    assert verify(RFC_SECRET, _code_at_step(STEP - 1), now=NOW, last_step=STEP) is None
    assert verify(RFC_SECRET, _code_at_step(STEP - 1), now=NOW, last_step=STEP - 1) is None


def test_verify_accepts_a_newer_step_after_an_older_one_was_used() -> None:
    # given the previous step used, when the next step's code arrives, then it is accepted
    assert verify(RFC_SECRET, _code_at_step(STEP + 1), now=NOW, last_step=STEP - 1) == STEP + 1


def test_verify_ignores_spaces_around_and_inside_the_code() -> None:
    # given a code typed as "005 924" with surrounding blanks, then it is accepted
    assert verify(RFC_SECRET, " 005 924 ", now=NOW, last_step=None) == STEP


@pytest.mark.parametrize(
    "code", ["", "00592", "0059244", "00592a", "OO5924", "-05924", "+05924", "٠٠٥٩٢٤", "005924\x00"]
)
def test_verify_refuses_non_digits_and_wrong_lengths(code: str) -> None:
    # given malformed input (including non-ASCII digits), when verified, then it is refused
    assert verify(RFC_SECRET, code, now=NOW, last_step=None) is None


def test_verify_refuses_a_code_for_another_secret() -> None:
    # given a code from another secret, then it is refused
    other = b"abcdefghijabcdefghij"
    code = current_code(other, now=NOW)
    if code in {_code_at_step(STEP + near) for near in (-1, 0, 1)}:  # pragma: no cover - 3 in a million
        pytest.skip("codes collide by chance")
    assert verify(RFC_SECRET, code, now=NOW, last_step=None) is None


def test_sealed_secret_round_trips_and_hides_the_secret() -> None:
    # given a secret sealed for an owner
    secret = new_secret()
    sealed = seal_secret(SERVER_SECRET, secret, owner_id="reviewer-1")
    # then the sealed form does not contain it, and opening gives it back
    assert secret not in sealed
    assert open_secret(SERVER_SECRET, sealed, owner_id="reviewer-1") == secret
    # and sealing twice gives different blobs (fresh nonce)
    assert seal_secret(SERVER_SECRET, secret, owner_id="reviewer-1") != sealed


def test_sealed_secret_does_not_open_with_another_server_secret() -> None:
    # given a sealed secret, when opened under another server secret, then CryptoError
    sealed = seal_secret(SERVER_SECRET, new_secret(), owner_id="reviewer-1")
    with pytest.raises(CryptoError):
        open_secret(b"another-server-secret-entirely!!", sealed, owner_id="reviewer-1")


def test_sealed_secret_does_not_open_for_another_owner() -> None:
    # given a sealed secret copied onto another account's row, when opened for it, then CryptoError
    sealed = seal_secret(SERVER_SECRET, new_secret(), owner_id="reviewer-1")
    with pytest.raises(CryptoError):
        open_secret(SERVER_SECRET, sealed, owner_id="reviewer-2")


def test_tampered_sealed_secret_does_not_open() -> None:
    # given a sealed secret with one bit flipped, when opened, then CryptoError
    sealed = bytearray(seal_secret(SERVER_SECRET, new_secret(), owner_id="reviewer-1"))
    sealed[-1] ^= 1
    with pytest.raises(CryptoError):
        open_secret(SERVER_SECRET, bytes(sealed), owner_id="reviewer-1")


def test_backup_codes_are_ten_unique_crockford_codes() -> None:
    # given a fresh set of backup codes
    codes = new_backup_codes()
    # then there are ten, all different, each XXXXX-XXXXX in Crockford base32
    pattern = re.compile(f"^[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}$")
    assert BACKUP_CODES == 10 and len(codes) == 10 and len(set(codes)) == 10
    assert all(pattern.match(code) for code in codes), codes
    # and two sets share nothing
    assert not set(codes) & set(new_backup_codes())


@pytest.mark.parametrize("typed", ["abc01-1xyz0", "ABC011XYZ0", "ABCO1-IXYZO", "abcol-lxyzo", " ABC 01-1XY Z0 "])
def test_backup_code_hash_normalises_case_dashes_and_look_alikes(typed: str) -> None:
    # given a code typed in lower case, without dashes, with O for 0 and I/L for 1, then it hashes the same
    assert backup_code_hash(typed) == backup_code_hash("ABC01-1XYZ0")


def test_backup_code_hash_differs_for_different_codes() -> None:
    # given two different codes, then their hashes differ and are 32 bytes
    first, second = backup_code_hash("ABC01-1XYZ0"), backup_code_hash("ABC01-1XYZ1")
    assert first != second and len(first) == len(second) == 32


def test_provisioning_uri_names_the_issuer_account_and_secret() -> None:
    # given the RFC secret, when the otpauth URI is built
    uri = provisioning_uri(RFC_SECRET, account="rina", issuer="Kanal Integritas")
    parsed = urlparse(uri)
    query = parse_qs(parsed.query)
    # then it is a TOTP URI for the issuer and account, with the base32 secret and our parameters
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert unquote(parsed.path) == "/Kanal Integritas:rina"
    assert query["issuer"] == ["Kanal Integritas"]
    assert query["secret"] == [RFC_SECRET_BASE32]
    assert query["digits"] == ["6"] and query["period"] == ["30"] and query["algorithm"] == ["SHA1"]


def test_provisioning_uri_refuses_a_short_secret() -> None:
    # given a secret shorter than 128 bits, when a URI is asked for, then it is refused
    with pytest.raises(ValueError):
        provisioning_uri(b"short", account="rina", issuer="Kanal Integritas")
