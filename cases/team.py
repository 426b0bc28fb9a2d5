"""Managing the team: four-eyes approval, disabling, OPD affiliations (recusal).

Admins create and disable accounts and set affiliations (with step-up in the
review app). Approval is deliberately *not* an admin power: it takes a
reviewer who already holds case keys and who did not create the account, so a
corrupt admin cannot mint a sock puppet that reads every case.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from . import audit
from .clock import utc_now
from .custody import end_all_sessions
from .errors import DomainError
from .grants import revoke_grants
from .models import Affiliation, KeyGrant, Opd, Reviewer


class ApprovalRefused(DomainError):
    """`reason`: "self", "creator", "not_holder", "not_active" or "already"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def holds_keys(session: Session, reviewer: Reviewer) -> bool:
    return bool(session.scalar(select(exists().where(KeyGrant.reviewer_id == reviewer.id))))


def approve_reviewer(session: Session, *, approver: Reviewer, reviewer: Reviewer) -> None:
    if reviewer.approved_at is not None:
        raise ApprovalRefused("already")
    if approver.id == reviewer.id:
        raise ApprovalRefused("self")
    if approver.id == reviewer.created_by_id:
        raise ApprovalRefused("creator")
    if reviewer.state != "active" or not reviewer.is_reviewer:
        raise ApprovalRefused("not_active")
    # "Key-holding": an approved reviewer with a key pair, who receives every case
    # they are not recused from. (Before the first report nobody holds a case key
    # yet; requiring an actual grant would leave a new team unable to approve.)
    if (approver.state != "active" or approver.approved_at is None or approver.public_key is None
            or not approver.is_reviewer):
        raise ApprovalRefused("not_holder")
    reviewer.approved_at = utc_now()
    reviewer.approved_by_id = approver.id
    reviewer.needs_grants = True  # key holders' next visits seal existing cases to them
    session.flush()
    audit.record(session, action="account.approve", actor_id=approver.id, detail=f"reviewer={reviewer.id}")


def approve_at_installation(session: Session, *, reviewer: Reviewer) -> bool:
    """The very first reviewer is approved by the installation itself; nobody after."""
    if session.scalar(select(exists().where(Reviewer.approved_at.is_not(None)))):
        return False
    reviewer.approved_at = utc_now()
    audit.record(session, action="account.approve", detail=f"reviewer={reviewer.id} by=installation")
    return True


def disable_reviewer(session: Session, *, actor: Reviewer | None, reviewer: Reviewer) -> int:
    """Disable the account, end its sessions and delete its grants. Returns grants deleted."""
    reviewer.state = "disabled"
    reviewer.disabled_at = utc_now()
    end_all_sessions(session, reviewer_id=reviewer.id)
    deleted = revoke_grants(session, reviewer=reviewer, actor_id=actor.id if actor else None)
    audit.record(session, action="account.disable", actor_id=actor.id if actor else None,
                 detail=f"reviewer={reviewer.id}")
    return deleted


def add_affiliation(session: Session, *, actor: Reviewer, reviewer: Reviewer, opd_id: int, kind: str) -> int:
    """Record that `reviewer` belongs to or is conflicted with an OPD; their grants
    for that OPD's cases are deleted at once. Returns grants deleted."""
    if kind not in ("member", "conflict"):
        raise ValueError(kind)
    if session.get(Opd, opd_id) is None:
        raise DomainError("unknown OPD")
    if session.get(Affiliation, (reviewer.id, opd_id)) is None:
        session.add(Affiliation(reviewer_id=reviewer.id, opd_id=opd_id, kind=kind, created_at=utc_now(),
                                created_by_id=actor.id))
        session.flush()
        audit.record(session, action="affiliation.add", actor_id=actor.id,
                     detail=f"reviewer={reviewer.id} opd={opd_id} kind={kind}")
    return revoke_grants(session, reviewer=reviewer, opd_id=opd_id, actor_id=actor.id)


def remove_affiliation(session: Session, *, actor: Reviewer, reviewer: Reviewer, opd_id: int) -> None:
    """Lift a recusal; key holders re-grant the cases at their next login."""
    affiliation = session.get(Affiliation, (reviewer.id, opd_id))
    if affiliation is not None:
        session.delete(affiliation)
        reviewer.needs_grants = True
        audit.record(session, action="affiliation.remove", actor_id=actor.id,
                     detail=f"reviewer={reviewer.id} opd={opd_id}")


@dataclass(frozen=True)
class TeamMember:
    reviewer: Reviewer
    affiliations: list[tuple[Opd, str]]
    holds_keys: bool


def team(session: Session) -> list[TeamMember]:
    members = []
    for reviewer in session.scalars(select(Reviewer).order_by(Reviewer.username)):
        affiliations = [(opd, kind) for opd, kind in session.execute(
            select(Opd, Affiliation.kind).join(Affiliation, Affiliation.opd_id == Opd.id)
            .where(Affiliation.reviewer_id == reviewer.id).order_by(Opd.name)
        )]
        members.append(TeamMember(reviewer, affiliations, holds_keys(session, reviewer)))
    return members


def pending_approvals(session: Session) -> list[Reviewer]:
    """Activated reviewers still waiting for a second person's approval."""
    return list(session.scalars(select(Reviewer).where(
        Reviewer.state == "active", Reviewer.is_reviewer.is_(True), Reviewer.approved_at.is_(None)
    ).order_by(Reviewer.username)))
