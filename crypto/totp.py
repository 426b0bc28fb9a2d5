"""Time-based one-time passwords (RFC 6238) and backup codes.

`cryptography`'s TOTP checks one exact time step and keeps no state; here we
accept the steps either side of now (clock drift on phones) and refuse any
step at or before the last one used, so no code works twice. TOTP secrets are
stored encrypted under a key derived from the review app's secret
(`seal_secret` / `open_secret`), so the database alone does not yield them; so
is the last step used (`seal_step` / `open_step`), which is a time to 30 seconds.
"""

import hashlib
import hmac
import secrets
from base64 import b32encode

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from .derive import derive_key, unwrap, wrap
from .errors import CryptoError
from .receipts import ALPHABET

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends
BACKUP_CODES = 10
_WINDOW = (-1, 0, 1)
# RFC 6238's HMAC-SHA1 is what every authenticator app implements; HMAC-SHA1
# is not affected by SHA-1's collision weakness.
_HASH = SHA1  # noqa: S303


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """Base32 in groups of four, for typing into an authenticator app."""
    text = b32encode(secret).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    totp = TOTP(secret, DIGITS, _HASH(), STEP_SECONDS, enforce_key_length=True)
    return totp.get_provisioning_uri(account, issuer)


def current_code(secret: bytes, *, now: float) -> str:
    """The code for `now` (tests and enrolment checks)."""
    return TOTP(secret, DIGITS, _HASH(), STEP_SECONDS).generate(int(now)).decode()


def verify(secret: bytes, code: str, *, now: float, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if valid, within ±1 step and newer than `last_step`."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = TOTP(secret, DIGITS, _HASH(), STEP_SECONDS)
    current = int(now) // STEP_SECONDS
    for offset in _WINDOW:
        step = current + offset
        if last_step is not None and step <= last_step:
            continue
        try:
            totp.verify(code.encode(), step * STEP_SECONDS)
        except InvalidToken:
            continue
        return step
    return None


def seal_secret(server_secret: bytes, secret: bytes, *, owner_id: str) -> bytes:
    return wrap(derive_key(server_secret, label="totp-secret"), secret, label="totp", context=owner_id.encode())


def open_secret(server_secret: bytes, sealed: bytes, *, owner_id: str) -> bytes:
    return unwrap(derive_key(server_secret, label="totp-secret"), sealed, label="totp", context=owner_id.encode())


def seal_step(server_secret: bytes, step: int, *, owner_id: str) -> bytes:
    """The step of the last code used, sealed like the secret: in plaintext it is a time (30 s steps)."""
    key = derive_key(server_secret, label="totp-step")
    return wrap(key, step.to_bytes(8, "big"), label="totp-step", context=owner_id.encode())


def open_step(server_secret: bytes, sealed: bytes, *, owner_id: str) -> int:
    key = derive_key(server_secret, label="totp-step")
    payload = unwrap(key, sealed, label="totp-step", context=owner_id.encode())
    if len(payload) != 8:
        raise CryptoError()
    return int.from_bytes(payload, "big")


def new_backup_codes() -> list[str]:
    """Ten codes of 10 Crockford characters (50 bits each), shown once."""
    codes = []
    for _ in range(BACKUP_CODES):
        chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
        codes.append(f"{chars[:5]}-{chars[5:]}")
    return codes


def backup_code_hash(code: str) -> bytes:
    compact = code.upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    return hashlib.sha256(b"kanal-integritas/v1/backup-code\x00" + compact.encode()).digest()


def same_hash(left: bytes, right: bytes) -> bool:
    return hmac.compare_digest(left, right)
