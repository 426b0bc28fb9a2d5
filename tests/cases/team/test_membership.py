"""cases.team.membership: four-eyes approval with a fresh code, recusal enforced by grants and lifted only by two
key holders, disabling, step-up. Every decision is a signed roster entry (see tests/security/
test_attack_insiders.py for the database writer's attacks)."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import CaseNotFound
from cases.items import open_item
from cases.models import Affiliation, CaseItem, Opd, Reviewer, ReviewerSession, RosterEntry
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.reporting.report_content import ReportContent
from cases.team import roster
from cases.team.accounts import authenticate
from cases.team.errors import ApprovalRefused, LoginFailed, RemovalRefused
from cases.team.grants import open_reviewer_key, regrant_from, unreadable_cases
from cases.team.membership import add_affiliation, approve_reviewer, confirm_removal, disable_reviewer, propose_removal
from cases.team.second_factor import check_code
from cases.team.sessions import mark_stepped_up, open_session, recently_stepped_up
from cases.triage.reading import read_case
from crypto.keys import KeyPair
from crypto.signing import fingerprint
from tests.conftest import CHEAP_KDF
from tests.domain import (
    PASSPHRASE,
    SERVER_SECRET,
    Holder,
    account,
    activated,
    age_session,
    approve,
    events,
    founder,
    fresh_code,
    grants_of,
    submit_case,
)


def _active(session: Session, username: str, *, admin: bool = False) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username, display_name=username.title(), admin=admin)
    return holder.reviewer, holder.keypair


def _opds(session: Session) -> tuple[Opd, Opd]:
    first, second = active_opds(session)[:2]
    return first, second


def _report(session: Session, case_id: str, case_key: bytes) -> str:
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "report")).one()
    return ReportContent.from_bytes(open_item(item, case_key)).what


def _refusal(session: Session, approver: Holder, reviewer: Reviewer, code: str | None = None) -> str:
    with pytest.raises(ApprovalRefused) as refused:
        approve_reviewer(
            session,
            approver=approver.actor,
            reviewer=reviewer,
            code=code if code is not None else fresh_code(session, approver.reviewer),
            server_secret=SERVER_SECRET,
        )
    return refused.value.reason


def test_approval_refuses_self_and_the_creator(session: Session, recovery_secret: bytes) -> None:
    # given a key-holding admin rina who created joko's account, and joko activated
    rina = founder(session, "rina", admin=True)
    joko = activated(session, "joko", by=rina)
    # when joko approves himself or rina approves the account she created, then both are refused
    assert _refusal(session, joko, joko.reviewer) == "self"
    assert _refusal(session, rina, joko.reviewer) == "creator"
    assert joko.reviewer.approved_at is None and events(session, "account.approve") == []
    assert not roster.verified(session).member(joko.reviewer.id).approved


@pytest.mark.parametrize("approver_kind", ["unapproved", "disabled", "admin_only"])
def test_approval_refuses_an_approver_who_is_not_a_key_holding_reviewer(
    session: Session, recovery_secret: bytes, approver_kind: str
) -> None:
    # given joko activated, and an approver that is not a key-holding reviewer in the roster
    joko = activated(session, "joko")
    if approver_kind == "unapproved":
        approver = activated(session, "sari")
    elif approver_kind == "disabled":
        approver = founder(session, "sari")
        admin = founder(session, "admin", admin=True)
        disable_reviewer(session, actor=admin.actor, reviewer=approver.reviewer)
    else:
        approver = founder(session, "sari", admin=True, reviewer=False)
    # when they approve joko, then it is refused as not a key holder
    assert _refusal(session, approver, joko.reviewer) == "not_holder"
    assert joko.reviewer.approved_at is None


def test_approval_refuses_a_pending_or_already_approved_account(session: Session, recovery_secret: bytes) -> None:
    # given a key holder, a pending account and an approved one, then neither can be approved
    rina = founder(session, "rina")
    pending, _ = account(session, "joko")
    approved = founder(session, "sari")
    assert _refusal(session, rina, pending) == "not_active"
    assert _refusal(session, rina, approved.reviewer) == "already"


def test_approval_needs_a_fresh_code(session: Session, recovery_secret: bytes) -> None:
    # given rina, a key holder with TOTP, and joko waiting for approval
    rina = founder(session, "rina")
    joko = activated(session, "joko")
    used = fresh_code(session, rina.reviewer)
    assert check_code(reviewer=rina.reviewer, code=used, server_secret=SERVER_SECRET)  # used once, at login
    # when she approves with no code, a wrong code, or a code already used, then it is refused
    assert _refusal(session, rina, joko.reviewer, code="") == "code"
    assert _refusal(session, rina, joko.reviewer, code="000000") == "code"
    assert _refusal(session, rina, joko.reviewer, code=used) == "code"
    assert joko.reviewer.approved_at is None and not roster.verified(session).member(joko.reviewer.id).approved


def test_another_key_holder_approves_binding_the_keys_and_it_is_audited(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given an admin who created joko, rina, a key holder who did not, and a case that arrived before
    admin = founder(session, "admin", admin=True)
    rina = founder(session, "rina")
    joko = activated(session, "joko", by=admin)
    case_id = submit_case(session, config, "sebelum persetujuan", _opds(session)[0])
    # when rina approves joko with a fresh code
    approve(session, approver=rina, reviewer=joko.reviewer)
    session.commit()
    # then joko is approved by rina and holds the earlier case at once (rina's keys, at approval; no
    # later page view has to pass them on), and the approval is audited
    assert joko.reviewer.approved_by_id == rina.reviewer.id
    assert {(case_id, "case"), (case_id, "team")} <= grants_of(session, joko.reviewer)
    assert joko.reviewer.needs_grants is False
    assert [(e.actor_id, e.detail) for e in events(session, "account.approve")] == [
        (rina.reviewer.id, f"reviewer={joko.reviewer.id}")
    ]
    # and the signed roster entry binds both of joko's key fingerprints
    entry = session.scalars(select(RosterEntry).where(RosterEntry.action == "account.approve")).one()
    assert fingerprint(joko.signing.public) in entry.body
    assert roster.encryption_fingerprint(joko.keypair.public) in entry.body
    assert roster.verified(session).reads(joko.reviewer, _opds(session)[0].id)


def test_unapproved_reviewer_gets_no_grants_until_approved(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given key holder rina, and joko activated but not approved (even if his row says approved and flagged)
    rina, sari = founder(session, "rina"), founder(session, "sari")
    joko = activated(session, "joko")
    joko.reviewer.needs_grants = True
    opd, _ = _opds(session)
    case_id = submit_case(session, config, "setoran bulanan", opd)
    # then he got nothing at submission, and nothing when rina's session re-grants
    assert grants_of(session, joko.reviewer) == set()
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    assert grants_of(session, joko.reviewer) == set()
    # when sari (another holder) approves him: her keys reach him at approval, so rina's re-grant finds
    # nothing left to do
    approve(session, approver=sari, reviewer=joko.reviewer)
    assert regrant_from(session, actor=rina.actor) == 0
    assert len(events(session, "grant.create")) == 2 and joko.reviewer.needs_grants is False
    session.commit()
    # then both keys are sealed to joko: they open with his private key and decrypt the report
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=joko.reviewer,
        private_key=joko.keypair.private,
    )
    team_key = open_reviewer_key(
        session, case_id=case_id, reviewer=joko.reviewer, private_key=joko.keypair.private, key_kind="team"
    )
    assert _report(session, case_id, case_key) == "setoran bulanan"
    assert (
        team_key
        == open_reviewer_key(
            session, case_id=case_id, reviewer=rina.reviewer, private_key=rina.keypair.private, key_kind="team"
        )
        != case_key
    )
    # and each grant was audited as sari's
    assert sorted((e.actor_id, e.case_id, e.detail) for e in events(session, "grant.create")) == [
        (sari.reviewer.id, case_id, f"kind=case to={joko.reviewer.id}"),
        (sari.reviewer.id, case_id, f"kind=team to={joko.reviewer.id}"),
    ]
    assert joko.reviewer.needs_grants is False


def test_regrant_is_bounded_by_batch(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given three cases, and joko approved after them by sari, who came later and holds none of them
    rina = founder(session, "rina")
    opd, _ = _opds(session)
    cases = {submit_case(session, config, str(n), opd) for n in range(3)}
    sari = founder(session, "sari")
    sari.reviewer.needs_grants = False  # sari's own catch-up is not what this test counts
    joko = activated(session, "joko")
    approve(session, approver=sari, reviewer=joko.reviewer)
    assert grants_of(session, joko.reviewer) == set()
    # when rina's session re-grants four at a time, then 4, 2, then nothing
    assert regrant_from(session, actor=rina.actor, batch=4) == 4
    assert joko.reviewer.needs_grants is True
    assert regrant_from(session, actor=rina.actor, batch=4) == 2
    assert regrant_from(session, actor=rina.actor, batch=4) == 0
    assert grants_of(session, joko.reviewer) == {(c, kind) for c in cases for kind in ("case", "team")}
    assert joko.reviewer.needs_grants is False and len(events(session, "grant.create")) == 6


def test_recused_reviewer_gets_no_grant_and_cannot_read(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko affiliated with OPD X, and a case about X and one about Y
    admin = founder(session, "admin", admin=True)
    rina = founder(session, "rina")
    joko = founder(session, "joko")
    x, y = _opds(session)
    add_affiliation(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id, kind="member")
    about_x, about_y = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    # then joko was sealed only the Y case, and re-granting does not give him X
    assert grants_of(session, joko.reviewer) == {(about_y, "case"), (about_y, "team")}
    joko.reviewer.needs_grants = True
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    # and reading X directly looks like it does not exist
    with pytest.raises(CaseNotFound):
        read_case(
            session,
            actor=joko.actor,
            case_id=about_x,
        )
    assert (
        read_case(
            session,
            actor=joko.actor,
            case_id=about_y,
        ).report.what
        == "tentang Y"
    )


def test_affiliation_revokes_grants_and_lifting_it_takes_two_other_key_holders(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko holding a case about X and one about Y, an admin and rina, two other key holders
    admin = founder(session, "admin", admin=True)
    rina = founder(session, "rina")
    joko = founder(session, "joko")
    x, y = _opds(session)
    about_x, about_y = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    # when he is declared conflicted with X
    assert add_affiliation(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id, kind="conflict") == 2
    session.commit()
    # then his X grants are gone (audited), his Y grants stay, and X can no longer be read
    assert grants_of(session, joko.reviewer) == {(about_y, "case"), (about_y, "team")}
    assert sorted((e.actor_id, e.case_id, e.detail) for e in events(session, "grant.delete")) == [
        (admin.reviewer.id, about_x, f"kind=case of={joko.reviewer.id}"),
        (admin.reviewer.id, about_x, f"kind=team of={joko.reviewer.id}"),
    ]
    with pytest.raises(CaseNotFound):
        read_case(
            session,
            actor=joko.actor,
            case_id=about_x,
        )
    # when joko proposes lifting his own recusal, it is refused; the admin's proposal alone changes nothing
    with pytest.raises(RemovalRefused) as refused:
        propose_removal(session, actor=joko.actor, reviewer=joko.reviewer, opd_id=x.id)
    assert refused.value.reason == "own"
    proposal = propose_removal(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id)
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    # and neither the proposer nor joko himself can confirm it
    for who, reason in ((admin, "same"), (joko, "own")):
        with pytest.raises(RemovalRefused) as refused:
            confirm_removal(session, actor=who.actor, proposal_id=proposal.id)
        assert refused.value.reason == reason
    assert session.get(Affiliation, (joko.reviewer.id, x.id)) is not None
    # when rina, a second key holder, confirms, then her keys reach him at once and he reads X again
    confirm_removal(session, actor=rina.actor, proposal_id=proposal.id)
    assert session.get(Affiliation, (joko.reviewer.id, x.id)) is None
    assert {(about_x, "case"), (about_x, "team")} <= grants_of(session, joko.reviewer)
    assert regrant_from(session, actor=rina.actor) == 0
    assert (
        read_case(
            session,
            actor=joko.actor,
            case_id=about_x,
        ).report.what
        == "tentang X"
    )
    # and the roster entry carries both signatures (proposer over the proposal, confirmer over the entry)
    entry = session.scalars(select(RosterEntry).where(RosterEntry.action == "affiliation.remove")).one()
    assert admin.reviewer.id in entry.body and rina.reviewer.id in entry.signatures


def test_a_lone_admin_cannot_remove_their_own_affiliation(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given an admin recused from X, and a case about X
    admin = founder(session, "admin", admin=True)
    x, _ = _opds(session)
    add_affiliation(session, actor=admin.actor, reviewer=admin.reviewer, opd_id=x.id, kind="member")
    about_x = submit_case(session, config, "tentang X", x)
    # when she proposes removing her own affiliation, then it is refused
    with pytest.raises(RemovalRefused) as refused:
        propose_removal(session, actor=admin.actor, reviewer=admin.reviewer, opd_id=x.id)
    assert refused.value.reason == "own"
    # when she deletes the affiliation row in the database instead, then the signed roster still recuses her:
    # a new case about X is not sealed to her, and nobody's re-grant gives her the old one
    session.delete(session.get(Affiliation, (admin.reviewer.id, x.id)))
    admin.reviewer.needs_grants = True
    session.flush()
    newer = submit_case(session, config, "tentang X lagi", x)
    rina = founder(session, "rina")
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    assert {c for c, _ in grants_of(session, admin.reviewer)} & {about_x, newer} == set()


def test_a_stale_proposal_cannot_lift_a_recusal_declared_again(session: Session, recovery_secret: bytes) -> None:
    # given joko recused from X, a removal proposed, then (before anyone confirms) he is recused again afresh
    admin, rina, joko = (founder(session, "admin", admin=True), founder(session, "rina"), founder(session, "joko"))
    x, _ = _opds(session)
    add_affiliation(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id, kind="member")
    proposal = propose_removal(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id)
    session.delete(session.get(Affiliation, (joko.reviewer.id, x.id)))
    session.flush()
    add_affiliation(session, actor=joko.actor, reviewer=joko.reviewer, opd_id=x.id, kind="conflict")
    # when rina confirms the old proposal, then it is refused as stale and joko stays recused
    with pytest.raises(RemovalRefused) as refused:
        confirm_removal(session, actor=rina.actor, proposal_id=proposal.id)
    assert refused.value.reason == "stale"
    assert x.id in roster.verified(session).member(joko.reviewer.id).affiliations


def test_disable_deletes_grants_and_sessions_and_blocks_login(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko holding a case and logged in
    admin = founder(session, "admin", admin=True)
    joko = founder(session, "joko")
    opd, _ = _opds(session)
    submit_case(session, config, "ada kasus", opd)
    open_session(session, reviewer=joko.reviewer, keypair=joko.keypair)
    # when he is disabled
    assert disable_reviewer(session, actor=admin.actor, reviewer=joko.reviewer) == 2
    session.commit()
    # then he holds nothing, has no session, cannot log in, and the roster says disabled
    assert grants_of(session, joko.reviewer) == set()
    assert session.scalars(select(ReviewerSession).where(ReviewerSession.reviewer_id == joko.reviewer.id)).all() == []
    assert [e.actor_id for e in events(session, "account.disable")] == [admin.reviewer.id]
    with pytest.raises(LoginFailed):
        authenticate(session, username="joko", passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    assert roster.verified(session).member(joko.reviewer.id).disabled
    # and a database writer who sets his row active again gets him nothing
    joko.reviewer.state = "active"
    session.flush()
    assert submit_case(session, config, "kasus baru", opd) not in {c for c, _ in grants_of(session, joko.reviewer)}


def test_case_nobody_eligible_can_read_is_flagged(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given the only reviewer recused from X, and a case about X and one about Y
    admin = founder(session, "admin", admin=True, reviewer=False)
    rina = founder(session, "rina")
    x, y = _opds(session)
    add_affiliation(session, actor=admin.actor, reviewer=rina.reviewer, opd_id=x.id, kind="member")
    about_x, _ = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    # then only the X case is listed as unreadable
    assert unreadable_cases(session) == [about_x]


def test_step_up_lasts_five_minutes(session: Session, recovery_secret: bytes) -> None:
    # given a logged-in reviewer's session without step-up
    rina, keys = _active(session, "rina")
    open_session(session, reviewer=rina, keypair=keys)
    row = session.scalars(select(ReviewerSession)).one()
    assert recently_stepped_up(row) is False
    # when a code is entered, then step-up holds, still after 4 minutes, but not after 6
    mark_stepped_up(row)
    assert recently_stepped_up(row) is True
    age_session(row, stepped_up=timedelta(minutes=4))
    assert recently_stepped_up(row) is True
    age_session(row, stepped_up=timedelta(minutes=2))
    assert recently_stepped_up(row) is False
