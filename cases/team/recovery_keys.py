"""Installing the organisation recovery key's public half."""

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

from cases.accountability import audit
from cases.errors import DomainError
from cases.models import Affiliation, Case, KeyGrant, RecoveryKey, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.platform.seed import new_reference_token
from cases.team import roster
from cases.team.errors import RecoveryMismatch, RecoverySecretUnreadable
from cases.team.grants import key_belongs, linked_recusal, linked_units, reviewer_key_grant
from crypto.errors import CryptoError
from crypto.keys import open_grant
from crypto.recovery import new_master_secret, parse_recovery_input, recovery_keypair, split_master_secret


def generate_recovery_key(
    session: Session, *, actor_id: str | None = None, master: bytes | None = None
) -> tuple[RecoveryKey, bytes]:
    """A new active recovery key; returns the master secret to show once and never store.

    Its fingerprint (`recovery_fingerprint`) must be among the roots of trust before any case is
    sealed to it (docs/INSTALL.md)."""
    master = master or new_master_secret()
    keypair = recovery_keypair(master)
    session.execute(update(RecoveryKey).values(active=False))
    key = RecoveryKey(public_key=keypair.public, active=True, created_at=to_hour(utc_now()))
    session.add(key)
    new_reference_token(session)  # every process's kept recovery key is read again (cases.team.grants)
    session.flush()
    audit.record(session, action="recovery.generate", actor_id=actor_id, detail=f"key={key.id}")
    return key, master


def read_recovery_secret(text: str) -> bytes:
    """The master secret as an operator types it: 64 hex digits (groups allowed), or k SLIP-39
    shares, one per line. Raises RecoverySecretUnreadable."""
    try:
        return parse_recovery_input(text)
    except CryptoError:
        raise RecoverySecretUnreadable() from None


def recovery_shares(master: bytes, *, threshold: int, shares: int) -> list[str]:
    """The master secret as SLIP-39 word shares: any `threshold` of the `shares` rebuild it."""
    return split_master_secret(master, threshold=threshold, shares=shares)


def reseal_with_recovery(session: Session, *, master_secret: bytes, reviewer: Reviewer) -> int:
    """Re-seal every case (case and team key) to `reviewer` using the recovery key.

    For when every key holder has lost their passphrase. Respects four eyes (the
    reviewer must be approved) and recusal (no case about their units). Returns
    the number of grants created; each is audited, and the use itself too.
    """
    keypair = recovery_keypair(master_secret)
    key = session.scalars(select(RecoveryKey).where(RecoveryKey.public_key == keypair.public)).first()
    if key is None:
        raise RecoveryMismatch()
    verified = roster.verified(session)
    member = verified.member(reviewer.id)
    if (
        reviewer.state != "active"
        or not (reviewer.is_reviewer or verified.custodian(reviewer.id))  # a custodian gets identities only
        or reviewer.public_key is None
        or member is None
        or not member.key_holder
        or not verified.row_matches(reviewer)
    ):
        raise DomainError("the reviewer must be active and approved in the signed roster")
    audit.record(session, action="recovery.use", detail=f"key={key.id} for={reviewer.id}")
    existing = aliased(KeyGrant)
    grants = session.execute(
        select(KeyGrant, Case.opd_id)
        .join(Case, Case.id == KeyGrant.case_id)
        .where(
            KeyGrant.recipient_id == key.recipient_id,
            ~exists().where(
                existing.case_id == KeyGrant.case_id,
                existing.key_kind == KeyGrant.key_kind,
                existing.reviewer_id == reviewer.id,
            ),
            ~exists().where(Affiliation.reviewer_id == reviewer.id, Affiliation.opd_id == Case.opd_id),
            ~linked_recusal(reviewer.id),
        )
        .order_by(KeyGrant.case_id, KeyGrant.key_kind)
    ).all()
    skipped: set[str] = set()
    linked = linked_units(session, sorted({grant.case_id for grant, _opd in grants}))
    for grant, opd in grants:
        if not all(verified.reads(reviewer, unit) for unit in (opd, *linked.get(grant.case_id, ()))):
            skipped.add(grant.id)
            continue  # recused in the roster (also from a retaliation report's first unit), even if a
            # database writer deleted the affiliation row
        case_key = open_grant(
            grant.sealed,
            recipient_private=keypair.private,
            case_id=grant.case_id,
            key_kind=grant.key_kind,
            recipient_id=key.recipient_id,
        )
        case = session.get(Case, grant.case_id)
        if case is None or not key_belongs(session, case, grant.key_kind, case_key):
            skipped.add(grant.id)
            continue  # a key that fails its tag (moved unit, swapped key) is never passed on
        session.add(reviewer_key_grant(grant.case_id, case_key, key_kind=grant.key_kind, reviewer=reviewer))
        audit.record(
            session,
            action="grant.create",
            case_id=grant.case_id,
            detail=f"kind={grant.key_kind} to={reviewer.id} via=recovery",
        )
    session.flush()
    from cases.identity.keeping import reseal_identities_with_recovery  # the identity room builds on this one

    identities = reseal_identities_with_recovery(session, recovery=keypair, key=key, custodian=reviewer)
    return identities + sum(1 for grant, _opd in grants if grant.id not in skipped)


def recovery_fingerprint(key: RecoveryKey) -> str:
    return roster.encryption_fingerprint(key.public_key)
