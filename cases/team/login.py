"""The reviewer's way in, as one state machine: passphrase → (activation → enrolment | code) → full,
and the step-up an admin action asks for later.

    start (passphrase) ──► activation ──► enrol ──► full
                       ├─► enrol ───────────────► full
                       └─► second_factor ───────► full     step_up: full ──► full (stepped up)

Every transition issues a new session token (no token ever gains rights; the old
row is deleted) and returns it as a `Step` for the cookie. The second factor is
checked in one place for login and step-up alike: the attempt is counted before
the code is looked at (parallel guesses cannot bypass the lock), a TOTP step is
burnt once used (no replay), a backup code is accepted at login only, and every
failure is audited. Reaching `full` anchors the audit log and passes the
reviewer's keys on to colleagues who lack them (`catch_up`).
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cases.accountability import anchors, audit
from cases.models import Reviewer, TrustedDevice
from cases.team import roster
from cases.team.accounts import (
    account_named,
    activate,
    authenticate,
    check_passphrase_policy,
    own_passphrase_matches,
    rewrap_keys,
)
from cases.team.actor import Actor
from cases.team.errors import CodeRejected, LoginFailed, NotActivated
from cases.team.grants import regrant_from
from cases.team.login_throttle import (
    clear_device_failures,
    clear_failures,
    reserve_attempt,
    reserve_device_attempt,
)
from cases.team.second_factor import (
    Enrolment,
    check_code,
    enrolment_details,
    enrolment_secret,
    finish_enrolment,
    start_enrolment,
    use_backup_code,
)
from cases.team.sessions import end_all_sessions, end_session, mark_stepped_up, open_session
from cases.team.trusted_devices import device_bucket, issue_device, trusted_device
from crypto.keys import KeyPair
from crypto.passphrase import KdfParams
from crypto.signing import SigningKey


@dataclass(frozen=True)
class Step:
    """Where the login stands now: the new session token (for the cookie) and what it may reach."""

    token: str
    purpose: str  # activation | enrol | second_factor | full
    backup_codes: tuple[str, ...] = ()  # shown once, after enrolment
    # A new trusted-device token for the device cookie, after a full login with the second factor
    # from a browser that was not trusted yet ("" = leave the cookie as it is).
    device_token: str = ""


DEVICE_DAYS = 30


def start(
    session: Session, *, username: str, passphrase: str, kdf: KdfParams, server_secret: bytes, device_token: str = ""
) -> Step:
    """The passphrase step. Raises `AccountLocked` or `LoginFailed` (audited). From the account's
    trusted device (`device_token`), the device's own count applies instead of the account's lock."""
    try:
        outcome = authenticate(session, username=username, passphrase=passphrase, kdf=kdf, device_token=device_token)
    except LoginFailed:
        audit.record(session, action="login.fail")
        raise
    if outcome.needs_activation:
        purpose = "activation"
    elif outcome.needs_code:
        purpose = "second_factor"
    else:
        purpose = "enrol"
        _prepare_enrolment(outcome.reviewer, server_secret=server_secret)
    token = open_session(
        session, reviewer=outcome.reviewer, keypair=outcome.keypair, signing=outcome.signing, purpose=purpose
    )
    return Step(token=token, purpose=purpose)


@dataclass(frozen=True)
class KeyHolderLogin:
    """What an operator command that changes the roster asks of the key holder who runs it."""

    username: str
    passphrase: str
    ask_code: Callable[[], str]  # asked only when the passphrase matched and the account has a second factor
    kdf: KdfParams
    server_secret: bytes  # the review app's secret key, under which TOTP secrets are encrypted


def unlock(session: Session, login: KeyHolderLogin) -> Actor:
    """The same two factors for an operator's CLI command that signs as a reviewer (`--by NAME`):
    the passphrase, then — when the account has TOTP — the code `login.ask_code()` asks for, checked
    exactly as at login (throttled, no replay, backup codes, audited). Raises `AccountLocked`,
    `LoginFailed` (passphrase), `NotActivated` or `CodeRejected`."""
    try:
        outcome = authenticate(session, username=login.username, passphrase=login.passphrase, kdf=login.kdf)
    except LoginFailed:
        audit.record(session, action="login.fail")
        raise
    if outcome.signing is None or outcome.keypair is None:
        raise NotActivated()
    actor = Actor.unlocked(outcome.reviewer, keypair=outcome.keypair, signing=outcome.signing)
    if outcome.reviewer.totp_enabled:
        try:
            _verify_code(
                session, actor=actor, code=login.ask_code(), server_secret=login.server_secret, backup_codes=True
            )
        except LoginFailed:
            raise CodeRejected() from None
    return actor


def second_factor(
    session: Session,
    *,
    actor: Actor,
    code: str,
    server_secret: bytes,
    device_token: str = "",
    device_days: int = DEVICE_DAYS,
) -> Step:
    """The code after the passphrase (TOTP or a backup code). Raises `AccountLocked` or `LoginFailed`.
    A browser not trusted yet becomes a trusted device (`Step.device_token`)."""
    device = trusted_device(session, token=device_token, reviewer=actor.reviewer)
    _verify_code(session, actor=actor, code=code, server_secret=server_secret, backup_codes=True, device=device)
    audit.record(session, action="login", actor_id=actor.id)
    step = _enter(session, actor=actor)
    if device is not None:
        return step
    return dataclasses.replace(step, device_token=issue_device(session, reviewer=actor.reviewer, days=device_days))


def step_up(session: Session, *, actor: Actor, code: str, server_secret: bytes, device_token: str = "") -> None:
    """A fresh TOTP code before an admin action (valid a few minutes; backup codes are for logging in
    only). Raises `AccountLocked` or `LoginFailed`."""
    device = trusted_device(session, token=device_token, reviewer=actor.reviewer)
    _verify_code(session, actor=actor, code=code, server_secret=server_secret, backup_codes=False, device=device)
    assert actor.session_row is not None  # noqa: S101 - step-up is a web session's
    mark_stepped_up(actor.session_row)


def activation(session: Session, *, actor: Actor, new_passphrase: str, kdf: KdfParams, server_secret: bytes) -> Step:
    """The reviewer's own passphrase replaces the one-time one; their keys are born. Raises
    `PassphraseRejected`. Every other session of the account ends."""
    keypair, signing = activate(
        session, reviewer=actor.reviewer, new_passphrase=new_passphrase, kdf=kdf, signing=actor.signing_key_or_none()
    )
    end_all_sessions(session, reviewer_id=actor.id)
    _prepare_enrolment(actor.reviewer, server_secret=server_secret)
    token = open_session(session, reviewer=actor.reviewer, keypair=keypair, signing=signing, purpose="enrol")
    return Step(token=token, purpose="enrol")


def enrolment(
    session: Session, *, actor: Actor, code: str, server_secret: bytes, device_days: int = DEVICE_DAYS
) -> Step:
    """The first TOTP code proves the app holds the secret: the session becomes full, the backup
    codes are returned to show once, and the browser becomes a trusted device. Raises `LoginFailed`
    for a wrong code."""
    codes = finish_enrolment(session, reviewer=actor.reviewer, code=code, server_secret=server_secret)
    if codes is None:
        raise LoginFailed()
    step = _enter(session, actor=actor)
    device = issue_device(session, reviewer=actor.reviewer, days=device_days)
    return Step(token=step.token, purpose=step.purpose, backup_codes=tuple(codes), device_token=device)


def change_passphrase(
    session: Session,
    *,
    actor: Actor,
    old_passphrase: str,
    new_passphrase: str,
    code: str,
    kdf: KdfParams,
    server_secret: bytes,
    device_days: int = DEVICE_DAYS,
) -> Step:
    """The signed-in reviewer's own passphrase, replaced (issue 19): the current one, a fresh TOTP code
    (step-up; no backup code), then the same keys are re-wrapped under the new one. Every session of
    the account ends, its trusted devices are forgotten, and this browser gets a new full session and
    device. Raises `PassphraseRejected` (checked first: no code is burnt on it), `AccountLocked` or
    `LoginFailed` (the passphrase or the code; both counted like a login, audited); on any of
    them nothing changed."""
    if not actor.holds_keys or actor.purpose != "full":
        raise NotActivated()
    check_passphrase_policy(new_passphrase, username=actor.reviewer.username)
    # One attempt, counted once before anything is checked (a stolen session cookie guesses no faster
    # than a login); the code is looked at only after the passphrase matched (no step burnt otherwise).
    reserve_attempt(session, reviewer=actor.reviewer)
    if not (
        own_passphrase_matches(reviewer=actor.reviewer, passphrase=old_passphrase)
        and check_code(reviewer=actor.reviewer, code=code, server_secret=server_secret)
    ):
        audit.record(session, action="login.fail", actor_id=actor.id, detail="passphrase change")
        raise LoginFailed()
    clear_failures(actor.reviewer)
    keypair, signing = actor.keypair(), actor.signing_key()
    rewrap_keys(reviewer=actor.reviewer, keypair=keypair, signing=signing, new_passphrase=new_passphrase, kdf=kdf)
    end_all_sessions(session, reviewer_id=actor.id)
    audit.record(session, action="account.passphrase_change", actor_id=actor.id)
    token = open_session(
        session, reviewer=actor.reviewer, keypair=keypair, signing=signing, purpose="full", stepped_up=True
    )
    return Step(
        token=token, purpose="full", device_token=issue_device(session, reviewer=actor.reviewer, days=device_days)
    )


def logout(session: Session, *, actor: Actor) -> None:
    audit.record(session, action="logout", actor_id=actor.id)
    end_session(session, token=actor._token)


def catch_up(session: Session, *, actor: Actor) -> int:
    """Seal the keys this reviewer holds to approved colleagues who lack them (bounded); 0 for a
    reviewer without keys. Runs on entering a full session and on every state-changing request."""
    if not actor.holds_keys:
        return 0
    from cases.identity.keeping import pass_to_custodians  # the identity room builds on this one

    return regrant_from(session, actor=actor) + pass_to_custodians(session, actor=actor)


def enrolment_page(*, actor: Actor, server_secret: bytes) -> Enrolment | None:
    """What the enrolment page shows (QR code URI and secret); None once enrolled — an enrolled
    secret is never shown again, so a stolen session does not yield the second factor. Reads only:
    the secret was made when the session entered this step."""
    if actor.reviewer.totp_enabled:
        return None
    secret = enrolment_secret(reviewer=actor.reviewer, server_secret=server_secret)
    return None if secret is None else enrolment_details(reviewer=actor.reviewer, secret=secret)


def _prepare_enrolment(reviewer: Reviewer, *, server_secret: bytes) -> None:
    """A TOTP secret for the enrolment step (kept if one is waiting already, not yet enabled)."""
    if enrolment_secret(reviewer=reviewer, server_secret=server_secret) is None:
        start_enrolment(reviewer=reviewer, server_secret=server_secret)


def _verify_code(
    session: Session,
    *,
    actor: Actor,
    code: str,
    server_secret: bytes,
    backup_codes: bool,
    device: TrustedDevice | None = None,
) -> None:
    reviewer = actor.reviewer
    # Counted before the code is checked (may raise AccountLocked): against the account, or against
    # the reviewer's trusted device, which the account's lock (anyone's guesses) does not hold back.
    if device is not None:
        reserve_device_attempt(session, device=device)
    else:
        reserve_attempt(session, reviewer=reviewer)
    valid = check_code(reviewer=reviewer, code=code, server_secret=server_secret) or (
        backup_codes and use_backup_code(session, reviewer=reviewer, code=code)
    )
    if not valid:
        audit.record(session, action="login.fail", actor_id=reviewer.id, detail="second factor")
        raise LoginFailed()
    if device is not None:
        clear_device_failures(device)  # the account's count stays: it is the strangers' count
    else:
        clear_failures(reviewer)


def _enter(session: Session, *, actor: Actor) -> Step:
    """The session becomes full (and stepped up): the audit log is anchored, keys are passed on."""
    keypair: KeyPair | None = actor.keypair() if actor.holds_keys else None
    signing = actor.signing_key_or_none()
    anchors.check_at_login(session, signer_id=actor.id, signing_key=_bound(session, actor.reviewer, signing))
    end_session(session, token=actor._token)
    if actor.reviewer.approved_at is not None:
        actor.reviewer.recovery_requested_at = None  # the owner is in, as an approved reader: nothing to recover
    token = open_session(
        session, reviewer=actor.reviewer, keypair=keypair, signing=signing, purpose="full", stepped_up=True
    )
    catch_up(session, actor=Actor.unlocked(actor.reviewer, keypair=keypair, signing=signing))
    return Step(token=token, purpose="full")


def _bound(session: Session, reviewer: Reviewer, key: SigningKey | None) -> SigningKey | None:
    """The signing key for the login anchor, when the signed roster binds it (not yet, for an account
    made before the roster: its anchor goes unsigned rather than signed by a key nobody vouches for)."""
    member = roster.verified(session).member(reviewer.id)
    return key if key is not None and member is not None and member.signing_key == key.public else None


def login_bucket(session: Session, *, username: str, device_token: str) -> str | None:
    """The rate-limit key of the trusted device behind `device_token` when it is the named account's
    (its logins are counted per device, outside the global login ceiling); None otherwise — for any
    other cookie and for every name that is no account alike."""
    name = username.strip().lower()
    device = trusted_device(session, token=device_token, reviewer=account_named(session, name))
    return None if device is None else device_bucket(device)
