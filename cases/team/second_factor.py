"""TOTP enrolment and checks, and single-use backup codes."""

import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.models import BackupCode, Reviewer
from cases.platform.clock import to_hour, utc_now
from crypto import totp
from crypto.errors import CryptoError

ISSUER = "Kanal Integritas"


def start_enrolment(*, reviewer: Reviewer, server_secret: bytes) -> bytes:
    """A fresh secret, stored (sealed) but not enabled until a code proves the app has it."""
    secret = totp.new_secret()
    reviewer.totp_secret = totp.seal_secret(server_secret, secret, owner_id=reviewer.id)
    reviewer.totp_enabled = False
    reviewer.totp_last_step_sealed = None
    return secret


def enrolment_secret(*, reviewer: Reviewer, server_secret: bytes) -> bytes | None:
    if reviewer.totp_secret is None:
        return None
    try:
        return totp.open_secret(server_secret, reviewer.totp_secret, owner_id=reviewer.id)
    except CryptoError:
        return None


def last_step(*, reviewer: Reviewer, server_secret: bytes) -> int | None:
    """The time step of the last code used (sealed: in plaintext it would be a time to 30 seconds)."""
    if reviewer.totp_last_step_sealed is None:
        return None
    try:
        return totp.open_step(server_secret, reviewer.totp_last_step_sealed, owner_id=reviewer.id)
    except CryptoError:
        return None  # a changed value: a database writer could as well have deleted it


def check_code(*, reviewer: Reviewer, code: str, server_secret: bytes, now: float | None = None) -> bool:
    """True (and the step is burnt) for a fresh valid code."""
    secret = enrolment_secret(reviewer=reviewer, server_secret=server_secret)
    if secret is None:
        return False
    last = last_step(reviewer=reviewer, server_secret=server_secret)
    step = totp.verify(secret, code, now=time.time() if now is None else now, last_step=last)
    if step is None:
        return False
    reviewer.totp_last_step_sealed = totp.seal_step(server_secret, step, owner_id=reviewer.id)
    return True


def finish_enrolment(session: Session, *, reviewer: Reviewer, code: str, server_secret: bytes) -> list[str] | None:
    """Enable TOTP if `code` is right; returns the new backup codes (to show once)."""
    if not check_code(reviewer=reviewer, code=code, server_secret=server_secret):
        return None
    reviewer.totp_enabled = True
    codes = totp.new_backup_codes()
    for old in session.scalars(select(BackupCode).where(BackupCode.reviewer_id == reviewer.id)):
        session.delete(old)
    session.add_all(BackupCode(reviewer_id=reviewer.id, code_hash=totp.backup_code_hash(fresh)) for fresh in codes)
    session.flush()
    audit.record(session, action="account.totp_enabled", actor_id=reviewer.id)
    return codes


def forget_second_factor(session: Session, *, reviewer: Reviewer) -> None:
    """The authenticator is lost: no code of the old secret, and none of its backup codes, works any
    more; the next login after the passphrase goes to enrolment (cases.team.login)."""
    reviewer.totp_secret = None
    reviewer.totp_enabled = False
    reviewer.totp_last_step_sealed = None
    session.execute(delete(BackupCode).where(BackupCode.reviewer_id == reviewer.id))


def use_backup_code(session: Session, *, reviewer: Reviewer, code: str) -> bool:
    wanted = totp.backup_code_hash(code)
    for row in session.scalars(
        select(BackupCode).where(BackupCode.reviewer_id == reviewer.id, BackupCode.used_at.is_(None))
    ):
        if totp.same_hash(row.code_hash, wanted):
            row.used_at = to_hour(utc_now())  # that it was used is what counts; the hour, like every time
            audit.record(session, action="login.backup_code", actor_id=reviewer.id)
            return True
    return False


def remaining_backup_codes(session: Session, *, reviewer: Reviewer) -> int:
    return len(
        session.scalars(
            select(BackupCode.id).where(BackupCode.reviewer_id == reviewer.id, BackupCode.used_at.is_(None))
        ).all()
    )


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth:// URI for the QR code
    secret_text: str  # the secret, grouped for typing


def enrolment_details(*, reviewer: Reviewer, secret: bytes) -> Enrolment:
    return Enrolment(
        uri=totp.provisioning_uri(secret, account=reviewer.username, issuer=ISSUER),
        secret_text=totp.secret_text(secret),
    )
