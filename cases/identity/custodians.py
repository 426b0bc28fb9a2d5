"""Custodians: the role that keeps reporters' identities, given with four eyes (issue 20).

A key-holding admin proposes an account (signing the proposal); another key holder, neither the
proposer nor the account, confirms it, and the roster entry `custodian.appoint` carries both
signatures (cases.team.roster verifies them from the roots). The account must already hold keys
(approved). Revoking takes one key holder: taking a role away can never open anything. The
confirming custodian's own identity keys, and every other custodian's at their next action, reach
the new custodian (cases.identity.keeping.pass_to_custodians).
"""

import base64
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.identity.errors import CustodianRefused
from cases.identity.keeping import pass_to_custodians
from cases.models import Reviewer, RosterProposal
from cases.team import roster
from cases.team.actor import Actor
from cases.team.grants import drop_identity_grants
from crypto.signing import SigningKey

APPOINT = "custodian.appoint"


def _holder_key(session: Session, actor: Actor) -> SigningKey:
    key = actor.signing_key_or_none()
    member = roster.verified(session).member(actor.id)
    if key is None or member is None or not member.key_holder or member.signing_key != key.public:
        raise CustodianRefused("not_holder")
    return key


def propose_custodian(session: Session, *, actor: Actor, reviewer: Reviewer) -> RosterProposal:
    """First half: a key-holding admin proposes `reviewer` (an approved key holder without the reviewer
    role, not themselves): whoever keeps identities must not also read cases, or they would read the
    identities of their cases without asking anyone."""
    key = _holder_key(session, actor)
    if not actor.is_admin or not roster.verified(session).members[actor.id].admin:
        raise CustodianRefused("not_admin")
    if actor.id == reviewer.id:
        raise CustodianRefused("own")
    verified = roster.verified(session)
    member = verified.member(reviewer.id)
    if member is None or not member.key_holder or member.encryption_key is None or not verified.row_matches(reviewer):
        raise CustodianRefused("subject")
    if member.reviewer or reviewer.is_reviewer:
        raise CustodianRefused("reviewer")  # whoever keeps identities reads no case
    if member.custodian:
        raise CustodianRefused("already")
    existing = session.scalars(
        select(RosterProposal).where(RosterProposal.action == APPOINT, RosterProposal.subject_id == reviewer.id)
    ).first()
    if existing is not None:
        return existing
    row = roster.store_proposal(session, action=APPOINT, subject_id=reviewer.id, by=actor.id, key=key)
    audit.record(session, action="custodian.propose", actor_id=actor.id, detail=f"reviewer={reviewer.id}")
    return row


def confirm_custodian(session: Session, *, actor: Actor, proposal_id: str) -> None:
    """Second half: another key holder confirms; the roster entry carries both signatures."""
    key = _holder_key(session, actor)
    proposal = session.get(RosterProposal, proposal_id)
    if proposal is None or proposal.action != APPOINT:
        raise CustodianRefused("none")
    if actor.id == proposal.subject_id:
        raise CustodianRefused("own")
    if actor.id == proposal.proposed_by_id:
        raise CustodianRefused("same")
    verified = roster.verified(session)
    member = verified.member(proposal.subject_id)
    if member is not None and member.custodian:
        session.delete(proposal)
        raise CustodianRefused("already")
    roster.append(
        session,
        action=APPOINT,
        subject_id=proposal.subject_id,
        fields={
            "by": actor.id,
            "proposal": json.loads(proposal.body),
            "proposal_signature": base64.b64encode(proposal.signature).decode("ascii"),
        },
        signers=[(actor.id, key)],
    )
    if not roster.verified(session).custodian(proposal.subject_id):
        raise CustodianRefused("subject")  # the entry does not verify (the subject lost their keys since)
    audit.record(
        session,
        action="custodian.appoint",
        actor_id=actor.id,
        detail=f"reviewer={proposal.subject_id} proposed_by={proposal.proposed_by_id}",
    )
    session.delete(proposal)
    session.flush()
    pass_to_custodians(session, actor=actor)


def revoke_custodian(session: Session, *, actor: Actor, reviewer: Reviewer) -> int:
    """One key holder takes the role away; the account's custodian grants go. Returns grants deleted."""
    key = _holder_key(session, actor)
    if not roster.verified(session).custodian(reviewer.id):
        raise CustodianRefused("none")
    roster.append(
        session, action="custodian.revoke", subject_id=reviewer.id, fields={"by": actor.id}, signers=[(actor.id, key)]
    )
    deleted = drop_identity_grants(session, reviewer_id=reviewer.id, kind="custodian")
    audit.record(session, action="custodian.revoke", actor_id=actor.id, detail=f"reviewer={reviewer.id}")
    return deleted


@dataclass(frozen=True)
class Custodians:
    """What the team page shows: the verified custodians and the appointments waiting for a second key holder."""

    ids: frozenset[str]
    proposals: list[RosterProposal]


def custodians(session: Session) -> Custodians:
    verified = roster.verified(session)
    return Custodians(
        ids=frozenset(m.id for m in verified.members.values() if m.custodian and m.key_holder),
        proposals=list(
            session.scalars(
                select(RosterProposal)
                .where(RosterProposal.action == APPOINT)
                .order_by(RosterProposal.created_at, RosterProposal.id)
            )
        ),
    )
