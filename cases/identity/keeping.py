"""Keeping an identity: its own key, sealed to custodians and the recovery key, never to readers.

Who is a custodian is decided by the signed roster (cases.team.roster, `custodian.appoint` with four
eyes), never by a row: a reviewer row planted or edited by a database writer receives no identity.
A custodian affiliated with the case's unit is recused from its identity like a reader from the case.
The identity key carries a tag (crypto.keys.key_tag, kind "identity") binding it to the case and its
unit: a key swapped into the grants, or a case moved to another unit, is never used or passed on.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from cases.accountability import audit
from cases.errors import CaseNotFound
from cases.identity.content import IdentityContent
from cases.identity.errors import IdentityRefused
from cases.models import Affiliation, AuditEvent, Case, CaseIdentity, IdentityGrant, RecoveryKey, Reviewer
from cases.team import roster
from cases.team.actor import Actor
from cases.team.grants import linked_units, sealing_recovery_key
from cases.team.trust import trust_of
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError
from crypto.keys import KeyPair, key_tag, new_symmetric_key, open_grant, seal_key, tag_matches

KIND = "identity"
PASS_BATCH = 200
logger = logging.getLogger(__name__)


def _metadata(case_id: str) -> ItemMetadata:
    """The identity's associated data: bound to its case (moved to another case, it fails to open)."""
    return ItemMetadata(case_id=case_id, item_id="identity", author="reporter", kind=KIND, key_kind=KIND, seq=0)


def _tag(session: Session, case: Case, key: bytes) -> bytes:
    return key_tag(trust_of(session).audit_key, key, case_id=case.id, opd_id=case.opd_id, key_kind=KIND)


def _belongs(session: Session, case: Case, row: CaseIdentity, key: bytes) -> bool:
    return row.key_tag is not None and tag_matches(row.key_tag, _tag(session, case, key))


def custodians_for(session: Session, *, opd_id: int, also_recused_units: Sequence[int] = ()) -> list[Reviewer]:
    """Who is sealed identities of cases about `opd_id`: verified custodians, not recused from it (nor
    from `also_recused_units`: a retaliation report's first unit), whose rows hold the keys the roster
    bound (and whose affiliation rows do not exclude them either)."""
    verified = roster.verified(session)
    ids = [member.id for member in verified.members.values() if member.custodian and member.key_holder]
    if not ids:
        return []
    rows = session.scalars(select(Reviewer).where(Reviewer.id.in_(ids), Reviewer.state == "active"))
    units = (opd_id, *also_recused_units)
    affiliated = set(session.scalars(select(Affiliation.reviewer_id).where(Affiliation.opd_id.in_(units))))
    return [r for r in rows if r.id not in affiliated and all(verified.keeps_identities(r, u) for u in units)]


def _account_grant(case_id: str, key: bytes, account: Reviewer, *, kind: str) -> IdentityGrant:
    """The identity key sealed to one account, as a custodian or as the reviewer it was disclosed to."""
    assert account.public_key is not None  # verified custodians and readers hold a key pair
    return IdentityGrant(
        case_id=case_id,
        recipient_kind=kind,
        recipient_id=account.recipient_id,
        reviewer_id=account.id,
        sealed=seal_key(
            key, recipient_public=account.public_key, case_id=case_id, key_kind=KIND, recipient_id=account.recipient_id
        ),
    )


def _custodian_grant(case_id: str, key: bytes, custodian: Reviewer) -> IdentityGrant:
    return _account_grant(case_id, key, custodian, kind="custodian")


def give_identity(
    session: Session,
    *,
    case: Case,
    content: IdentityContent,
    protection: bool,
    also_recused_units: Sequence[int] | None = None,
) -> None:
    """Seal a reporter's identity under a fresh identity key, sealed to the case unit's custodians and
    the recovery key (docs/IDENTITY.md says why the recovery key). Refused when the case already
    holds one; a withdrawn identity may be given again."""
    if content.empty and not protection:
        raise IdentityRefused("empty")
    if content.too_long():
        raise IdentityRefused("too_long")
    row = session.get(CaseIdentity, case.id)
    if row is not None and row.state == "held":
        raise IdentityRefused("held")
    recovery = sealing_recovery_key(session)
    key = new_symmetric_key()
    if row is None:
        row = CaseIdentity(case_id=case.id)
        session.add(row)
    row.state = "held"
    row.protection_requested = protection
    row.ciphertext = encrypt_item(key, content.to_bytes(), _metadata(case.id))
    row.key_tag = _tag(session, case, key)
    if also_recused_units is None:  # given later, from the reporter's page: the links say it
        also_recused_units = sorted(linked_units(session, [case.id]).get(case.id, ()))
    keepers = custodians_for(session, opd_id=case.opd_id, also_recused_units=also_recused_units)
    grants = [_custodian_grant(case.id, key, custodian) for custodian in keepers]
    grants.append(
        IdentityGrant(
            case_id=case.id,
            recipient_kind="recovery",
            recipient_id=recovery.recipient_id,
            sealed=seal_key(
                key,
                recipient_public=recovery.public_key,
                case_id=case.id,
                key_kind=KIND,
                recipient_id=recovery.recipient_id,
            ),
        )
    )
    session.add_all(grants)


def _own_key(session: Session, *, actor: Actor, case: Case, row: CaseIdentity, kind: str) -> bytes:
    """The identity key from the actor's own grant of that kind (custodian or reviewer), tag checked."""
    grant = session.scalars(
        select(IdentityGrant).where(
            IdentityGrant.case_id == case.id,
            IdentityGrant.recipient_kind == kind,
            IdentityGrant.recipient_id == actor.reviewer.recipient_id,
        )
    ).first()
    if grant is None:
        raise IdentityRefused("no_key")
    try:
        key = open_grant(
            grant.sealed,
            recipient_private=actor.private_key(),
            case_id=case.id,
            key_kind=KIND,
            recipient_id=actor.reviewer.recipient_id,
        )
    except CryptoError:
        key = b""
    if not key or not _belongs(session, case, row, key):
        logger.error("The identity key of case %s fails to open or fails its tag: not used.", case.id)
        raise IdentityRefused("no_key")
    return key


def custodian_key(session: Session, *, actor: Actor, case: Case, row: CaseIdentity) -> bytes:
    """The identity key through the actor's custodian grant; only for a verified custodian of the unit."""
    if not roster.verified(session).keeps_identities(actor.reviewer, case.opd_id):
        raise IdentityRefused("not_custodian")
    return _own_key(session, actor=actor, case=case, row=row, kind="custodian")


def seal_identity_key(case_id: str, key: bytes, reviewer: Reviewer) -> IdentityGrant:
    """The identity key disclosed to one reviewer, for this case only (cases.identity.disclosure)."""
    return _account_grant(case_id, key, reviewer, kind="reviewer")


def encrypt_under_identity(key: bytes, case_id: str, purpose: str, text: str) -> bytes:
    """A text the custodians keep with the identity (a decision's reason), bound to its purpose."""
    metadata = ItemMetadata(case_id=case_id, item_id=purpose, author="team", kind=KIND, key_kind=KIND, seq=0)
    return encrypt_item(key, text.encode("utf-8"), metadata)


def decrypt_under_identity(key: bytes, case_id: str, purpose: str, ciphertext: bytes) -> str:
    metadata = ItemMetadata(case_id=case_id, item_id=purpose, author="team", kind=KIND, key_kind=KIND, seq=0)
    return decrypt_item(key, ciphertext, metadata).decode("utf-8")


@dataclass(frozen=True)
class IdentitySummary:
    """What every reader of the case sees: that an identity exists, and whether protection was asked."""

    state: str  # held | withdrawn
    protection_requested: bool
    custodians: int  # how many hold its key (0: only the recovery key does, docs/IDENTITY.md)


def identity_summary(session: Session, case_id: str) -> IdentitySummary | None:
    row = session.get(CaseIdentity, case_id)
    if row is None:
        return None
    held = session.scalars(
        select(IdentityGrant.id).where(IdentityGrant.case_id == case_id, IdentityGrant.recipient_kind == "custodian")
    ).all()
    return IdentitySummary(state=row.state, protection_requested=row.protection_requested, custodians=len(held))


def _granted_in_the_open(session: Session, *, case_id: str, reviewer_id: str) -> bool:
    """A custodian's grant to this reviewer is an authentic `identity.grant` event of the case: a grant
    row written into the database by a custodian (who holds the key) without a decision opens nothing."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == "identity.grant")
    ).all()
    return any(f"to={reviewer_id}" in e.detail.split() and audit.authentic(session, e) for e in events)


def unannounced_disclosures(session: Session) -> list[str]:
    """Cases whose identity key is sealed to a reviewer without an authentic `identity.grant` event
    naming them: made outside the app (cases.team.integrity warns every admin). One small query when
    there are none (identities are rare, disclosures rarer)."""
    rows = session.execute(
        select(IdentityGrant.case_id, IdentityGrant.reviewer_id).where(IdentityGrant.recipient_kind == "reviewer")
    ).all()
    return sorted(
        {
            case_id
            for case_id, reviewer_id in rows
            if not _granted_in_the_open(session, case_id=case_id, reviewer_id=reviewer_id or "")
        }
    )


def read_identity(session: Session, *, actor: Actor, case_id: str) -> IdentityContent:
    """The identity, for the one reviewer a custodian disclosed it to (their `reviewer` grant); the
    reviewer must still read the case. IdentityRefused otherwise: no role, not even admin or the
    assignee, reads it any other way through the apps."""
    case = session.get(Case, case_id)
    row = session.get(CaseIdentity, case_id)
    if case is None:
        raise CaseNotFound()
    if row is None or row.state != "held" or row.ciphertext is None:
        raise IdentityRefused("no_identity")
    if not roster.verified(session).reads(actor.reviewer, case.opd_id):
        raise IdentityRefused("not_reader")
    if not _granted_in_the_open(session, case_id=case.id, reviewer_id=actor.id):
        raise IdentityRefused("no_key")  # a grant row nobody decided in the app (review finding)
    key = _own_key(session, actor=actor, case=case, row=row, kind="reviewer")
    try:
        return IdentityContent.from_bytes(decrypt_item(key, row.ciphertext, _metadata(case.id)))
    except CryptoError:
        raise IdentityRefused("no_key") from None


def _may_keep(session: Session, verified: "roster.VerifiedRoster", custodian: Reviewer, units: Sequence[int]) -> bool:
    """The custodian keeps identities of cases about all of `units`, by the roster and by the rows."""
    return all(
        verified.keeps_identities(custodian, unit) and session.get(Affiliation, (custodian.id, unit)) is None
        for unit in units
    )


def pass_to_custodians(session: Session, *, actor: Actor, batch: int = PASS_BATCH) -> int:
    """Identity keys this custodian holds reach other verified custodians of the unit who lack them
    (a custodian appointed after the report, a recusal lifted); at most `batch`, each audited. Runs on
    a custodian's state-changing requests (cases.team.login.catch_up): costs one query otherwise."""
    verified = roster.verified(session)
    if not verified.custodian(actor.id) or not actor.holds_keys:
        return 0
    others = [m.id for m in verified.members.values() if m.custodian and m.key_holder and m.id != actor.id]
    if not others:
        return 0
    mine = aliased(IdentityGrant)
    theirs = aliased(IdentityGrant)
    rows = session.execute(
        select(mine, Case, Reviewer)
        .join(Case, Case.id == mine.case_id)
        .join(Reviewer, Reviewer.id.in_(others))
        .where(
            mine.recipient_kind == "custodian",
            mine.recipient_id == actor.reviewer.recipient_id,
            ~exists().where(
                theirs.case_id == mine.case_id,
                theirs.recipient_kind == "custodian",
                theirs.reviewer_id == Reviewer.id,
            ),
        )
        .order_by(mine.case_id)
        .limit(batch)
    ).all()
    passed = 0
    keys: dict[str, bytes | None] = {}
    linked = linked_units(session, sorted({case.id for _grant, case, _custodian in rows}))
    for _grant, case, custodian in rows:
        if not _may_keep(session, verified, custodian, (case.opd_id, *linked.get(case.id, ()))):
            continue
        if case.id not in keys:
            row = session.get(CaseIdentity, case.id)
            try:
                keys[case.id] = (
                    custodian_key(session, actor=actor, case=case, row=row)
                    if row is not None and row.state == "held"
                    else None
                )
            except IdentityRefused:
                keys[case.id] = None
        key = keys[case.id]
        if key is None:
            continue
        session.add(_custodian_grant(case.id, key, custodian))
        audit.record(session, action="identity.pass", actor_id=actor.id, case_id=case.id, detail=f"to={custodian.id}")
        passed += 1
    session.flush()
    return passed


def reseal_identities_with_recovery(
    session: Session, *, recovery: KeyPair, key: RecoveryKey, custodian: Reviewer
) -> int:
    """After a disaster (`flask recovery reseal`): when the account is a verified custodian, the
    identity keys the recovery key holds are sealed to it too, for the units it is not recused from.
    Never to anyone else: a reader gets no identity this way. Each grant audited."""
    verified = roster.verified(session)
    if not verified.custodian(custodian.id):
        return 0
    theirs = aliased(IdentityGrant)
    rows = session.execute(
        select(IdentityGrant, Case, CaseIdentity)
        .join(Case, Case.id == IdentityGrant.case_id)
        .join(CaseIdentity, CaseIdentity.case_id == Case.id)
        .where(
            IdentityGrant.recipient_kind == "recovery",
            IdentityGrant.recipient_id == key.recipient_id,
            CaseIdentity.state == "held",
            ~exists().where(
                theirs.case_id == IdentityGrant.case_id,
                theirs.recipient_kind == "custodian",
                theirs.reviewer_id == custodian.id,
            ),
        )
    ).all()
    sealed = 0
    linked = linked_units(session, sorted({case.id for _grant, case, _row in rows}))
    for grant, case, row in rows:
        if not _may_keep(session, verified, custodian, (case.opd_id, *linked.get(case.id, ()))):
            continue
        try:
            identity_key = open_grant(
                grant.sealed,
                recipient_private=recovery.private,
                case_id=case.id,
                key_kind=KIND,
                recipient_id=key.recipient_id,
            )
        except CryptoError:
            continue
        if not _belongs(session, case, row, identity_key):
            continue
        session.add(_custodian_grant(case.id, identity_key, custodian))
        audit.record(session, action="identity.pass", case_id=case.id, detail=f"to={custodian.id} via=recovery")
        sealed += 1
    session.flush()
    return sealed
