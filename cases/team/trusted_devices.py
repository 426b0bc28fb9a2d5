"""Trusted devices: a reviewer's browser that completed a full login with the second factor.

What it protects against (issue 17): anyone who knows a reviewer's user name can lock the account
for up to an hour with wrong guesses (cases.team.login_throttle), and so lock the team out on the day
a report lands on someone powerful. A browser that has already logged in fully gets a device cookie;
its attempts are counted against the device (its own failures and lock), never against the account,
so the account's lock delays only untrusted browsers. A trusted device still needs the passphrase and
the second factor: trust exempts it from the stranger's lock, nothing else.

Only a keyed hash of the cookie's random token is stored (key derived from the audit key, which is
not in the database): a copy of the database yields no usable cookie, and a forged, expired,
revoked or another reviewer's cookie is simply not trusted. The expiry is an hour (the time rule,
DESIGN.md §3). Devices end with all of the account's sessions (passphrase set, account disabled:
cases.team.sessions.end_all_sessions).
"""

import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cases.models import Reviewer, TrustedDevice
from cases.platform.clock import to_hour, utc_now
from cases.team.trust import trust_of
from crypto.derive import keyed_hash

MAX_TOKEN_CHARS = 100


def _device_id(session: Session, token: str) -> bytes:
    return keyed_hash(trust_of(session).audit_key, token.encode("utf-8"), label="trusted-device")


def issue_device(session: Session, *, reviewer: Reviewer, days: int) -> str:
    """A new device token for the cookie (shown to nobody else); the row keeps its keyed hash."""
    now = utc_now()
    session.execute(delete(TrustedDevice).where(TrustedDevice.expires_hour <= to_hour(now)))
    token = secrets.token_urlsafe(32)
    session.add(
        TrustedDevice(
            id=_device_id(session, token),
            reviewer_id=reviewer.id,
            expires_hour=to_hour(now + timedelta(days=days)),
            failed_logins=0,
        )
    )
    session.flush()
    return token


def trusted_device(session: Session, *, token: str, reviewer: Reviewer | None) -> TrustedDevice | None:
    """The device behind `token` when it is `reviewer`'s, active and not expired; None for anything
    else. Looked up the same way whether or not `reviewer` exists, so an unknown name costs the same."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    device = session.get(TrustedDevice, _device_id(session, token))
    if device is None or reviewer is None or reviewer.state != "active":
        return None
    if not hmac.compare_digest(device.reviewer_id.encode(), reviewer.id.encode()):
        return None
    if device.expires_hour <= utc_now():
        return None
    return device


def device_bucket(device: TrustedDevice) -> str:
    """The device's rate-limit key (its keyed id, shortened): no name, nothing about the reviewer."""
    return "device:" + device.id.hex()[:32]


def forget_devices(session: Session, *, reviewer_id: str) -> None:
    session.execute(delete(TrustedDevice).where(TrustedDevice.reviewer_id == reviewer_id))
