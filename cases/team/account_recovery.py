"""Accounts that survive real life (issue 19): a lost authenticator, a forgotten passphrase, a
disabled account brought back.

All three are done *to* a colleague's account by a key-holding admin in the signed roster, with a
fresh code (step-up), never to one's own (four eyes: a thief of one admin's session cannot reset
their way into another factor), and audited.

- **Second factor reset**: the TOTP secret and every backup code of the old factor are gone; the
  owner's next login, after the passphrase, is the enrolment step (cases.team.login). The second
  factor is not bound in the roster (the roster binds keys, not TOTP secrets), so the audit event
  is the record.
- **Forgotten passphrase**: the owner asks from the login page (`request_recovery`, answered the
  same whatever the name); the account then shows as waiting for recovery. An admin resets it
  (`reset_passphrase`): the lost keys, their grants and the approval go, a signed `account.reset`
  roster entry says so, and a new one-time passphrase starts the account over like a new one
  (activation, enrolment, approval by someone other than the admin who reset it). The cases reach
  it again by re-grant from colleagues, or by the recovery key's re-seal (docs/RECOVERY.md).
- **Re-enable**: a disabled account comes back unapproved (`account.enable` in the roster); it
  holds no case key until another key holder approves it again.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.models import Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.team import roster
from cases.team.accounts import reissue_activation
from cases.team.actor import Actor
from cases.team.errors import AccountActionRefused
from cases.team.grants import revoke_grants
from cases.team.login_throttle import clear_failures
from cases.team.second_factor import forget_second_factor
from cases.team.sessions import end_all_sessions
from crypto.signing import SigningKey


def _admin_holder(session: Session, *, actor: Actor, reviewer: Reviewer) -> SigningKey:
    """The actor's signing key, when they may act on `reviewer`'s account; AccountActionRefused if not."""
    if actor.id == reviewer.id:
        raise AccountActionRefused("self")
    key = actor.signing_key_or_none()
    member = roster.verified(session).member(actor.id)
    if (
        key is None
        or member is None
        or not member.key_holder
        or not member.admin
        or member.signing_key != key.public
        or not actor.is_admin
        or actor.reviewer.state != "active"
    ):
        raise AccountActionRefused("not_holder")
    if not actor.stepped_up:
        raise AccountActionRefused("step_up")
    return key


def reset_second_factor(session: Session, *, actor: Actor, reviewer: Reviewer) -> None:
    """A colleague lost their authenticator: the old factor (secret, backup codes) stops working,
    their sessions and trusted devices end, and they enrol a new one at their next login.

    The account is also unapproved (signed `account.factor_reset`, its grants revoked) until a key
    holder other than `actor` approves it again: otherwise one admin who knows or has phished a
    colleague's passphrase could reset their factor, enrol their own and read as them, recusals
    included (found in review). The keys stay bound, so the approval page shows the same
    fingerprints, and the cases come back by re-grant once approved."""
    key = _admin_holder(session, actor=actor, reviewer=reviewer)
    if reviewer.state != "active":
        raise AccountActionRefused("state")
    forget_second_factor(session, reviewer=reviewer)
    end_all_sessions(session, reviewer_id=reviewer.id)
    reviewer.approved_at = None
    reviewer.approved_by_id = None
    reviewer.needs_grants = False
    revoke_grants(session, reviewer=reviewer, actor_id=actor.id)
    roster.append(
        session,
        action="account.factor_reset",
        subject_id=reviewer.id,
        fields={"by": actor.id},
        signers=[(actor.id, key)],
    )
    audit.record(session, action="account.second_factor_reset", actor_id=actor.id, detail=f"reviewer={reviewer.id}")


def request_recovery(session: Session, *, username: str) -> None:
    """ "Lupa frasa sandi?": mark the account as waiting for recovery. The same work and the same
    answer whether or not the name is an account (an audit event either way, so admins also see
    names being probed); a disabled account is treated as no account, as at login."""
    name = username.strip().lower()[:80]
    reviewer = session.scalars(select(Reviewer).where(Reviewer.username == name)).first()
    if reviewer is not None and reviewer.state in ("pending", "active"):
        if reviewer.recovery_requested_at is None:
            reviewer.recovery_requested_at = to_hour(utc_now())
        detail = f"reviewer={reviewer.id}"
    else:
        detail = "unknown"
    audit.record(session, action="account.recovery_request", detail=detail)


def waiting_for_recovery(reviewer: Reviewer) -> bool:
    return reviewer.recovery_requested_at is not None


def reset_passphrase(session: Session, *, actor: Actor, reviewer: Reviewer) -> str:
    """Start a colleague's account over after a forgotten passphrase; returns the new one-time
    passphrase (to hand over in person, shown once). The keys the old passphrase wrapped are
    unreachable anyway: they are erased with their grants, the approval goes (signed
    `account.reset`), and the second factor is enrolled again. Recusals stay (they are roster
    entries of their own)."""
    key = _admin_holder(session, actor=actor, reviewer=reviewer)
    if reviewer.state not in ("pending", "active"):
        raise AccountActionRefused("state")
    activation = reissue_activation(reviewer)
    reviewer.state = "pending"
    reviewer.kdf_params = reviewer.kdf_salt = reviewer.login_verifier = None
    reviewer.public_key = reviewer.wrapped_private_key = None
    reviewer.signing_public_key = reviewer.wrapped_signing_key = None
    reviewer.activated_at = reviewer.approved_at = None
    reviewer.approved_by_id = None
    reviewer.needs_grants = False
    reviewer.recovery_requested_at = reviewer.recovery_requested_at or to_hour(utc_now())
    forget_second_factor(session, reviewer=reviewer)
    clear_failures(reviewer)  # the lock earned by the forgotten passphrase must not hold the new one back
    end_all_sessions(session, reviewer_id=reviewer.id)
    revoke_grants(session, reviewer=reviewer, actor_id=actor.id)
    roster.append(
        session, action="account.reset", subject_id=reviewer.id, fields={"by": actor.id}, signers=[(actor.id, key)]
    )
    audit.record(session, action="account.reset_passphrase", actor_id=actor.id, detail=f"reviewer={reviewer.id}")
    return activation


def reenable_reviewer(session: Session, *, actor: Actor, reviewer: Reviewer) -> None:
    """Bring a disabled account back, unapproved: it signs in again but is sealed nothing until a key
    holder other than `actor` approves it (signed `account.enable`; the approval page as for a new
    account)."""
    key = _admin_holder(session, actor=actor, reviewer=reviewer)
    if reviewer.state != "disabled":
        raise AccountActionRefused("state")
    reviewer.state = "active" if reviewer.wrapped_private_key is not None else "pending"
    reviewer.disabled_at = None
    reviewer.approved_at = None
    reviewer.approved_by_id = None
    reviewer.needs_grants = False
    roster.append(
        session, action="account.enable", subject_id=reviewer.id, fields={"by": actor.id}, signers=[(actor.id, key)]
    )
    audit.record(session, action="account.enable", actor_id=actor.id, detail=f"reviewer={reviewer.id}")
