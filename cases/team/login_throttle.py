"""Per-account login throttling that parallel requests cannot bypass.

Every attempt is counted *before* the passphrase or code is checked, by one
atomic UPDATE in the request's own transaction. The row stays locked
(PostgreSQL row lock, SQLite write lock) from that UPDATE until the request
commits, so ten guesses sent at once are serialised and each sees the count of
those before it; an attempt that finds the account locked takes its count back
and is refused. The views that check credentials commit even when they answer
401/429 (`cases.web.keep_on_error`), so failures are kept. Success clears the
count.

The end of a lock is exact (30 seconds), and it would date the failed attempt
that set it — an audit event — to the second: so it is kept only sealed, under a
key outside the database (cases.team.sealed_times; DESIGN.md §3, the time rule).

After 3 free failures each further one locks the account for a growing time:
30 s, 1 min, 2 min, ... capped at 1 hour.

A user name that is no account (or a disabled one) is counted the same way in
`login_throttle`, keyed by a keyed hash of the name, so it locks and answers
exactly like a real account: the lock tells nobody which names exist. Those
rows expire a day after their last attempt.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from cases.models import LoginThrottle, Reviewer, TrustedDevice
from cases.platform.clock import to_hour, utc_now
from cases.team import sealed_times
from cases.team.errors import AccountLocked
from cases.team.trust import trust_of
from crypto.derive import keyed_hash
from crypto.errors import CryptoError

FREE_FAILURES = 3
MAX_LOCK = timedelta(hours=1)


def lock_after(failures: int) -> timedelta:
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 7)  # 30 s * 2**7 is past the cap; never overflow
    return min(timedelta(seconds=30 * 2**doublings), MAX_LOCK)


def _open_lock(session: Session, sealed: bytes | None, *, context: bytes) -> datetime | None:
    if sealed is None:
        return None
    try:
        (until,) = sealed_times.unseal(session, "login-lock", sealed, context=context)
    except (CryptoError, ValueError):
        return None  # a changed value locks nothing: a database writer could as well have deleted it
    return until


def _seal_lock(session: Session, until: datetime, *, context: bytes) -> bytes:
    return sealed_times.seal(session, "login-lock", [until], context=context)


def locked_until(session: Session, reviewer: Reviewer) -> datetime | None:
    """When the account's current (or last) lock ends."""
    return _open_lock(session, reviewer.locked_until_sealed, context=reviewer.id.encode())


def set_locked_until(session: Session, reviewer: Reviewer, until: datetime | None) -> None:
    reviewer.locked_until_sealed = None if until is None else _seal_lock(session, until, context=reviewer.id.encode())


def reserve_attempt(session: Session, *, reviewer: Reviewer) -> None:
    """Count one attempt (raise AccountLocked while locked), before any check is made."""
    now = utc_now()
    session.execute(  # takes the row (PostgreSQL) or the database (SQLite) until this request commits
        update(Reviewer)
        .where(Reviewer.id == reviewer.id)
        .values(failed_logins=Reviewer.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(reviewer, attribute_names=["failed_logins", "locked_until_sealed"])
    until = locked_until(session, reviewer)
    if until is not None and until > now:
        reviewer.failed_logins -= 1  # refused while locked, and not counted
        session.flush()
        raise AccountLocked(until)
    delay = lock_after(reviewer.failed_logins)
    if delay:
        set_locked_until(session, reviewer, now + delay)
        session.flush()


def reserve_device_attempt(session: Session, *, device: TrustedDevice) -> None:
    """Count one attempt from a reviewer's trusted device against the device alone (issue 17): a
    stranger's guesses lock the account, never the reviewer's own trusted browser, and guesses made
    from the device lock the device. Same counting, locks and sealing as `reserve_attempt`."""
    now = utc_now()
    context = b"device\x00" + device.id
    session.execute(
        update(TrustedDevice)
        .where(TrustedDevice.id == device.id)
        .values(failed_logins=TrustedDevice.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(device, attribute_names=["failed_logins", "locked_until_sealed"])
    until = _open_lock(session, device.locked_until_sealed, context=context)
    if until is not None and until > now:
        device.failed_logins -= 1
        session.flush()
        raise AccountLocked(until)
    delay = lock_after(device.failed_logins)
    if delay:
        device.locked_until_sealed = _seal_lock(session, now + delay, context=context)
        session.flush()


def clear_device_failures(device: TrustedDevice) -> None:
    device.failed_logins = 0
    device.locked_until_sealed = None


def clear_failures(reviewer: Reviewer) -> None:
    reviewer.failed_logins = 0
    reviewer.locked_until_sealed = None


UNKNOWN_NAME_EXPIRY = timedelta(days=1)


def reserve_unknown_attempt(session: Session, *, username: str) -> None:
    """Count an attempt for a name that is no account exactly as `reserve_attempt` counts a real one."""
    now = utc_now()
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_attempt_hour < to_hour(now) - UNKNOWN_NAME_EXPIRY))
    name_hash = keyed_hash(trust_of(session).audit_key, username.encode("utf-8"), label="login-throttle")
    row = session.get(LoginThrottle, name_hash, with_for_update=True)
    if row is None:
        row = LoginThrottle(name_hash=name_hash, failed_logins=0, last_attempt_hour=to_hour(now))
        session.add(row)
    until = _open_lock(session, row.locked_until_sealed, context=name_hash)
    if until is not None and until > now:
        raise AccountLocked(until)
    row.failed_logins += 1
    row.last_attempt_hour = to_hour(now)
    delay = lock_after(row.failed_logins)
    if delay:
        row.locked_until_sealed = _seal_lock(session, now + delay, context=name_hash)
    session.flush()
