"""Who receives a case's keys, and sealing them (DESIGN.md §4).

The case key goes to every eligible reviewer, the recovery key and the
reporter; the team key to eligible reviewers and the recovery key only.

"Eligible" is decided by the signed roster verified from the roots of trust
(cases.team.roster), not by the `reviewer` and `affiliation` rows: a reviewer row
planted or edited by a database writer, a swapped public key, or a deleted
affiliation row gets nothing. The rows can only take access away (a row
marked disabled or affiliated is skipped even when the roster allows it).
The recovery key is sealed to only when its fingerprint is a root.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from cases.accountability import audit
from cases.errors import CaseNotFound
from cases.models import Affiliation, Case, CaseLink, IdentityGrant, KeyGrant, RecoveryKey, Reviewer
from cases.platform.clock import to_hour, utc_now
from cases.reporting.errors import RecoveryKeyMissing
from cases.team import roster
from cases.team.actor import Actor
from cases.team.trust import trust_of
from crypto.errors import CryptoError
from crypto.keys import GrantOpener, key_tag, open_grant, seal_key, tag_matches


def _eligible() -> ColumnElement[bool]:
    """Active, approved (four eyes) reviewers that hold a key pair."""
    return and_(
        Reviewer.state == "active",
        Reviewer.is_reviewer.is_(True),
        Reviewer.public_key.is_not(None),
        Reviewer.approved_at.is_not(None),
    )


def _not_recused(opd_id: Any) -> ColumnElement[bool]:
    return ~exists().where(Affiliation.reviewer_id == Reviewer.id, Affiliation.opd_id == opd_id)


def eligible_reviewers(session: Session, *, opd_id: int, also_recused_units: Sequence[int] = ()) -> list[Reviewer]:
    """Who may be sealed a case about `opd_id`: a reader in the verified roster, not recused
    from the unit there, whose row holds exactly the bound keys and is not affiliated either.
    `also_recused_units`: units the reader must not be recused from either (a retaliation report's
    first report's unit)."""
    verified = roster.verified(session)
    units = (opd_id, *also_recused_units)
    query = select(Reviewer).where(_eligible(), *(_not_recused(unit) for unit in units))
    return [r for r in session.scalars(query) if all(verified.reads(r, unit) for unit in units)]


def linked_recusal(reviewer_id: Any) -> ColumnElement[bool]:
    """A clause on `Case`: the case is a retaliation report linked to a case of a unit the reviewer
    is affiliated with (so the reviewer is recused from it too: issue 20, review finding)."""
    first = aliased(Case)
    return exists().where(
        CaseLink.case_id == Case.id,
        first.id == CaseLink.linked_case_id,
        Affiliation.reviewer_id == reviewer_id,
        Affiliation.opd_id == first.opd_id,
    )


def linked_units(session: Session, case_ids: Sequence[str]) -> dict[str, set[int]]:
    """For each of `case_ids` that is a retaliation report, the unit of the report it follows: the
    roster's recusals from that unit apply to it too."""
    if not case_ids:
        return {}
    first = aliased(Case)
    units: dict[str, set[int]] = {}
    rows = session.execute(
        select(CaseLink.case_id, first.opd_id)
        .join(first, first.id == CaseLink.linked_case_id)
        .where(CaseLink.case_id.in_(list(case_ids)))
    )
    for case_id, opd_id in rows:
        units.setdefault(case_id, set()).add(opd_id)
    return units


def is_reader(session: Session, reviewer: Reviewer) -> bool:
    """Could be sealed cases at all: an active, approved reviewer that the verified roster lists as a
    reader with exactly the keys its row holds (what `eligible_reviewers` asks, short of a unit).
    Only such an account sees figures about cases (docs/MANAGEMENT.md)."""
    if reviewer.state != "active" or not reviewer.is_reviewer or reviewer.approved_at is None:
        return False
    if reviewer.public_key is None:
        return False
    verified = roster.verified(session)
    member = verified.member(reviewer.id)
    return (
        member is not None
        and member.key_holder
        and member.reviewer
        and member.encryption_key is not None
        and verified.row_matches(reviewer)
    )


def holds_case_key(reviewer: Reviewer) -> ColumnElement[bool]:
    """A clause on `Case`: the case key is sealed to `reviewer` (uses the recipient index)."""
    return exists().where(
        KeyGrant.case_id == Case.id, KeyGrant.key_kind == "case", KeyGrant.recipient_id == reviewer.recipient_id
    )


def active_recovery_key(session: Session) -> RecoveryKey:
    key = session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))).first()
    if key is None:
        raise RecoveryKeyMissing()
    return key


def recovery_key_verified(session: Session, key: RecoveryKey) -> bool:
    return roster.encryption_fingerprint(key.public_key) in trust_of(session).roots().recovery


def vouchable_recovery_key(session: Session) -> RecoveryKey | None:
    """The installed recovery key, for a founder to sign into the roster, when it is a root; else None."""
    try:
        key = active_recovery_key(session)
    except RecoveryKeyMissing:
        return None
    return key if recovery_key_verified(session, key) else None


@dataclass(frozen=True)
class SealingKey:
    """The recovery key a case is sealed to, as verified against the roots."""

    id: str
    public_key: bytes = field(repr=False)

    @property
    def recipient_id(self) -> str:
        return f"recovery:{self.id}"


def sealing_recovery_key(session: Session, *, version: str = "") -> SealingKey:
    """The active recovery key, only if its fingerprint is a root: a recovery row swapped by a
    database writer would otherwise receive every case. Refused like a missing key.

    With `version` (the `reference_version` token this request read: cases.platform.seed), the
    verified key is kept per process while the token and the recovery roots stay the same (issue 21,
    point 1): installing a recovery key gives a new token, and a root removed is seen at once. A row
    changed by hand keeps the kept key, which is still a root, until the next token."""
    trust = trust_of(session)
    kept_under = (version, trust.roots().recovery)
    kept = trust.cache.get("recovery_key")
    if version and kept is not None and kept[0] == kept_under:
        verified: SealingKey = kept[1]
        return verified
    key = active_recovery_key(session)
    if not recovery_key_verified(session, key):
        raise RecoveryKeyMissing()
    verified = SealingKey(id=key.id, public_key=key.public_key)
    if version:
        trust.cache["recovery_key"] = (kept_under, verified)
    return verified


def _grant(
    case_id: str,
    key: bytes,
    *,
    key_kind: str,
    recipient_kind: str,
    recipient_id: str,
    public: bytes,
    reviewer_id: str | None = None,
) -> KeyGrant:
    return KeyGrant(
        case_id=case_id,
        key_kind=key_kind,
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        reviewer_id=reviewer_id,
        sealed=seal_key(key, recipient_public=public, case_id=case_id, key_kind=key_kind, recipient_id=recipient_id),
        created_at=to_hour(utc_now()),
    )


def reviewer_key_grant(case_id: str, key: bytes, *, key_kind: str, reviewer: Reviewer) -> KeyGrant:
    """`key` sealed to one reviewer (who is already known to be a verified reader)."""
    assert reviewer.public_key is not None  # verified readers hold a key pair
    return _grant(
        case_id,
        key,
        key_kind=key_kind,
        recipient_kind="reviewer",
        recipient_id=reviewer.recipient_id,
        public=reviewer.public_key,
        reviewer_id=reviewer.id,
    )


_TAG = 32
logger = logging.getLogger(__name__)


def _tag(session: Session, case: Case, kind: str, key: bytes) -> bytes:
    return key_tag(trust_of(session).audit_key, key, case_id=case.id, opd_id=case.opd_id, key_kind=kind)


def key_belongs(session: Session, case: Case, kind: str, key: bytes) -> bool:
    """Is `key` the case's own key of that kind, for the unit it was submitted about? False for a key a
    database writer sealed into the grants, a case moved to another unit, or a case from before tags
    (until `items upgrade`)."""
    return _belongs(trust_of(session).audit_key, case.id, case.opd_id, case.seal_tag, kind, key)


def _belongs(secret: bytes, case_id: str, opd_id: int, seal_tag: bytes | None, kind: str, key: bytes) -> bool:
    if seal_tag is None or len(seal_tag) != 2 * _TAG:
        return False
    expected = seal_tag[:_TAG] if kind == "case" else seal_tag[_TAG:]
    return tag_matches(expected, key_tag(secret, key, case_id=case_id, opd_id=opd_id, key_kind=kind))


def tag_case(session: Session, case: Case, *, case_key: bytes, team_key: bytes) -> None:
    case.seal_tag = _tag(session, case, "case", case_key) + _tag(session, case, "team", team_key)


def seal_new_case(
    session: Session,
    case: Case,
    *,
    case_key: bytes,
    team_key: bytes,
    reporter_public: bytes,
    recovery: SealingKey | None = None,
    readers: Sequence[Reviewer] | None = None,
    also_recused_units: Sequence[int] = (),
) -> None:
    """Seal a new case's keys to the reporter, the recovery key and the eligible readers. `recovery`:
    the key `sealing_recovery_key` returned earlier in the same transaction (checked once, not twice).
    `readers`: what `eligible_reviewers` returned earlier in the same transaction for this case's unit
    (and `also_recused_units`, see there); asked here when not given."""
    recovery = recovery or sealing_recovery_key(session)
    tag_case(session, case, case_key=case_key, team_key=team_key)
    if readers is None:
        readers = eligible_reviewers(session, opd_id=case.opd_id, also_recused_units=also_recused_units)
    grants = [
        _grant(
            case.id,
            case_key,
            key_kind="case",
            recipient_kind="reporter",
            recipient_id=f"reporter:{case.id}",
            public=reporter_public,
        ),
    ]
    for kind, key in (("case", case_key), ("team", team_key)):
        grants.append(
            _grant(
                case.id,
                key,
                key_kind=kind,
                recipient_kind="recovery",
                recipient_id=recovery.recipient_id,
                public=recovery.public_key,
            )
        )
        grants += [reviewer_key_grant(case.id, key, key_kind=kind, reviewer=reviewer) for reviewer in readers]
    session.add_all(grants)


def reviewer_grant(session: Session, *, case_id: str, reviewer: Reviewer, key_kind: str) -> KeyGrant:
    grant = session.scalars(
        select(KeyGrant).where(
            KeyGrant.case_id == case_id,
            KeyGrant.key_kind == key_kind,
            KeyGrant.recipient_id == reviewer.recipient_id,
        )
    ).first()
    if grant is None:
        raise CaseNotFound()
    return grant


def open_reviewer_key(
    session: Session, *, case_id: str, reviewer: Reviewer, private_key: bytes, key_kind: str = "case"
) -> bytes:
    """The reviewer's key of that kind for the case; CaseNotFound without a grant, and when the key
    fails its tag (swapped into the grants, or the case moved to another unit: logged for the team)."""
    grant = reviewer_grant(session, case_id=case_id, reviewer=reviewer, key_kind=key_kind)
    key = open_grant(
        grant.sealed,
        recipient_private=private_key,
        case_id=case_id,
        key_kind=key_kind,
        recipient_id=reviewer.recipient_id,
    )
    case = session.get(Case, case_id)
    if case is None or not key_belongs(session, case, key_kind, key):
        logger.error(
            "The %s key of case %s fails its tag: not used (run `flask audit verify` and check "
            "the case's grants and unit).",
            key_kind,
            case_id,
        )
        raise CaseNotFound()
    return key


def open_reviewer_keys(
    session: Session, *, actor: Actor, case_ids: Sequence[str], key_kind: str = "case"
) -> dict[str, bytes]:
    """The actor's keys of that kind for many cases at once (a page of previews, a search): one query
    for grants and cases, the private key parsed once. A case without a grant is simply absent; one
    whose grant fails to open or whose key fails its tag is absent too, and logged as in
    `open_reviewer_key`. An actor without keys gets CaseNotFound."""
    if not case_ids:
        return {}
    reviewer = actor.reviewer
    opener = GrantOpener(actor.private_key())
    secret = trust_of(session).audit_key
    keys: dict[str, bytes] = {}
    rows = session.execute(
        select(KeyGrant.case_id, KeyGrant.sealed, Case.opd_id, Case.seal_tag)
        .join(Case, Case.id == KeyGrant.case_id)
        .where(
            KeyGrant.case_id.in_(case_ids),
            KeyGrant.key_kind == key_kind,
            KeyGrant.recipient_id == reviewer.recipient_id,
        )
    )
    for case_id, sealed, opd_id, seal_tag in rows:
        try:
            key = opener.open(sealed, case_id=case_id, key_kind=key_kind, recipient_id=reviewer.recipient_id)
        except CryptoError:
            key = None
        if key is None or not _belongs(secret, case_id, opd_id, seal_tag, key_kind, key):
            logger.error(
                "The %s key of case %s fails to open or fails its tag: not used (run `flask audit verify` "
                "and check the case's grants and unit).",
                key_kind,
                case_id,
            )
            continue
        keys[case_id] = key
    return keys


REGRANT_BATCH = 200


def _missing_for(session: Session, reviewer: Reviewer) -> int:
    """How many (case, kind) grants this reviewer could have but lacks."""
    allowed = (
        select(Case.id)
        .where(
            ~exists().where(Affiliation.reviewer_id == reviewer.id, Affiliation.opd_id == Case.opd_id),
            ~linked_recusal(reviewer.id),
        )
        .subquery()
    )
    expected = 2 * (session.scalar(select(func.count()).select_from(allowed)) or 0)
    held = session.scalar(select(func.count()).select_from(KeyGrant).where(KeyGrant.reviewer_id == reviewer.id)) or 0
    return expected - held


def regrant_from(session: Session, *, actor: Actor, batch: int = REGRANT_BATCH) -> int:
    """Seal keys `holder` holds to eligible reviewers who lack them; at most `batch` grants.

    Runs whenever a key holder logs in or opens the case list, so new (approved)
    colleagues and lifted recusals catch up without anyone handling keys by hand.
    Only reviewers flagged `needs_grants` are considered (the flag is cleared once
    they hold every case they may read), so the common case costs one small query.
    Every grant is audited.
    """
    holder, private_key = actor.reviewer, actor.private_key()
    flagged = session.scalar(
        select(func.count())
        .select_from(Reviewer)
        .where(Reviewer.needs_grants.is_(True), Reviewer.id != holder.id, _eligible())
    )
    if not flagged:
        return 0
    verified = roster.verified(session)
    readers = [member.id for member in verified.members.values() if member.key_holder and member.reviewer]
    if not verified.key_holder(holder.id) or not readers:
        return 0  # only a verified key holder passes keys on, and only to verified readers
    target = aliased(Reviewer)
    existing = aliased(KeyGrant)
    rows = session.execute(
        select(KeyGrant, Case.opd_id, target)
        .join(Case, Case.id == KeyGrant.case_id)
        .join(
            target,
            and_(
                target.id != holder.id,
                target.id.in_(readers),
                target.needs_grants.is_(True),
                target.state == "active",
                target.is_reviewer.is_(True),
                target.public_key.is_not(None),
                target.approved_at.is_not(None),
            ),
        )
        .where(
            KeyGrant.recipient_id == holder.recipient_id,
            ~exists().where(
                existing.case_id == KeyGrant.case_id,
                existing.key_kind == KeyGrant.key_kind,
                existing.reviewer_id == target.id,
            ),
            ~exists().where(Affiliation.reviewer_id == target.id, Affiliation.opd_id == Case.opd_id),
            ~linked_recusal(target.id),
        )
        .order_by(KeyGrant.case_id, KeyGrant.key_kind)
        .limit(batch)
    ).all()
    keys: dict[tuple[str, str], bytes] = {}
    targets: dict[str, Reviewer] = {}
    linked = linked_units(session, sorted({grant.case_id for grant, _opd, _reviewer in rows}))
    passed = [
        (grant, reviewer)
        for grant, opd, reviewer in rows
        if all(verified.reads(reviewer, unit) for unit in (opd, *linked.get(grant.case_id, ())))
    ]
    refused: set[tuple[str, str]] = set()
    for grant, reviewer in passed:
        slot = (grant.case_id, grant.key_kind)
        if slot in refused:
            continue
        if slot not in keys:
            key = open_grant(
                grant.sealed,
                recipient_private=private_key,
                case_id=grant.case_id,
                key_kind=grant.key_kind,
                recipient_id=holder.recipient_id,
            )
            case = session.get(Case, grant.case_id)
            if case is None or not key_belongs(session, case, grant.key_kind, key):
                refused.add(slot)  # never pass on a key that fails its tag (moved unit, swapped key)
                continue
            keys[slot] = key
        targets[reviewer.id] = reviewer
        session.add(reviewer_key_grant(grant.case_id, keys[slot], key_kind=grant.key_kind, reviewer=reviewer))
        audit.record(
            session,
            action="grant.create",
            actor_id=holder.id,
            case_id=grant.case_id,
            detail=f"kind={grant.key_kind} to={reviewer.id}",
        )
    session.flush()
    for reviewer in session.scalars(select(Reviewer).where(Reviewer.needs_grants.is_(True))):
        if _missing_for(session, reviewer) <= 0:
            reviewer.needs_grants = False
    return sum(1 for grant, _reviewer in passed if (grant.case_id, grant.key_kind) not in refused)


def revoke_grants(
    session: Session, *, reviewer: Reviewer, opd_id: int | None = None, actor_id: str | None = None
) -> int:
    """Delete a reviewer's grants (all, or for cases about one OPD); audited."""
    query = select(KeyGrant).where(KeyGrant.reviewer_id == reviewer.id)
    if opd_id is not None:
        query = query.where(KeyGrant.case_id.in_(select(Case.id).where(Case.opd_id == opd_id)))
    grants = session.scalars(query).all()
    for grant in grants:
        audit.record(
            session,
            action="grant.delete",
            actor_id=actor_id,
            case_id=grant.case_id,
            detail=f"kind={grant.key_kind} of={reviewer.id}",
        )
    if grants:
        session.execute(delete(KeyGrant).where(KeyGrant.id.in_([g.id for g in grants])))
    drop_identity_grants(session, reviewer_id=reviewer.id, opd_id=opd_id)
    return len(grants)


def drop_identity_grants(
    session: Session, *, reviewer_id: str, opd_id: int | None = None, kind: str | None = None
) -> int:
    """Delete a reviewer's identity grants (issue 20; all, for cases about one unit, or of one kind):
    their account was disabled or affiliated with the unit, or their custodian role revoked."""
    query = delete(IdentityGrant).where(IdentityGrant.reviewer_id == reviewer_id)
    if opd_id is not None:
        query = query.where(IdentityGrant.case_id.in_(select(Case.id).where(Case.opd_id == opd_id)))
    if kind is not None:
        query = query.where(IdentityGrant.recipient_kind == kind)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class WaitingForKeys:
    """Cases a reader should read (the signed roster does not exclude them from their unit) but holds
    no key for yet, by what brings the key."""

    from_colleague: int  # another reader holds it: it is passed on when that reader is next active
    recovery_only: int  # nobody active holds it: the recovery key re-seals it (docs/RECOVERY.md)

    @property
    def total(self) -> int:
        return self.from_colleague + self.recovery_only


def waiting_for_keys(session: Session, reviewer: Reviewer) -> WaitingForKeys | None:
    """What the case list says about the cases this reviewer cannot read yet; None for a reviewer
    who is not a reader (they are told their account awaits approval, and are shown no count).
    Cases of units the signed roster excludes the reviewer from are never counted: a count
    would tell a conflicted reviewer that their unit was reported."""
    if not is_reader(session, reviewer):
        return None
    member = roster.verified(session).member(reviewer.id)
    excluded = list(member.affiliations) if member is not None else []
    missing = ~holds_case_key(reviewer)
    if excluded:
        first = aliased(Case)
        linked_to_excluded = exists().where(
            CaseLink.case_id == Case.id, first.id == CaseLink.linked_case_id, first.opd_id.in_(excluded)
        )
        missing = and_(missing, Case.opd_id.not_in(excluded), ~linked_to_excluded)
    holder = aliased(Reviewer)
    held_by_colleague = exists().where(
        KeyGrant.case_id == Case.id,
        KeyGrant.key_kind == "case",
        KeyGrant.reviewer_id == holder.id,
        holder.id != reviewer.id,
        holder.state == "active",
        holder.approved_at.is_not(None),
        holder.is_reviewer.is_(True),
    )
    count = select(func.count()).select_from(Case)
    return WaitingForKeys(
        from_colleague=session.scalar(count.where(missing, held_by_colleague)) or 0,
        recovery_only=session.scalar(count.where(missing, ~held_by_colleague)) or 0,
    )


def unreadable_cases(session: Session) -> list[str]:
    """Cases no eligible reviewer holds the case key for (only the recovery key can open them)."""
    holder = aliased(Reviewer)
    readable = exists().where(
        KeyGrant.case_id == Case.id,
        KeyGrant.key_kind == "case",
        KeyGrant.reviewer_id == holder.id,
        holder.state == "active",
        holder.approved_at.is_not(None),
        holder.is_reviewer.is_(True),
    )
    return list(session.scalars(select(Case.id).where(~readable).order_by(Case.received_at)))
