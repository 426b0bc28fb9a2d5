"""Reviewer accounts: creation with a one-time passphrase, activation, login.

Login does the same work whether or not the account exists (a dummy Argon2id
derivation on the miss path), and never says whether the name or the
passphrase was wrong. Activation is when a reviewer's key pair is born; the
admin who created the account never learns the passphrase that wraps it.
"""

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from cases.accountability import audit
from cases.models import RecoveryKey, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.team import roster
from cases.team.actor import Actor
from cases.team.errors import AccountExists, LoginFailed, NotAKeyHolder, PassphraseRejected
from cases.team.login_throttle import (
    clear_failures,
    reserve_attempt,
    reserve_device_attempt,
    reserve_unknown_attempt,
)
from cases.team.notifications import set_email
from cases.team.trusted_devices import trusted_device
from crypto import passphrase as pp
from crypto.errors import CryptoError
from crypto.keys import KeyPair, generate_keypair
from crypto.receipts import ALPHABET
from crypto.signing import SigningKey, fingerprint, generate_signing_key

MIN_PASSPHRASE_CHARS = 15
MAX_PASSPHRASE_CHARS = pp.MAX_PASSPHRASE_CHARS
_ACTIVATION_GROUPS = 5  # 5 x 4 Crockford characters = 100 random bits
_DUMMY_SALT = bytes(pp.SALT_BYTES)


@dataclass(frozen=True)
class LoginOutcome:
    reviewer: Reviewer
    keypair: KeyPair | None  # None while the account still needs activation
    # The signing key: after a full login always; at activation only a founder's (made at installation).
    signing: SigningKey | None = None

    @property
    def needs_activation(self) -> bool:
        return self.keypair is None

    @property
    def needs_code(self) -> bool:
        return self.keypair is not None and self.reviewer.totp_enabled


def _activation_digest(text: str) -> bytes:
    compact = text.upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(b"kanal-integritas/v1/activation" + compact.encode()).digest()


def new_activation_passphrase() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(_ACTIVATION_GROUPS))


def reissue_activation(reviewer: Reviewer) -> str:
    """A new one-time activation passphrase for the account (a forgotten passphrase's reset): the
    digest is stored, the passphrase returned to show once."""
    activation = new_activation_passphrase()
    reviewer.activation_hash = _activation_digest(activation)
    return activation


def new_account_row(
    session: Session,
    *,
    username: str,
    display_name: str,
    is_admin: bool = False,
    is_reviewer: bool = True,
    created_by_id: str | None = None,
) -> tuple[Reviewer, str]:
    """A pending account row and its activation passphrase, with no roster entry: on its own it can
    never be approved or read anything (the roster decides). Used by the two functions below, and
    by demo data."""
    username = username.strip().lower()
    if session.scalars(select(Reviewer.id).where(Reviewer.username == username)).first() is not None:
        raise AccountExists()
    activation = new_activation_passphrase()
    reviewer = Reviewer(
        username=username,
        display_name=display_name.strip() or username,
        is_admin=is_admin,
        is_reviewer=is_reviewer,
        state="pending",
        activation_hash=_activation_digest(activation),
        created_at=to_hour(utc_now()),
        created_by_id=created_by_id,
    )
    session.add(reviewer)
    session.flush()
    return reviewer, activation


def create_reviewer(
    session: Session,
    *,
    username: str,
    display_name: str,
    creator: Actor,
    is_admin: bool = False,
    is_reviewer: bool = True,
    email: str = "",
) -> tuple[Reviewer, str]:
    """A pending account and its one-time activation passphrase (shown once).

    The creator must be a key-holding admin in the verified roster; the
    `account.create` entry they sign is what later stops them approving it.
    `email` (optional) is where content-free activity notifications go.
    """
    creator_key = creator.signing_key()
    member = roster.verified(session).member(creator.id)
    if (
        member is None
        or not member.key_holder
        or not member.admin
        or creator.reviewer.signing_public_key != creator_key.public
    ):
        raise NotAKeyHolder()
    reviewer, activation = new_account_row(
        session,
        username=username,
        display_name=display_name,
        is_admin=is_admin,
        is_reviewer=is_reviewer,
        created_by_id=creator.id,
    )
    roster.append(
        session,
        action="account.create",
        subject_id=reviewer.id,
        fields={"username": reviewer.username, "admin": is_admin, "reviewer": is_reviewer, "by": creator.id},
        signers=[(creator.id, creator_key)],
    )
    audit.record(session, action="account.create", actor_id=creator.id, detail=f"reviewer={reviewer.id}")
    if email.strip():
        set_email(session, actor_id=creator.id, reviewer=reviewer, email=email)
    return reviewer, activation


def create_founder(
    session: Session,
    *,
    username: str,
    display_name: str,
    is_admin: bool = True,
    is_reviewer: bool = True,
    email: str = "",
    vouch_recovery: RecoveryKey | None = None,
) -> tuple[Reviewer, str, str]:
    """A founding key holder (the installation ceremony, docs/INSTALL.md).

    Their signing key is made now, wrapped under the one-time activation
    passphrase until they activate, and signs the `founder` roster entry.
    Returns the account, the activation passphrase and the signing-key
    fingerprint that must go into the roots of trust: until it is there, the
    entry verifies for nobody. With `vouch_recovery`, the founder also signs a
    `recovery.install` entry for the recovery key installed at the same ceremony.
    """
    reviewer, activation = new_account_row(
        session,
        username=username,
        display_name=display_name,
        is_admin=is_admin,
        is_reviewer=is_reviewer,
        created_by_id=None,
    )
    key = generate_signing_key()
    reviewer.signing_public_key = key.public
    reviewer.wrapped_signing_key = pp.wrap_for_activation(activation, key, owner_id=reviewer.id)
    reviewer.approved_at = to_hour(utc_now())  # for display; what counts is the roots listing the fingerprint
    reviewer.needs_grants = True  # a founder added later receives earlier cases at key holders' next visits
    roster.append(
        session,
        action="founder",
        subject_id=reviewer.id,
        fields={
            "username": reviewer.username,
            "signing_key": key.public.hex(),
            "admin": is_admin,
            "reviewer": is_reviewer,
        },
        signers=[(reviewer.id, key)],
    )
    if vouch_recovery is not None:
        roster.append(
            session,
            action="recovery.install",
            subject_id=reviewer.id,
            fields={"by": reviewer.id, "recovery": roster.encryption_fingerprint(vouch_recovery.public_key)},
            signers=[(reviewer.id, key)],
        )
    audit.record(session, action="account.create", detail=f"reviewer={reviewer.id} founder")
    if email.strip():
        set_email(session, actor_id=None, reviewer=reviewer, email=email)
    return reviewer, activation, fingerprint(key.public)


def account_named(session: Session, username: str) -> Reviewer | None:
    """The account with that user name (stored lower-case), whatever its state."""
    return session.scalars(select(Reviewer).where(Reviewer.username == username.lower())).first()


def any_account(session: Session) -> bool:
    """Whether any account exists yet (the first start makes one)."""
    return session.scalars(select(Reviewer.id).limit(1)).first() is not None


def check_passphrase_policy(new_passphrase: str, *, username: str) -> None:
    """NIST SP 800-63B: length, and not common or guessable; no composition rules.

    "Common" is zxcvbn's list of the 30,000 most used passwords; "guessable" is
    zxcvbn's estimate below 3 (it catches repeats, keyboard walks, dates and
    words the list misses). zxcvbn sees the first 72 characters only (its limit):
    a passphrase longer than that is long enough.
    """
    if len(new_passphrase) < MIN_PASSPHRASE_CHARS:
        raise PassphraseRejected("too_short")
    if len(new_passphrase) > pp.MAX_PASSPHRASE_CHARS:
        raise PassphraseRejected("too_long")
    folded = new_passphrase.strip().lower()
    if folded == username.lower() or folded in _common_passwords() or len(set(new_passphrase)) < 4:
        raise PassphraseRejected("too_guessable")
    if zxcvbn(new_passphrase[:72], user_inputs=[username, "kanal", "integritas", "jateng"])["score"] < 3:
        raise PassphraseRejected("too_guessable")


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def authenticate(
    session: Session, *, username: str, passphrase: str, kdf: pp.KdfParams, device_token: str = ""
) -> LoginOutcome:
    """`device_token`: the reviewer's trusted-device cookie, if any (cases.team.trusted_devices): an
    attempt from the account's own trusted device is counted against the device, not the account."""
    if len(passphrase) > pp.MAX_PASSPHRASE_CHARS:
        raise LoginFailed()
    name = username.strip().lower()
    reviewer = session.scalars(select(Reviewer).where(Reviewer.username == name)).first()
    device = trusted_device(session, token=device_token, reviewer=reviewer)  # the same look-up for any name
    if reviewer is None or reviewer.state not in ("pending", "active"):
        reserve_unknown_attempt(session, username=name)  # locks like a real account (may raise AccountLocked)
        pp.derive_passphrase_keys(passphrase, salt=_DUMMY_SALT, params=kdf)
        raise LoginFailed()
    if device is not None:
        reserve_device_attempt(session, device=device)  # the account's lock does not hold it back
    else:
        reserve_attempt(session, reviewer=reviewer)  # may raise AccountLocked
    if reviewer.state == "pending":
        pp.derive_passphrase_keys(passphrase, salt=_DUMMY_SALT, params=kdf)  # same cost as a real login
        if reviewer.activation_hash is None or not hmac.compare_digest(
            _activation_digest(passphrase), reviewer.activation_hash
        ):
            raise LoginFailed()
        clear_failures(reviewer)
        signing = None
        if reviewer.wrapped_signing_key is not None:  # a founder: the key made at installation
            try:
                signing = pp.unwrap_for_activation(passphrase, reviewer.wrapped_signing_key, owner_id=reviewer.id)
            except CryptoError:
                raise LoginFailed() from None
        return LoginOutcome(reviewer=reviewer, keypair=None, signing=signing)

    if not (reviewer.kdf_params and reviewer.kdf_salt and reviewer.login_verifier and reviewer.wrapped_private_key):
        raise LoginFailed()  # a damaged account row never logs in, and never crashes the login page
    try:
        params = pp.KdfParams.decode(reviewer.kdf_params)
        keys = pp.derive_passphrase_keys(passphrase, salt=reviewer.kdf_salt, params=params)
        if not pp.verifier_matches(keys.verifier, reviewer.login_verifier):
            raise LoginFailed()
        keypair = pp.unwrap_private_key(keys, reviewer.wrapped_private_key, owner_id=reviewer.id)
        if reviewer.wrapped_signing_key is None:
            signing = _first_signing_key(session, reviewer=reviewer, keys=keys, keypair=keypair)
        else:
            signing = pp.unwrap_signing_key(keys, reviewer.wrapped_signing_key, owner_id=reviewer.id)
    except (CryptoError, ValueError):  # ValueError: a salt Argon2id refuses
        raise LoginFailed() from None
    if device is None and not reviewer.totp_enabled:
        clear_failures(reviewer)  # no second step to come (enrolment follows); a device clears at its code
    audit.record(session, action="login.passphrase", actor_id=reviewer.id)
    return LoginOutcome(reviewer=reviewer, keypair=keypair, signing=signing)


def _bind_keys(
    session: Session, *, reviewer: Reviewer, keys: pp.PassphraseKeys, keypair: KeyPair, signing: SigningKey
) -> None:
    """Store the signing key wrapped like the private key, and sign the `account.activate` entry."""
    reviewer.signing_public_key = signing.public
    reviewer.wrapped_signing_key = pp.wrap_signing_key(keys, signing, owner_id=reviewer.id)
    roster.append(
        session,
        action="account.activate",
        subject_id=reviewer.id,
        fields={"signing_key": signing.public.hex(), "encryption_key": roster.encryption_fingerprint(keypair.public)},
        signers=[(reviewer.id, signing)],
    )


def _first_signing_key(
    session: Session, *, reviewer: Reviewer, keys: pp.PassphraseKeys, keypair: KeyPair
) -> SigningKey:
    """An account activated before signing keys existed gets one at its next login (it then
    needs a roster approval, or the founding ceremony, before it is sealed anything new)."""
    signing = generate_signing_key()
    reviewer.signing_public_key = signing.public
    reviewer.wrapped_signing_key = pp.wrap_signing_key(keys, signing, owner_id=reviewer.id)
    return signing  # bound into the roster only by `roster found` (docs/INSTALL.md, upgrading)


def activate(
    session: Session, *, reviewer: Reviewer, new_passphrase: str, kdf: pp.KdfParams, signing: SigningKey | None = None
) -> tuple[KeyPair, SigningKey]:
    """Set the reviewer's own passphrase and create their key pair and signing key
    (a founder brings the signing key made at installation, `signing`)."""
    if reviewer.state != "pending":
        raise LoginFailed()
    check_passphrase_policy(new_passphrase, username=reviewer.username)
    salt = pp.new_salt()
    keys = pp.derive_passphrase_keys(new_passphrase, salt=salt, params=kdf)
    keypair = generate_keypair()
    reviewer.kdf_params = kdf.encode()
    reviewer.kdf_salt = salt
    reviewer.login_verifier = keys.verifier
    reviewer.public_key = keypair.public
    reviewer.wrapped_private_key = pp.wrap_private_key(keys, keypair, owner_id=reviewer.id)
    if signing is None or reviewer.signing_public_key != signing.public:
        signing = generate_signing_key()
    _bind_keys(session, reviewer=reviewer, keys=keys, keypair=keypair, signing=signing)
    reviewer.activation_hash = None
    reviewer.state = "active"
    reviewer.activated_at = to_hour(utc_now())
    session.flush()
    audit.record(session, action="account.activate", actor_id=reviewer.id)
    return keypair, signing


def own_passphrase_matches(*, reviewer: Reviewer, passphrase: str) -> bool:
    """Whether `passphrase` is the account's current one (compared in constant time). The caller
    counts the attempt first (cases.team.login.change_passphrase)."""
    if len(passphrase) > pp.MAX_PASSPHRASE_CHARS or not (
        reviewer.kdf_params and reviewer.kdf_salt and reviewer.login_verifier
    ):
        return False
    try:
        keys = pp.derive_passphrase_keys(
            passphrase, salt=reviewer.kdf_salt, params=pp.KdfParams.decode(reviewer.kdf_params)
        )
    except ValueError:
        return False
    return pp.verifier_matches(keys.verifier, reviewer.login_verifier)


def rewrap_keys(
    *, reviewer: Reviewer, keypair: KeyPair, signing: SigningKey, new_passphrase: str, kdf: pp.KdfParams
) -> None:
    """The same keys, wrapped under a key derived from the new passphrase (a fresh salt, today's
    Argon2id parameters); the old wrapping is overwritten, so the old passphrase opens nothing.
    The public keys do not change, so neither does the signed roster. Raises `PassphraseRejected`."""
    check_passphrase_policy(new_passphrase, username=reviewer.username)
    salt = pp.new_salt()
    keys = pp.derive_passphrase_keys(new_passphrase, salt=salt, params=kdf)
    reviewer.kdf_params = kdf.encode()
    reviewer.kdf_salt = salt
    reviewer.login_verifier = keys.verifier
    reviewer.wrapped_private_key = pp.wrap_private_key(keys, keypair, owner_id=reviewer.id)
    reviewer.wrapped_signing_key = pp.wrap_signing_key(keys, signing, owner_id=reviewer.id)
