"""Disclosure by request (issue 20, point 2), and the reporter's withdrawal.

A reader of the case asks with a reason; a custodian of the case's unit who is not the requester
grants or refuses with a reason; a grant seals the identity key to that reviewer for that case only.
Each step is an audit event (keyed chain): the reporter's page reads disclosures from those events,
so a database writer who deletes a disclosure row cannot hide it from the reporter without breaking
the chain, and a request row planted by a database writer (no authentic audit event) is never granted.

The reporter can withdraw an identity that nobody was granted: every grant of its key (custodians,
recovery) and its ciphertext are deleted (SQLite runs with secure_delete), so nobody, not even the
recovery key, can open it again (docs/IDENTITY.md).
"""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.errors import CaseNotFound
from cases.identity.errors import IdentityRefused
from cases.identity.keeping import (
    custodian_key,
    custodians_for,
    decrypt_under_identity,
    encrypt_under_identity,
    seal_identity_key,
)
from cases.models import (
    AuditEvent,
    Case,
    CaseIdentity,
    IdentityGrant,
    IdentityRequest,
    KeyGrant,
    Reviewer,
    new_id,
)
from cases.platform.clock import local_day, to_hour, utc_now
from cases.team import roster
from cases.team.actor import Actor
from cases.team.grants import linked_units, open_reviewer_key
from crypto.derive import encode_fields
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError
from crypto.keys import open_message, seal_message
from crypto.signing import sign, verify

MAX_REASON_CHARS = 500
_PURPOSE = "identity-decision"
_REASON_PURPOSE = "identity-request-reason"


def _reason(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise IdentityRefused("reason_required")
    if len(text) > MAX_REASON_CHARS:
        raise IdentityRefused("too_long")
    return text


def _request_metadata(request: IdentityRequest) -> ItemMetadata:
    return ItemMetadata(
        case_id=request.case_id, item_id=request.id, author="team", kind="identity_request", key_kind="team", seq=0
    )


def _held(session: Session, case_id: str) -> CaseIdentity:
    row = session.get(CaseIdentity, case_id)
    if row is None:
        raise IdentityRefused("no_identity")
    if row.state != "held":
        raise IdentityRefused("withdrawn")
    return row


def request_identity(session: Session, *, actor: Actor, case_id: str, reason: str) -> IdentityRequest:
    """A reader of the case asks for its identity. The reason is kept under the team key (the case's
    readers) and sealed to each custodian of the unit (who may not read the case)."""
    text = _reason(reason)
    team_key = open_reviewer_key(
        session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key(), key_kind="team"
    )
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    _held(session, case_id)
    open_request = session.scalars(
        select(IdentityRequest.id).where(
            IdentityRequest.case_id == case_id,
            IdentityRequest.requester_id == actor.id,
            IdentityRequest.state.in_(("pending", "granted")),
        )
    ).first()
    if open_request is not None:
        raise IdentityRefused("pending")
    request = IdentityRequest(
        id=new_id(), case_id=case_id, requester_id=actor.id, state="pending", requested_at=to_hour(utc_now())
    )
    request.reason_team = encrypt_item(team_key, text.encode("utf-8"), _request_metadata(request))
    # Signed with the requester's roster-bound key inside the sealing: HPKE base mode does not say who
    # sealed, so a database writer could otherwise seal a reason of their own to a custodian.
    signing = actor.signing_key_or_none()
    signature = (
        sign(signing.private, _signed_reason(case_id, request.id, text), purpose=_REASON_PURPOSE) if signing else b""
    )
    payload = json.dumps({"reason": text, "sig": base64.b64encode(signature).decode("ascii")}).encode("utf-8")
    sealed = {}
    also = sorted(linked_units(session, [case.id]).get(case.id, ()))
    for custodian in custodians_for(session, opd_id=case.opd_id, also_recused_units=also):
        assert custodian.public_key is not None
        sealed[custodian.id] = seal_message(
            payload,
            recipient_public=custodian.public_key,
            purpose="identity-request",
            context=f"{case_id}/{request.id}",
            recipient_id=custodian.recipient_id,
        ).hex()
    request.reason_custodian = json.dumps(sealed, sort_keys=True).encode("ascii")
    session.add(request)
    session.flush()
    audit.record(session, action="identity.request", actor_id=actor.id, case_id=case_id, detail=f"request={request.id}")
    return request


def _signed_reason(case_id: str, request_id: str, reason: str) -> bytes:
    return encode_fields(case_id.encode(), request_id.encode(), reason.encode("utf-8"))


def _decided_before(session: Session, request: IdentityRequest) -> bool:
    """An authentic decision on this request exists: a row set back to "pending" by a database writer
    is not decided a second time."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == request.case_id,
            AuditEvent.action.in_(("identity.grant", "identity.refuse")),
        )
    ).all()
    return any(f"request={request.id}" in event.detail.split() and audit.authentic(session, event) for event in events)


def _requested_for_real(session: Session, request: IdentityRequest) -> bool:
    """The request has its authentic audit event, by its requester: not a row a database writer planted."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == request.case_id,
            AuditEvent.action == "identity.request",
            AuditEvent.detail == f"request={request.id}",
        )
    ).all()
    return any(event.actor_id == request.requester_id and audit.authentic(session, event) for event in events)


def decide(session: Session, *, actor: Actor, request_id: str, grant: bool, reason: str) -> None:
    """A custodian of the case's unit, not the requester, grants or refuses with a reason.

    A grant needs the requester to be, now, a verified reader of the case holding its case key; the
    identity key goes to them alone, for this case alone."""
    text = _reason(reason)
    request = session.get(IdentityRequest, request_id)
    if request is None:
        raise IdentityRefused("not_requested")
    case = session.get(Case, request.case_id)
    if case is None:
        raise CaseNotFound()
    if request.requester_id == actor.id:
        raise IdentityRefused("self")  # a custodian never grants (or refuses) their own request
    if request.state != "pending":
        raise IdentityRefused("decided")
    row = _held(session, case.id)
    identity_key = custodian_key(session, actor=actor, case=case, row=row)  # not_custodian / no_key
    if not _requested_for_real(session, request):
        raise IdentityRefused("unverified")
    if _decided_before(session, request):
        raise IdentityRefused("decided")
    requester = session.get(Reviewer, request.requester_id)
    assert requester is not None  # the foreign key
    if grant:
        holds_case = session.scalar(
            select(KeyGrant.id).where(
                KeyGrant.case_id == case.id,
                KeyGrant.key_kind == "case",
                KeyGrant.recipient_id == requester.recipient_id,
            )
        )
        units = (case.opd_id, *linked_units(session, [case.id]).get(case.id, ()))
        if holds_case is None or not all(roster.verified(session).reads(requester, unit) for unit in units):
            raise IdentityRefused("not_reader")
        session.add(seal_identity_key(case.id, identity_key, requester))
    assert requester.public_key is not None
    request.state = "granted" if grant else "refused"
    request.decided_at = to_hour(utc_now())
    request.decided_by_id = actor.id
    request.decision_sealed = seal_message(
        text.encode("utf-8"),
        recipient_public=requester.public_key,
        purpose=_PURPOSE,
        context=f"{case.id}/{request.id}",
        recipient_id=requester.recipient_id,
    )
    request.decision_custodian = encrypt_under_identity(identity_key, case.id, f"decision:{request.id}", text)
    session.flush()
    audit.record(
        session,
        action="identity.grant" if grant else "identity.refuse",
        actor_id=actor.id,
        case_id=case.id,
        detail=f"request={request.id} to={requester.id} role=reviewer",
    )


@dataclass(frozen=True)
class RequestView:
    """One request as the viewer may read it: reasons the viewer's keys open, else None."""

    id: str
    case_id: str
    requester_id: str
    requester_name: str
    state: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by_name: str
    reason: str | None
    decision: str | None


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        row.id: row.display_name
        for row in session.execute(select(Reviewer.id, Reviewer.display_name).where(Reviewer.id.in_(ids)))
    }


def requests_for_case(session: Session, *, actor: Actor, case_id: str) -> list[RequestView]:
    """The case's requests for its readers: the reasons under the team key, and the decision's reason
    for the requester (sealed to them)."""
    team_key = open_reviewer_key(
        session, case_id=case_id, reviewer=actor.reviewer, private_key=actor.private_key(), key_kind="team"
    )
    rows = list(
        session.scalars(
            select(IdentityRequest)
            .where(IdentityRequest.case_id == case_id)
            .order_by(IdentityRequest.requested_at, IdentityRequest.id)
        )
    )
    names = _names(session, {r.requester_id for r in rows} | {r.decided_by_id for r in rows if r.decided_by_id})
    views = []
    for row in rows:
        try:
            reason: str | None = decrypt_item(team_key, row.reason_team, _request_metadata(row)).decode("utf-8")
        except CryptoError:
            reason = None
        decision = None
        if row.decision_sealed is not None and row.requester_id == actor.id:
            try:
                decision = open_message(
                    row.decision_sealed,
                    recipient_private=actor.private_key(),
                    purpose=_PURPOSE,
                    context=f"{case_id}/{row.id}",
                    recipient_id=actor.reviewer.recipient_id,
                ).decode("utf-8")
            except CryptoError:
                decision = None
        views.append(_view(row, names, reason, decision))
    return views


def _view(row: IdentityRequest, names: dict[str, str], reason: str | None, decision: str | None) -> RequestView:
    return RequestView(
        id=row.id,
        case_id=row.case_id,
        requester_id=row.requester_id,
        requester_name=names.get(row.requester_id, "?"),
        state=row.state,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decided_by_name=names.get(row.decided_by_id or "", ""),
        reason=reason,
        decision=decision,
    )


@dataclass(frozen=True)
class QueueEntry:
    request: RequestView
    category_id: int
    opd_id: int
    protection_requested: bool
    own: bool  # the custodian's own request: shown, never decidable by them


def custodian_queue(session: Session, *, actor: Actor) -> list[QueueEntry]:
    """Pending requests a custodian may decide: cases of units they keep identities for (recused units
    are left out, as are cases whose identity key they do not hold), oldest first."""
    verified = roster.verified(session)
    if not verified.custodian(actor.id):
        raise IdentityRefused("not_custodian")
    rows = session.execute(
        select(IdentityRequest, Case.category_id, Case.opd_id, CaseIdentity.protection_requested)
        .join(Case, Case.id == IdentityRequest.case_id)
        .join(CaseIdentity, CaseIdentity.case_id == Case.id)
        .join(
            IdentityGrant,
            (IdentityGrant.case_id == Case.id)
            & (IdentityGrant.recipient_kind == "custodian")
            & (IdentityGrant.recipient_id == actor.reviewer.recipient_id),
        )
        .where(IdentityRequest.state == "pending", CaseIdentity.state == "held")
        .order_by(IdentityRequest.requested_at, IdentityRequest.id)
    ).all()
    rows = [r for r in rows if verified.keeps_identities(actor.reviewer, r[2])]
    names = _names(session, {r[0].requester_id for r in rows})
    private = actor.private_key()
    entries = []
    for request, category_id, opd_id, protection in rows:
        reason = _custodian_reason(verified, request, actor, private)
        entries.append(
            QueueEntry(
                request=_view(request, names, reason, None),
                category_id=category_id,
                opd_id=opd_id,
                protection_requested=protection,
                own=request.requester_id == actor.id,
            )
        )
    return entries


def _custodian_reason(
    verified: "roster.VerifiedRoster", request: IdentityRequest, actor: Actor, private: bytes
) -> str | None:
    """The request's reason sealed to this custodian, when it opens and its requester's signature
    verifies with the key the roster bound; None otherwise (shown as not readable)."""
    sealed = json.loads(request.reason_custodian.decode("ascii") or "{}").get(actor.id)
    if not isinstance(sealed, str):
        return None
    try:
        payload = json.loads(
            open_message(
                bytes.fromhex(sealed),
                recipient_private=private,
                purpose="identity-request",
                context=f"{request.case_id}/{request.id}",
                recipient_id=actor.reviewer.recipient_id,
            )
        )
        reason, signature = str(payload["reason"]), base64.b64decode(str(payload["sig"]), validate=True)
    except (CryptoError, ValueError, KeyError, TypeError):
        return None
    member = verified.member(request.requester_id)
    if member is None or member.signing_key is None:
        return None
    signed = _signed_reason(request.case_id, request.id, reason)
    return reason if verify(member.signing_key, signed, signature, purpose=_REASON_PURPOSE) else None


def decision_reason_for_custodian(session: Session, *, actor: Actor, request_id: str) -> str | None:
    """A decision's reason as custodians keep it (under the identity key)."""
    request = session.get(IdentityRequest, request_id)
    case = session.get(Case, request.case_id) if request else None
    if request is None or case is None or request.decision_custodian is None:
        return None
    key = custodian_key(session, actor=actor, case=case, row=_held(session, case.id))
    try:
        return decrypt_under_identity(key, case.id, f"decision:{request.id}", request.decision_custodian)
    except CryptoError:
        return None


# -- the reporter's side -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    day: date | None  # None: a grant with no authentic audit event (made outside the app)
    role: str  # "reviewer": the role the identity was disclosed to


@dataclass(frozen=True)
class ReporterIdentity:
    state: str  # none | held | withdrawn
    protection_requested: bool
    disclosures: list[Disclosure]

    @property
    def may_withdraw(self) -> bool:
        return self.state == "held" and not self.disclosures


def reporter_identity(session: Session, *, case: Case, zone: tzinfo) -> ReporterIdentity:
    """What the reporter's page says about their identity. Disclosures come from the authentic audit
    events of grants (days in the deployment's zone), not from a row a database writer could delete
    unnoticed."""
    row = session.get(CaseIdentity, case.id)
    if row is None:
        return ReporterIdentity(state="none", protection_requested=False, disclosures=[])
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == "identity.grant")
        .order_by(AuditEvent.id)
    ).all()
    disclosures = []
    announced = set()
    for event in events:
        if not audit.authentic(session, event):
            continue  # a forged event tells the reporter nothing (and `audit verify` names it)
        # Only reviewers are disclosed to today; the role travels in the event for the day that changes.
        role = next((part[5:] for part in event.detail.split() if part.startswith("role=")), "reviewer")
        announced |= {part[3:] for part in event.detail.split() if part.startswith("to=")}
        disclosures.append(Disclosure(day=local_day(event.at, zone), role=role))
    # A grant of the identity key to a reviewer that no authentic event announces was made outside the
    # app (a custodian writing the database): the reporter is told all the same, without a day.
    unannounced = session.scalars(
        select(IdentityGrant.reviewer_id).where(
            IdentityGrant.case_id == case.id, IdentityGrant.recipient_kind == "reviewer"
        )
    ).all()
    disclosures += [Disclosure(day=None, role="reviewer") for rid in unannounced if rid not in announced]
    return ReporterIdentity(state=row.state, protection_requested=row.protection_requested, disclosures=disclosures)


def withdraw_identity(session: Session, *, case: Case) -> None:
    """The reporter withdraws an identity nobody was granted: its key is sealed to no one any more and
    its ciphertext is gone. Pending requests end as withdrawn. Refused once disclosed."""
    row = _held(session, case.id)
    granted = session.scalar(
        select(IdentityRequest.id).where(IdentityRequest.case_id == case.id, IdentityRequest.state == "granted")
    )
    disclosed_to = session.scalar(
        select(IdentityGrant.id).where(IdentityGrant.case_id == case.id, IdentityGrant.recipient_kind == "reviewer")
    )
    if granted or disclosed_to or reporter_identity(session, case=case, zone=UTC).disclosures:
        raise IdentityRefused("disclosed")
    session.execute(delete(IdentityGrant).where(IdentityGrant.case_id == case.id))
    session.execute(
        update(IdentityRequest)
        .where(IdentityRequest.case_id == case.id, IdentityRequest.state == "pending")
        .values(state="withdrawn")
    )
    row.state = "withdrawn"
    row.ciphertext = None
    row.key_tag = None
    session.flush()
