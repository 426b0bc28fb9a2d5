"""Managing the team: four-eyes approval, disabling, OPD affiliations (recusal).

Every decision here is also a signed entry of the roster (cases.team.roster), and
the roster, not these rows, decides who is sealed a key. Admins create and
disable accounts and set affiliations (with step-up in the review app).
Approval is deliberately *not* an admin power: it takes a key-holding reviewer
who did not create the account, a fresh TOTP code, and the new reviewer's key
fingerprints confirmed out of band. Lifting a recusal or removing an
affiliation takes two key holders, neither of them the person concerned.
"""

import base64
import json
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.errors import DomainError
from cases.models import Affiliation, KeyGrant, Opd, Reviewer, RosterProposal
from cases.platform.clock import to_hour, utc_now
from cases.team import roster
from cases.team.actor import Actor
from cases.team.errors import ApprovalRefused, NotAKeyHolder, RemovalRefused
from cases.team.grants import regrant_from, revoke_grants
from cases.team.roster import Member
from cases.team.second_factor import check_code
from cases.team.sessions import end_all_sessions
from crypto.signing import SigningKey, fingerprint


def holds_keys(session: Session, reviewer: Reviewer) -> bool:
    return bool(session.scalar(select(exists().where(KeyGrant.reviewer_id == reviewer.id))))


def _holder(session: Session, actor: Actor, key: SigningKey) -> Member:
    """The actor as a verified key holder signing with their own bound key, or NotAKeyHolder."""
    member = roster.verified(session).member(actor.id)
    if member is None or not member.key_holder or member.signing_key != key.public:
        raise NotAKeyHolder()
    return member


@dataclass(frozen=True)
class KeysToConfirm:
    """What an approver reads aloud with the new reviewer before approving (out of band)."""

    signing: str
    encryption: str


def keys_to_confirm(session: Session, reviewer: Reviewer) -> KeysToConfirm | None:
    """The fingerprints the reviewer bound at activation, as the verified roster has them."""
    member = roster.verified(session).member(reviewer.id)
    if member is None or member.signing_key is None or member.encryption_key is None:
        return None
    return KeysToConfirm(signing=fingerprint(member.signing_key), encryption=member.encryption_key)


def session_fingerprints(actor: Actor) -> KeysToConfirm | None:
    """The signed-in reviewer's own fingerprints, from the keys their session holds (no key leaves here)."""
    return own_fingerprints(
        signing=actor.signing_key_or_none(), encryption_public=actor.keypair().public if actor.holds_keys else None
    )


def own_fingerprints(*, signing: SigningKey | None, encryption_public: bytes | None) -> KeysToConfirm | None:
    """What a reviewer reads out to their approver: computed from the keys their own passphrase
    unlocked (the session), never from the database row, which a writer could have swapped."""
    if signing is None or encryption_public is None:
        return None
    return KeysToConfirm(
        signing=fingerprint(signing.public), encryption=roster.encryption_fingerprint(encryption_public)
    )


def approve_reviewer(
    session: Session,
    *,
    approver: Actor,
    reviewer: Reviewer,
    code: str,
    server_secret: bytes,
    shown: KeysToConfirm | None = None,
) -> None:
    """Four eyes: a key-holding reviewer who neither is nor created the account, with a fresh TOTP code,
    signs an approval that binds the fingerprints they confirmed with the new reviewer (`shown`:
    what the approval page displayed; refused as "changed" when the roster now binds others).
    The approver's keys reach the new reviewer at once (cases.team.grants.regrant_from)."""
    approver_key = approver.signing_key_or_none()
    if approver_key is None:
        raise ApprovalRefused("not_holder")
    verified = roster.verified(session)
    member = verified.member(reviewer.id)
    if reviewer.approved_at is not None or (member is not None and member.approved):
        raise ApprovalRefused("already")
    if approver.id == reviewer.id:
        raise ApprovalRefused("self")
    if member is None or member.created_by is None:
        raise ApprovalRefused("not_created")  # no signed account.create: planted, or made before the roster
    if approver.id in (member.created_by, reviewer.created_by_id) or approver.id in member.barred_approvers:
        raise ApprovalRefused("creator")  # the creator, or whoever re-enabled or reset the account
    if (
        reviewer.state != "active"
        or member.encryption_key is None
        or member.signing_key is None
        or not verified.row_matches_unapproved(reviewer)
    ):
        raise ApprovalRefused("not_active")
    approver_member = verified.member(approver.id)
    if (
        approver_member is None
        or not approver_member.key_holder
        or not approver_member.reviewer
        or approver.reviewer.state != "active"
        or approver_member.signing_key != approver_key.public
    ):
        raise ApprovalRefused("not_holder")
    if shown is not None and shown != KeysToConfirm(
        signing=fingerprint(member.signing_key), encryption=member.encryption_key
    ):
        raise ApprovalRefused("changed")
    if not check_code(reviewer=approver.reviewer, code=code, server_secret=server_secret):
        raise ApprovalRefused("code")
    roster.append(
        session,
        action="account.approve",
        subject_id=reviewer.id,
        fields={
            "by": approver.id,
            "signing_key": fingerprint(member.signing_key),
            "encryption_key": member.encryption_key,
        },
        signers=[(approver.id, approver_key)],
    )
    reviewer.approved_at = to_hour(utc_now())
    reviewer.approved_by_id = approver.id
    reviewer.needs_grants = True  # key holders' next visits seal existing cases to them
    reviewer.recovery_requested_at = None  # a reset account is recovered once approved again
    session.flush()
    audit.record(session, action="account.approve", actor_id=approver.id, detail=f"reviewer={reviewer.id}")
    if approver.holds_keys:
        regrant_from(session, actor=approver)


def disable_reviewer(session: Session, *, actor: Actor, reviewer: Reviewer) -> int:
    """Disable the account, end its sessions and delete its grants. Returns grants deleted.

    Signed into the roster by the actor, a key holder (NotAKeyHolder otherwise)."""
    actor_key = actor.signing_key()
    _holder(session, actor, actor_key)
    reviewer.state = "disabled"
    reviewer.disabled_at = to_hour(utc_now())
    end_all_sessions(session, reviewer_id=reviewer.id)
    deleted = revoke_grants(session, reviewer=reviewer, actor_id=actor.id)
    roster.append(
        session,
        action="account.disable",
        subject_id=reviewer.id,
        fields={"by": actor.id},
        signers=[(actor.id, actor_key)],
    )
    audit.record(session, action="account.disable", actor_id=actor.id, detail=f"reviewer={reviewer.id}")
    return deleted


def add_affiliation(session: Session, *, actor: Actor, reviewer: Reviewer, opd_id: int, kind: str) -> int:
    """Record that `reviewer` belongs to or is conflicted with an OPD; their grants
    for that OPD's cases are deleted at once. Returns grants deleted."""
    actor_key = actor.signing_key()
    if kind not in ("member", "conflict"):
        raise ValueError(kind)
    if session.get(Opd, opd_id) is None:
        raise DomainError("unknown OPD")
    member = roster.verified(session).member(actor.id)
    if actor.id != reviewer.id:
        _holder(session, actor, actor_key)
    elif actor.reviewer.signing_public_key != actor_key.public:
        raise NotAKeyHolder()
    # A self-declared conflict is signed into the roster by the key the roster bound to the reviewer;
    # an account the roster does not know yet reads nothing anyway: its recusal is kept as the row.
    signed = actor.id != reviewer.id or (member is not None and member.signing_key == actor_key.public)
    if session.get(Affiliation, (reviewer.id, opd_id)) is None:
        session.add(
            Affiliation(
                reviewer_id=reviewer.id, opd_id=opd_id, kind=kind, created_at=to_hour(utc_now()), created_by_id=actor.id
            )
        )
        session.flush()
        if signed:
            roster.append(
                session,
                action="affiliation.add",
                subject_id=reviewer.id,
                fields={"opd": opd_id, "kind": kind, "by": actor.id},
                signers=[(actor.id, actor_key)],
            )
        audit.record(
            session,
            action="affiliation.add",
            actor_id=actor.id,
            detail=f"reviewer={reviewer.id} opd={opd_id} kind={kind}",
        )
    return revoke_grants(session, reviewer=reviewer, opd_id=opd_id, actor_id=actor.id)


def _removal_key(actor: Actor) -> SigningKey:
    key = actor.signing_key_or_none()
    if key is None:
        raise RemovalRefused("not_holder")
    return key


def _removal_holder(session: Session, actor: Actor, key: SigningKey) -> None:
    try:
        _holder(session, actor, key)
    except NotAKeyHolder:
        raise RemovalRefused("not_holder") from None


def propose_removal(session: Session, *, actor: Actor, reviewer: Reviewer, opd_id: int) -> RosterProposal:
    """First key holder's half of lifting a recusal or removing an affiliation (never one's own)."""
    actor_key = _removal_key(actor)
    if actor.id == reviewer.id:
        raise RemovalRefused("own")
    _removal_holder(session, actor, actor_key)
    if session.get(Affiliation, (reviewer.id, opd_id)) is None:
        raise RemovalRefused("none")
    existing = session.scalars(
        select(RosterProposal).where(RosterProposal.subject_id == reviewer.id, RosterProposal.opd_id == opd_id)
    ).first()
    if existing is not None:
        return existing
    row = roster.store_proposal(
        session, action="affiliation.remove", subject_id=reviewer.id, by=actor.id, key=actor_key, opd_id=opd_id
    )
    audit.record(
        session, action="affiliation.propose_remove", actor_id=actor.id, detail=f"reviewer={reviewer.id} opd={opd_id}"
    )
    return row


def confirm_removal(session: Session, *, actor: Actor, proposal_id: str) -> None:
    """Second key holder's half: the affiliation goes, signed by both; the confirming holder's keys
    reach the reviewer at once, other holders' at their next action."""
    actor_key = _removal_key(actor)
    proposal = session.get(RosterProposal, proposal_id)
    if proposal is None or proposal.opd_id is None:
        raise RemovalRefused("none")
    if actor.id == proposal.subject_id:
        raise RemovalRefused("own")
    if actor.id == proposal.proposed_by_id:
        raise RemovalRefused("same")
    _removal_holder(session, actor, actor_key)
    affiliation = session.get(Affiliation, (proposal.subject_id, proposal.opd_id))
    if affiliation is None:
        session.delete(proposal)
        raise RemovalRefused("none")
    body = json.loads(proposal.body)
    subject_member = roster.verified(session).member(proposal.subject_id)
    added = subject_member.affiliations.get(proposal.opd_id) if subject_member else None
    if added is None or not isinstance(body.get("seen"), int) or body["seen"] < added:
        session.delete(proposal)
        raise RemovalRefused("stale")  # the proposal saw an older affiliation (or none): propose again
    roster.append(
        session,
        action="affiliation.remove",
        subject_id=proposal.subject_id,
        fields={
            "opd": proposal.opd_id,
            "by": actor.id,
            "proposal": body,
            "proposal_signature": base64.b64encode(proposal.signature).decode("ascii"),
        },
        signers=[(actor.id, actor_key)],
    )
    session.delete(affiliation)
    subject = session.get(Reviewer, proposal.subject_id)
    if subject is not None:
        subject.needs_grants = True
    audit.record(
        session,
        action="affiliation.remove",
        actor_id=actor.id,
        detail=f"reviewer={proposal.subject_id} opd={proposal.opd_id} proposed_by={proposal.proposed_by_id}",
    )
    session.delete(proposal)
    session.flush()
    if actor.holds_keys:
        regrant_from(session, actor=actor)


def pending_removals(session: Session) -> list[RosterProposal]:
    return list(
        session.scalars(
            select(RosterProposal)
            .where(RosterProposal.action == "affiliation.remove")
            .order_by(RosterProposal.created_at, RosterProposal.id)
        )
    )


@dataclass(frozen=True)
class TeamMember:
    reviewer: Reviewer
    affiliations: list[tuple[Opd, str]]
    holds_keys: bool
    # The row says approved, but the signed roster does not (planted, edited, or not yet founded).
    unverified: bool = False


def team(session: Session) -> list[TeamMember]:
    verified = roster.verified(session)
    members = []
    for reviewer in session.scalars(select(Reviewer).order_by(Reviewer.username)):
        affiliations = [
            (opd, kind)
            for opd, kind in session.execute(
                select(Opd, Affiliation.kind)
                .join(Affiliation, Affiliation.opd_id == Opd.id)
                .where(Affiliation.reviewer_id == reviewer.id)
                .order_by(Opd.name)
            )
        ]
        member = verified.member(reviewer.id)
        unverified = (
            reviewer.approved_at is not None
            and reviewer.state == "active"
            and (member is None or not member.key_holder or not verified.row_matches(reviewer))
        )
        members.append(TeamMember(reviewer, affiliations, holds_keys(session, reviewer), unverified))
    return members


def pending_approvals(session: Session) -> list[Reviewer]:
    """Activated accounts still waiting for a second person's approval (readers, and accounts without the
    reviewer role that are to hold keys: a custodian, issue 20)."""
    return list(
        session.scalars(
            select(Reviewer)
            .where(Reviewer.state == "active", Reviewer.approved_at.is_(None))
            .order_by(Reviewer.username)
        )
    )


def make_founder(session: Session, *, actor: Actor) -> str:
    """Upgrade ceremony (`roster found`): an existing, activated key holder becomes a founder, signing
    their own founder and activation entries. Returns their signing-key fingerprint, which the
    operator adds to the roots of trust."""
    reviewer, key = actor.reviewer, actor.signing_key()
    roster.append(
        session,
        action="founder",
        subject_id=reviewer.id,
        fields={
            "username": reviewer.username,
            "signing_key": key.public.hex(),
            "admin": reviewer.is_admin,
            "reviewer": reviewer.is_reviewer,
        },
        signers=[(reviewer.id, key)],
    )
    if reviewer.public_key is None:
        raise NotAKeyHolder()
    roster.append(
        session,
        action="account.activate",
        subject_id=reviewer.id,
        fields={
            "signing_key": key.public.hex(),
            "encryption_key": roster.encryption_fingerprint(reviewer.public_key),
        },
        signers=[(reviewer.id, key)],
    )
    reviewer.approved_at = reviewer.approved_at or to_hour(utc_now())  # the row mirrors the roster
    reviewer.needs_grants = True  # key holders pass earlier cases on at their next visit
    audit.record(session, action="roster.found", detail=f"reviewer={reviewer.id}")
    return fingerprint(key.public)
