"""What the case page shows of a case's identity and protection (issue 20), for one reader."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cases.identity.content import IdentityContent
from cases.identity.disclosure import RequestView, requests_for_case
from cases.identity.errors import IdentityRefused
from cases.identity.keeping import IdentitySummary, identity_summary, read_identity
from cases.identity.protection import StepView, checklist
from cases.team import roster
from cases.team.actor import Actor


@dataclass(frozen=True)
class IdentityPanel:
    summary: IdentitySummary
    requests: list[RequestView]
    disclosed: IdentityContent | None  # to this reader, by a custodian's grant
    may_request: bool
    custodian: bool  # the reader is a custodian (they decide elsewhere: the request queue)
    steps: list[StepView] | None


def identity_panel(session: Session, *, actor: Actor, case_id: str) -> IdentityPanel | None:
    """None when the reporter gave no identity (and so asked no protection). The caller has opened
    the case already (a reader); the requests need the team key (CaseNotFound without it)."""
    summary = identity_summary(session, case_id)
    if summary is None:
        return None
    requests = requests_for_case(session, actor=actor, case_id=case_id)
    disclosed = None
    if summary.state == "held":
        try:
            disclosed = read_identity(session, actor=actor, case_id=case_id)
        except IdentityRefused:
            disclosed = None
    mine_open = any(r.requester_id == actor.id and r.state in ("pending", "granted") for r in requests)
    return IdentityPanel(
        summary=summary,
        requests=requests,
        disclosed=disclosed,
        may_request=summary.state == "held" and disclosed is None and not mine_open,
        custodian=roster.verified(session).custodian(actor.id),
        steps=checklist(session, case_id=case_id),
    )
