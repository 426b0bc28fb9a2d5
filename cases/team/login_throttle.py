"""Per-account login throttling that parallel requests cannot bypass.

Every attempt is counted *before* the passphrase or code is checked, by one
atomic UPDATE that refuses while the account is locked, in the request's own
transaction. The row stays locked (PostgreSQL row lock, SQLite write lock)
until that request commits, so ten guesses sent at once are serialised and
each sees the count of those before it. The views that check credentials
commit even when they answer 401/429 (`cases.web.keep_on_error`), so failures
are kept. Success clears the count.

After 3 free failures each further one locks the account for a growing time:
30 s, 1 min, 2 min, ... capped at 1 hour.

A user name that is no account (or a disabled one) is counted the same way in
`login_throttle`, keyed by a keyed hash of the name, so it locks and answers
exactly like a real account: the lock tells nobody which names exist. Those
rows expire a day after their last attempt.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, or_, update
from sqlalchemy.orm import Session

from cases.models import LoginThrottle, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.team.errors import AccountLocked
from cases.team.trust import trust_of
from crypto.derive import keyed_hash

FREE_FAILURES = 3
MAX_LOCK = timedelta(hours=1)


def lock_after(failures: int) -> timedelta:
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 7)  # 30 s * 2**7 is past the cap; never overflow
    return min(timedelta(seconds=30 * 2**doublings), MAX_LOCK)


def reserve_attempt(session: Session, *, reviewer: Reviewer) -> None:
    """Count one attempt (raise AccountLocked while locked), before any check is made."""
    now = utc_now()
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Reviewer)
        .where(Reviewer.id == reviewer.id, or_(Reviewer.locked_until.is_(None), Reviewer.locked_until <= now))
        .values(failed_logins=Reviewer.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(reviewer, attribute_names=["failed_logins", "locked_until"])
    if not result.rowcount:
        raise AccountLocked(reviewer.locked_until or now)
    delay = lock_after(reviewer.failed_logins)
    if delay:
        reviewer.locked_until = now + delay
        session.flush()


def clear_failures(reviewer: Reviewer) -> None:
    reviewer.failed_logins = 0
    reviewer.locked_until = None


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
    if row.locked_until is not None and row.locked_until > now:
        raise AccountLocked(row.locked_until)
    row.failed_logins += 1
    row.last_attempt_hour = to_hour(now)
    delay = lock_after(row.failed_logins)
    if delay:
        row.locked_until = now + delay
    session.flush()
