"""cases.identity: a reporter's identity is sealed to custodians only, disclosed by a custodian's grant to
one requesting reader for one case, withdrawable (and then gone, even for the recovery key), and its
disclosures are shown to the reporter from the keyed audit chain. Each promise is played by the
attacker who would break it: an admin, the assignee, a conflicted custodian, a custodian granting
themselves, a database writer planting a custodian, a request or a grant."""

from datetime import UTC

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.identity.content import IdentityContent
from cases.identity.custodians import confirm_custodian, propose_custodian, revoke_custodian
from cases.identity.disclosure import (
    custodian_queue,
    decide,
    reporter_identity,
    request_identity,
    requests_for_case,
    withdraw_identity,
)
from cases.identity.errors import CustodianRefused, IdentityRefused
from cases.identity.keeping import give_identity, identity_summary, pass_to_custodians, read_identity
from cases.identity.protection import RIGHTS_TEXT, checklist, complete_step, reporter_steps
from cases.models import AuditEvent, Case, CaseIdentity, IdentityGrant, IdentityRequest, RecoveryKey
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.team import roster
from cases.team.membership import add_affiliation
from cases.triage.workflow import assign
from crypto.envelope import ItemMetadata, decrypt_item
from crypto.errors import CryptoError
from crypto.keys import open_grant
from crypto.recovery import recovery_keypair
from tests.domain import Holder, database_text, events, founder, submit_case

CANARY_NAME = "Sutarmi Canaryputri"
CANARY_NIP = "198001012005012099"


@pytest.fixture
def team(session: Session, recovery_secret: bytes) -> dict[str, Holder]:
    """An admin, a second key holder, a custodian (appointed with four eyes), a reader who will ask,
    and another reader (the assignee)."""
    people = {
        "admin": founder(session, "ketua", admin=True),
        "wakil": founder(session, "wakil"),
        "kustodian": founder(session, "kustodian", reviewer=False),
        "kustodian2": founder(session, "kustodian2", reviewer=False),  # not appointed yet
        "penelaah": founder(session, "penelaah"),
        "lain": founder(session, "lain"),
    }
    proposal = propose_custodian(session, actor=people["admin"].actor, reviewer=people["kustodian"].reviewer)
    confirm_custodian(session, actor=people["wakil"].actor, proposal_id=proposal.id)
    session.commit()
    return people


def _case_with_identity(session: Session, config: Config, *, protection: bool = True) -> Case:
    case_id = submit_case(session, config, "Setoran bulanan ke kepala bidang", active_opds(session)[0])
    case = session.get(Case, case_id)
    assert case is not None
    give_identity(
        session,
        case=case,
        content=IdentityContent(name=CANARY_NAME, nip=CANARY_NIP, unit="Bidang Anggaran", contact="0812"),
        protection=protection,
    )
    session.commit()
    return case


def _ask_and_grant(session: Session, team: dict[str, Holder], case: Case, who: str = "penelaah") -> IdentityRequest:
    request = request_identity(session, actor=team[who].actor, case_id=case.id, reason="Saksi untuk rujukan ke APH")
    decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=True, reason="Diperlukan untuk rujukan")
    session.commit()
    return request


def test_the_identity_is_sealed_to_custodians_and_the_recovery_key_never_to_readers(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    kinds = {(g.recipient_kind, g.reviewer_id) for g in session.scalars(select(IdentityGrant))}
    assert kinds == {("custodian", team["kustodian"].reviewer.id), ("recovery", None)}
    assert CANARY_NAME.encode() not in database_text(session) and CANARY_NIP.encode() not in database_text(session)
    summary = identity_summary(session, case.id)
    assert summary is not None and summary.state == "held" and summary.protection_requested and summary.custodians == 1


def test_no_reader_reads_it_not_the_admin_nor_the_assignee_until_a_custodian_grants(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    assign(session, actor=team["admin"].actor, case_id=case.id, assignee_id=team["lain"].reviewer.id)
    for who in ("admin", "wakil", "penelaah", "lain"):
        with pytest.raises(IdentityRefused) as refused:
            read_identity(session, actor=team[who].actor, case_id=case.id)
        assert refused.value.reason == "no_key"
        # and cryptographically: no grant of the identity key opens with their private key
        for grant in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id)):
            with pytest.raises(CryptoError):
                open_grant(
                    grant.sealed,
                    recipient_private=team[who].keypair.private,
                    case_id=case.id,
                    key_kind="identity",
                    recipient_id=team[who].reviewer.recipient_id,
                )
    _ask_and_grant(session, team, case)
    identity = read_identity(session, actor=team["penelaah"].actor, case_id=case.id)
    assert (identity.name, identity.nip) == (CANARY_NAME, CANARY_NIP)
    for who in ("admin", "wakil", "lain"):  # only the requester, still
        with pytest.raises(IdentityRefused):
            read_identity(session, actor=team[who].actor, case_id=case.id)


def test_a_grant_is_for_that_case_only(session: Session, config: Config, team: dict[str, Holder]) -> None:
    first = _case_with_identity(session, config)
    second = _case_with_identity(session, config)
    _ask_and_grant(session, team, first)
    assert read_identity(session, actor=team["penelaah"].actor, case_id=first.id).name == CANARY_NAME
    with pytest.raises(IdentityRefused):
        read_identity(session, actor=team["penelaah"].actor, case_id=second.id)
    # a database writer who copies the grant row to the other case gets nothing: HPKE info binds the case
    grant = session.scalars(
        select(IdentityGrant).where(IdentityGrant.case_id == first.id, IdentityGrant.recipient_kind == "reviewer")
    ).one()
    session.add(
        IdentityGrant(
            case_id=second.id,
            recipient_kind="reviewer",
            recipient_id=grant.recipient_id,
            reviewer_id=grant.reviewer_id,
            sealed=grant.sealed,
        )
    )
    session.flush()
    with pytest.raises(IdentityRefused):
        read_identity(session, actor=team["penelaah"].actor, case_id=second.id)


def test_a_custodian_cannot_grant_their_own_request(session: Session, config: Config, team: dict[str, Holder]) -> None:
    case = _case_with_identity(session, config)
    # a custodian reads no case, so cannot even ask through the app
    from cases.errors import CaseNotFound

    with pytest.raises(CaseNotFound):
        request_identity(session, actor=team["kustodian"].actor, case_id=case.id, reason="Saya sendiri")
    # a request in the custodian's own name, made any other way, is refused as their own
    real = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    session.flush()
    own = _planted_copy(session, real, row_id="e" * 20, requester_id=team["kustodian"].reviewer.id)
    with pytest.raises(IdentityRefused) as refused:
        decide(session, actor=team["kustodian"].actor, request_id=own.id, grant=True, reason="sendiri")
    assert refused.value.reason == "self"
    assert sorted(e.own for e in custodian_queue(session, actor=team["kustodian"].actor)) == [False, True]
    assert not session.scalars(select(IdentityGrant).where(IdentityGrant.recipient_kind == "reviewer")).all()


def test_a_reviewer_is_never_a_custodian(session: Session, config: Config, team: dict[str, Holder]) -> None:
    """Whoever keeps identities reads no case: a reader who also held identity keys would read the
    identities of their own cases without asking anyone (review finding)."""
    with pytest.raises(CustodianRefused) as refused:
        propose_custodian(session, actor=team["admin"].actor, reviewer=team["penelaah"].reviewer)
    assert refused.value.reason == "reviewer"
    # the roster itself refuses it: an appointment of a reader signed by two key holders is ignored
    import base64

    from cases.team.roster import new_proposal, sign_proposal

    proposal = new_proposal(
        action="custodian.appoint", subject_id=team["penelaah"].reviewer.id, by=team["admin"].reviewer.id, seen=0
    )
    roster.append(
        session,
        action="custodian.appoint",
        subject_id=team["penelaah"].reviewer.id,
        fields={
            "by": team["wakil"].reviewer.id,
            "proposal": proposal,
            "proposal_signature": base64.b64encode(sign_proposal(team["admin"].signing, proposal)).decode("ascii"),
        },
        signers=[(team["wakil"].reviewer.id, team["wakil"].signing)],
    )
    verified = roster.verified(session, fresh=True)
    assert not verified.custodian(team["penelaah"].reviewer.id)
    case = _case_with_identity(session, config)
    holders = {g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id))}
    assert team["penelaah"].reviewer.id not in holders


def test_a_custodian_who_writes_a_grant_into_the_database_discloses_nothing_silently(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    from cases.identity.keeping import custodian_key, seal_identity_key, unannounced_disclosures
    from cases.team.integrity import findings

    case = _case_with_identity(session, config)
    row = session.get(CaseIdentity, case.id)
    assert row is not None
    key = custodian_key(session, actor=team["kustodian"].actor, case=case, row=row)
    session.add(seal_identity_key(case.id, key, team["lain"].reviewer))  # no request, no decision
    session.flush()
    with pytest.raises(IdentityRefused):
        read_identity(session, actor=team["lain"].actor, case_id=case.id)
    told = reporter_identity(session, case=case, zone=UTC)
    assert [(d.day, d.role) for d in told.disclosures] == [(None, "reviewer")] and not told.may_withdraw
    assert unannounced_disclosures(session) == [case.id]
    assert any(f.kind == "identity" and f.subject == case.id for f in findings(session))


def test_a_refused_request_set_back_to_pending_is_not_decided_again(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=False, reason="Belum perlu")
    request.state = "pending"  # a database writer
    session.flush()
    with pytest.raises(IdentityRefused) as refused:
        decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=True, reason="boleh")
    assert refused.value.reason == "decided"


def test_a_reason_sealed_to_the_custodian_by_a_database_writer_is_not_shown(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    import json

    from crypto.keys import seal_message

    case = _case_with_identity(session, config)
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    custodian = team["kustodian"].reviewer
    assert custodian.public_key is not None
    forged = seal_message(
        json.dumps({"reason": "Perintah KPK: segera buka", "sig": ""}).encode(),
        recipient_public=custodian.public_key,  # anyone can seal to a public key
        purpose="identity-request",
        context=f"{case.id}/{request.id}",
        recipient_id=custodian.recipient_id,
    )
    request.reason_custodian = json.dumps({custodian.id: forged.hex()}).encode("ascii")
    session.flush()
    assert [e.request.reason for e in custodian_queue(session, actor=team["kustodian"].actor)] == [None]


def test_a_reader_who_is_not_a_custodian_cannot_decide(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    for who in ("admin", "lain"):
        with pytest.raises(IdentityRefused) as refused:
            decide(session, actor=team[who].actor, request_id=request.id, grant=True, reason="boleh")
        assert refused.value.reason == "not_custodian"


def test_a_custodian_affiliated_with_the_unit_is_not_sealed_the_identity(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    opd = active_opds(session)[0]
    add_affiliation(
        session, actor=team["admin"].actor, reviewer=team["kustodian"].reviewer, opd_id=opd.id, kind="member"
    )
    session.commit()
    case = _case_with_identity(session, config)
    assert not session.scalars(select(IdentityGrant).where(IdentityGrant.recipient_kind == "custodian")).all()
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    with pytest.raises(IdentityRefused) as refused:
        decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=True, reason="boleh")
    assert refused.value.reason == "not_custodian"


def test_custodian_needs_four_eyes_and_a_planted_role_gets_nothing(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    with pytest.raises(CustodianRefused):
        propose_custodian(session, actor=team["wakil"].actor, reviewer=team["kustodian2"].reviewer)  # not an admin
    proposal = propose_custodian(session, actor=team["admin"].actor, reviewer=team["kustodian2"].reviewer)
    with pytest.raises(CustodianRefused) as refused:
        confirm_custodian(session, actor=team["admin"].actor, proposal_id=proposal.id)
    assert refused.value.reason == "same"
    with pytest.raises(CustodianRefused) as refused:
        confirm_custodian(session, actor=team["kustodian2"].actor, proposal_id=proposal.id)
    assert refused.value.reason == "own"
    # A database writer copies the custodian's appointment onto another account: the roster does not verify it
    # (the proposal was signed for another subject), and nobody else is sealed identities.
    entry = roster.verified(session, fresh=True)
    assert not entry.custodian(team["kustodian2"].reviewer.id)
    case = _case_with_identity(session, config)
    holders = {g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id))}
    assert holders == {team["kustodian"].reviewer.id, None}


def _planted_copy(session: Session, real: IdentityRequest, *, row_id: str, requester_id: str) -> IdentityRequest:
    """A database writer's request row: a real request's sealed reasons, in another requester's name."""
    planted = IdentityRequest(
        id=row_id,
        case_id=real.case_id,
        requester_id=requester_id,
        state="pending",
        requested_at=real.requested_at,
        reason_team=real.reason_team,
        reason_custodian=real.reason_custodian,
    )
    session.add(planted)
    session.flush()
    return planted


def test_a_request_row_planted_by_a_database_writer_is_never_granted(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    real = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    session.flush()
    planted = _planted_copy(session, real, row_id="f" * 20, requester_id=team["lain"].reviewer.id)
    with pytest.raises(IdentityRefused) as refused:
        decide(session, actor=team["kustodian"].actor, request_id=planted.id, grant=True, reason="boleh")
    assert refused.value.reason == "unverified"


def test_the_custodian_reads_the_reason_and_the_requester_reads_the_decision(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi kunci untuk KPK")
    queue = custodian_queue(session, actor=team["kustodian"].actor)
    assert [(e.request.reason, e.protection_requested, e.own) for e in queue] == [
        ("Saksi kunci untuk KPK", True, False)
    ]
    decide(session, actor=team["kustodian"].actor, request_id=queue[0].request.id, grant=False, reason="Belum perlu")
    mine = requests_for_case(session, actor=team["penelaah"].actor, case_id=case.id)
    assert [(r.state, r.reason, r.decision) for r in mine] == [("refused", "Saksi kunci untuk KPK", "Belum perlu")]
    theirs = requests_for_case(session, actor=team["lain"].actor, case_id=case.id)
    assert [(r.reason, r.decision) for r in theirs] == [("Saksi kunci untuk KPK", None)]
    assert [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))][-2:] == [
        "identity.request",
        "identity.refuse",
    ]


def test_the_reporter_sees_the_disclosure_and_its_day_even_if_the_row_is_deleted(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    before = reporter_identity(session, case=case, zone=UTC)
    assert (before.state, before.disclosures, before.may_withdraw) == ("held", [], True)
    _ask_and_grant(session, team, case)
    seen = reporter_identity(session, case=case, zone=UTC)
    assert [(d.role, d.day) for d in seen.disclosures] == [("reviewer", events(session, "identity.grant")[0].at.date())]
    assert not seen.may_withdraw
    # A database writer deletes the request and the grant rows: the reporter is still told.
    session.execute(delete(IdentityRequest))
    session.execute(delete(IdentityGrant).where(IdentityGrant.recipient_kind == "reviewer"))
    assert len(reporter_identity(session, case=case, zone=UTC).disclosures) == 1
    with pytest.raises(IdentityRefused) as refused:
        withdraw_identity(session, case=case)
    assert refused.value.reason == "disclosed"


def test_a_withdrawn_identity_is_gone_even_for_the_recovery_key(
    session: Session, config: Config, team: dict[str, Holder], recovery_secret: bytes
) -> None:
    case = _case_with_identity(session, config)
    recovery = recovery_keypair(recovery_secret)
    key_row = session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))).one()

    def recovered() -> str | None:
        row = session.get(CaseIdentity, case.id)
        grant = session.scalars(
            select(IdentityGrant).where(IdentityGrant.case_id == case.id, IdentityGrant.recipient_kind == "recovery")
        ).first()
        if grant is None or row is None or row.ciphertext is None:
            return None
        key = open_grant(
            grant.sealed,
            recipient_private=recovery.private,
            case_id=case.id,
            key_kind="identity",
            recipient_id=key_row.recipient_id,
        )
        metadata = ItemMetadata(
            case_id=case.id, item_id="identity", author="reporter", kind="identity", key_kind="identity", seq=0
        )
        return IdentityContent.from_bytes(decrypt_item(key, row.ciphertext, metadata)).name

    assert recovered() == CANARY_NAME  # the organisation's backstop works while the identity is held
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    withdraw_identity(session, case=case)
    session.commit()
    assert recovered() is None
    assert not session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id)).all()
    assert session.get(IdentityRequest, request.id).state == "withdrawn"  # type: ignore[union-attr]
    assert CANARY_NAME.encode() not in database_text(session)
    with pytest.raises(IdentityRefused) as refused:
        decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=True, reason="boleh")
    assert refused.value.reason in ("decided", "withdrawn")
    assert reporter_identity(session, case=case, zone=UTC).state == "withdrawn"


def test_a_new_custodian_receives_identities_from_a_colleague_and_loses_them_when_revoked(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config)
    proposal = propose_custodian(session, actor=team["admin"].actor, reviewer=team["kustodian2"].reviewer)
    confirm_custodian(session, actor=team["wakil"].actor, proposal_id=proposal.id)
    assert pass_to_custodians(session, actor=team["kustodian"].actor) == 1
    assert events(session, "identity.pass")[-1].detail == f"to={team['kustodian2'].reviewer.id}"
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    revoke_custodian(session, actor=team["admin"].actor, reviewer=team["kustodian2"].reviewer)
    assert not session.scalars(
        select(IdentityGrant).where(IdentityGrant.reviewer_id == team["kustodian2"].reviewer.id)
    ).all()
    with pytest.raises(IdentityRefused):
        decide(session, actor=team["kustodian2"].actor, request_id=request.id, grant=True, reason="boleh")


def test_the_protection_checklist_is_audited_and_the_reporter_sees_their_steps(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    case = _case_with_identity(session, config, protection=True)
    steps = checklist(session, case_id=case.id)
    assert steps is not None and [s.done_at for s in steps] == [None, None, None]
    complete_step(session, actor=team["penelaah"].actor, case_id=case.id, step="rights_informed", note="Dikirim")
    complete_step(
        session, actor=team["penelaah"].actor, case_id=case.id, step="measures_recorded", note="Mutasi ditunda"
    )
    with pytest.raises(IdentityRefused):
        complete_step(session, actor=team["penelaah"].actor, case_id=case.id, step="rights_informed", note="lagi")
    assert [e.detail for e in events(session, "protection.step")] == ["step=rights_informed", "step=measures_recorded"]
    assert [s for s, _day in reporter_steps(session, case=case, zone=UTC)] == ["rights_informed"]
    from cases.reporting.conversation import thread  # the rights reached the reporter's conversation
    from cases.team.grants import open_reviewer_key

    key = open_reviewer_key(
        session, case_id=case.id, reviewer=team["penelaah"].reviewer, private_key=team["penelaah"].keypair.private
    )
    assert any(entry.text == RIGHTS_TEXT for entry in thread(session, case=case, case_key=key, audience="reporter"))
    unprotected = _case_with_identity(session, config, protection=False)
    assert checklist(session, case_id=unprotected.id) is None
    with pytest.raises(IdentityRefused):
        complete_step(session, actor=team["penelaah"].actor, case_id=unprotected.id, step="lpsk_referred", note="x")


def test_after_a_disaster_the_recovery_key_reseals_identities_to_a_custodian_only(
    session: Session, config: Config, team: dict[str, Holder], recovery_secret: bytes
) -> None:
    from cases.team.recovery_keys import reseal_with_recovery

    case = _case_with_identity(session, config)
    session.execute(delete(IdentityGrant).where(IdentityGrant.recipient_kind == "custodian"))  # every custodian lost
    reseal_with_recovery(session, master_secret=recovery_secret, reviewer=team["lain"].reviewer)  # a reader
    assert not session.scalars(select(IdentityGrant).where(IdentityGrant.reviewer_id.is_not(None))).all()
    reseal_with_recovery(session, master_secret=recovery_secret, reviewer=team["kustodian"].reviewer)
    holders = {g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id))}
    assert holders == {team["kustodian"].reviewer.id, None}
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    decide(session, actor=team["kustodian"].actor, request_id=request.id, grant=True, reason="boleh")
    assert read_identity(session, actor=team["penelaah"].actor, case_id=case.id).name == CANARY_NAME


def test_a_database_writer_who_replays_a_custodian_appointment_for_another_account_gains_nothing(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    import json

    from cases.models import RosterEntry

    appointment = session.scalars(select(RosterEntry).where(RosterEntry.action == "custodian.appoint")).one()
    seq, prev = roster.head(session)
    body = json.loads(appointment.body)
    body.update(seq=seq + 1, subject=team["kustodian2"].reviewer.id)
    body["proposal"]["subject"] = team["kustodian2"].reviewer.id
    text = roster.canonical(body)
    session.add(
        RosterEntry(
            seq=seq + 1,
            action="custodian.appoint",
            subject_id=team["kustodian2"].reviewer.id,
            body=text,
            prev_hash=prev,
            hash=roster.entry_hash(prev, text),  # the hash recomputed: the signatures are not
            signatures=appointment.signatures,
        )
    )
    session.flush()
    verified = roster.verified(session, fresh=True)
    assert not verified.custodian(team["kustodian2"].reviewer.id) and verified.custodian(team["kustodian"].reviewer.id)
    assert any("does not verify" in problem.detail for problem in verified.problems)
    case = _case_with_identity(session, config)
    holders = {g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id))}
    assert team["kustodian2"].reviewer.id not in holders


def test_an_unapproved_reviewer_cannot_even_ask(session: Session, config: Config, team: dict[str, Holder]) -> None:
    from cases.errors import CaseNotFound
    from tests.domain import activated

    case = _case_with_identity(session, config)
    newcomer = activated(session, "baru", by=team["admin"])
    with pytest.raises(CaseNotFound):
        request_identity(session, actor=newcomer.actor, case_id=case.id, reason="Saya ingin tahu")
    with pytest.raises(IdentityRefused):
        read_identity(session, actor=newcomer.actor, case_id=case.id)


def test_a_custodian_recused_from_the_first_reports_unit_keeps_no_identity_of_its_retaliation_report(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    from cases.reporting.report_content import ReportContent
    from cases.reporting.retaliation import report_retaliation

    first_unit, second_unit = active_opds(session)[0], active_opds(session)[1]
    add_affiliation(
        session, actor=team["admin"].actor, reviewer=team["kustodian"].reviewer, opd_id=first_unit.id, kind="member"
    )
    original = session.get(Case, submit_case(session, config, "Setoran bulanan ke kepala bidang", first_unit))
    assert original is not None
    submitted = report_retaliation(
        session,
        original=original,
        opd_id=second_unit.id,
        content=ReportContent(what="Saya dimutasi setelah melaporkan setoran."),
        receipt_key=config.receipt_key_bytes,
        identity=IdentityContent(name=CANARY_NAME),
        protection=True,
    )
    holders = {
        g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == submitted.case_id))
    }
    assert holders == {None}  # the recovery key only


def test_an_account_without_the_reviewer_role_is_approved_then_appointed_custodian(
    session: Session, config: Config, team: dict[str, Holder]
) -> None:
    """Custodians need not be founders: an admin creates an account without the reviewer role, another
    key holder approves it (four eyes), then it is appointed (four eyes again) and keeps identities,
    while no case key ever reaches it."""
    from cases.models import KeyGrant
    from tests.domain import activated, approve

    keeper = activated(session, "penjaga", by=team["admin"], is_reviewer=False)
    approve(session, approver=team["wakil"], reviewer=keeper.reviewer)
    proposal = propose_custodian(session, actor=team["admin"].actor, reviewer=keeper.reviewer)
    confirm_custodian(session, actor=team["wakil"].actor, proposal_id=proposal.id)
    case = _case_with_identity(session, config)
    holders = {g.reviewer_id for g in session.scalars(select(IdentityGrant).where(IdentityGrant.case_id == case.id))}
    assert keeper.reviewer.id in holders
    assert not session.scalars(select(KeyGrant).where(KeyGrant.reviewer_id == keeper.reviewer.id)).all()
    request = request_identity(session, actor=team["penelaah"].actor, case_id=case.id, reason="Saksi")
    decide(session, actor=keeper.actor, request_id=request.id, grant=True, reason="Untuk rujukan")
    assert read_identity(session, actor=team["penelaah"].actor, case_id=case.id).name == CANARY_NAME
