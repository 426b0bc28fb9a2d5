"""cases.team: four-eyes approval, recusal enforced by grants, disabling, step-up."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accounts import activate, authenticate, create_reviewer
from cases.clock import utc_now
from cases.config import Config
from cases.custody import mark_stepped_up, open_session, recently_stepped_up
from cases.errors import CaseNotFound, LoginFailed
from cases.grants import open_reviewer_key, regrant_from, unreadable_cases
from cases.items import open_item
from cases.models import CaseItem, Opd, Reviewer, ReviewerSession
from cases.reading import read_case
from cases.report_content import ReportContent
from cases.seed import active_opds
from cases.team import (
    ApprovalRefused,
    add_affiliation,
    approve_at_installation,
    approve_reviewer,
    disable_reviewer,
    remove_affiliation,
)
from crypto.keys import KeyPair
from tests.conftest import CHEAP_KDF
from tests.domain import events, grants_of, submit_case

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"


def _active(session: Session, username: str, *, approved: bool = True,
            created_by: Reviewer | None = None) -> tuple[Reviewer, KeyPair]:
    reviewer, _ = create_reviewer(session, username=username, display_name=username.title(),
                                  created_by_id=created_by.id if created_by else None)
    keypair = activate(session, reviewer=reviewer, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    if approved:
        reviewer.approved_at = reviewer.activated_at
    session.flush()
    return reviewer, keypair


def _opds(session: Session) -> tuple[Opd, Opd]:
    first, second = active_opds(session)[:2]
    return first, second


def _report(session: Session, case_id: str, case_key: bytes) -> str:
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "report")).one()
    return ReportContent.from_bytes(open_item(item, case_key)).what


def test_approval_refuses_self_and_the_creator(session: Session, recovery_secret: bytes) -> None:
    # given a key holder rina who created joko's account, and joko activated
    rina, _ = _active(session, "rina")
    joko, _ = _active(session, "joko", approved=False, created_by=rina)
    # when joko approves himself or rina approves the account she created, then both are refused
    with pytest.raises(ApprovalRefused) as refused:
        approve_reviewer(session, approver=joko, reviewer=joko)
    assert refused.value.reason == "self"
    with pytest.raises(ApprovalRefused) as refused:
        approve_reviewer(session, approver=rina, reviewer=joko)
    assert refused.value.reason == "creator"
    assert joko.approved_at is None and events(session, "account.approve") == []


@pytest.mark.parametrize("approver_kind", ["pending", "unapproved", "disabled"])
def test_approval_refuses_an_approver_without_keys(session: Session, recovery_secret: bytes,
                                                  approver_kind: str) -> None:
    # given joko activated, and an approver that is not a key-holding reviewer
    joko, _ = _active(session, "joko", approved=False)
    if approver_kind == "pending":
        approver, _ = create_reviewer(session, username="sari", display_name="Sari")
    else:
        approver, _ = _active(session, "sari", approved=approver_kind == "disabled")
        if approver_kind == "disabled":
            disable_reviewer(session, actor=None, reviewer=approver)
    # when they approve joko, then it is refused as not a key holder
    with pytest.raises(ApprovalRefused) as refused:
        approve_reviewer(session, approver=approver, reviewer=joko)
    assert refused.value.reason == "not_holder" and joko.approved_at is None


def test_approval_refuses_a_pending_or_already_approved_account(session: Session, recovery_secret: bytes) -> None:
    # given a key holder, a pending account and an approved one, then neither can be approved
    rina, _ = _active(session, "rina")
    pending, _ = create_reviewer(session, username="joko", display_name="Joko")
    approved, _ = _active(session, "sari")
    for reviewer, reason in ((pending, "not_active"), (approved, "already")):
        with pytest.raises(ApprovalRefused) as refused:
            approve_reviewer(session, approver=rina, reviewer=reviewer)
        assert refused.value.reason == reason


def test_another_key_holder_approves_and_it_is_audited(session: Session, recovery_secret: bytes) -> None:
    # given an admin who created joko, and rina, a key holder who did not
    admin, _ = _active(session, "admin")
    rina, _ = _active(session, "rina")
    joko, _ = _active(session, "joko", approved=False, created_by=admin)
    # when rina approves joko
    approve_reviewer(session, approver=rina, reviewer=joko)
    session.commit()
    # then joko is approved by rina, flagged to receive grants, and the approval is audited
    assert joko.approved_at is not None and joko.approved_by_id == rina.id and joko.needs_grants is True
    assert [(e.actor_id, e.detail) for e in events(session, "account.approve")] == [(rina.id, f"reviewer={joko.id}")]


def test_installation_approves_only_the_first_reviewer_ever(session: Session, recovery_secret: bytes) -> None:
    # given two activated reviewers and nobody approved yet
    first, _ = _active(session, "rina", approved=False)
    second, _ = _active(session, "joko", approved=False)
    # when the installation approves both, then only the first is approved, and that is audited
    assert approve_at_installation(session, reviewer=first) is True
    assert approve_at_installation(session, reviewer=second) is False
    assert first.approved_at is not None and second.approved_at is None
    assert [e.detail for e in events(session, "account.approve")] == [f"reviewer={first.id} by=installation"]


def test_unapproved_reviewer_gets_no_grants_until_approved(session: Session, config: Config,
                                                           recovery_secret: bytes) -> None:
    # given key holder rina, and joko activated but not approved (even if flagged for grants)
    rina, rina_keys = _active(session, "rina")
    joko, joko_keys = _active(session, "joko", approved=False)
    joko.needs_grants = True
    opd, _ = _opds(session)
    case_id = submit_case(session, config, "setoran bulanan", opd)
    # then he got nothing at submission, and nothing when rina's session re-grants
    assert grants_of(session, joko) == set()
    assert regrant_from(session, holder=rina, private_key=rina_keys.private) == 0
    assert grants_of(session, joko) == set()
    # when sari (another holder) approves him and rina's session re-grants
    sari, _ = _active(session, "sari")
    approve_reviewer(session, approver=sari, reviewer=joko)
    assert regrant_from(session, holder=rina, private_key=rina_keys.private) == 2
    session.commit()
    # then both keys are sealed to joko: they open with his private key and decrypt the report
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=joko, private_key=joko_keys.private)
    team_key = open_reviewer_key(session, case_id=case_id, reviewer=joko, private_key=joko_keys.private,
                                 key_kind="team")
    assert _report(session, case_id, case_key) == "setoran bulanan"
    assert team_key == open_reviewer_key(session, case_id=case_id, reviewer=rina, private_key=rina_keys.private,
                                         key_kind="team") != case_key
    # and each grant was audited as rina's
    assert sorted((e.actor_id, e.case_id, e.detail) for e in events(session, "grant.create")) == [
        (rina.id, case_id, f"kind=case to={joko.id}"), (rina.id, case_id, f"kind=team to={joko.id}")]
    assert joko.needs_grants is False


def test_regrant_is_bounded_by_batch(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given three cases and joko approved after them
    rina, rina_keys = _active(session, "rina")
    opd, _ = _opds(session)
    cases = {submit_case(session, config, str(n), opd) for n in range(3)}
    joko, _ = _active(session, "joko", approved=False)
    approve_reviewer(session, approver=rina, reviewer=joko)
    # when rina's session re-grants four at a time, then 4, 2, then nothing
    assert regrant_from(session, holder=rina, private_key=rina_keys.private, batch=4) == 4
    assert joko.needs_grants is True
    assert regrant_from(session, holder=rina, private_key=rina_keys.private, batch=4) == 2
    assert regrant_from(session, holder=rina, private_key=rina_keys.private, batch=4) == 0
    assert grants_of(session, joko) == {(c, kind) for c in cases for kind in ("case", "team")}
    assert joko.needs_grants is False and len(events(session, "grant.create")) == 6


def test_recused_reviewer_gets_no_grant_and_cannot_read(session: Session, config: Config,
                                                        recovery_secret: bytes) -> None:
    # given joko affiliated with OPD X, and a case about X and one about Y
    admin, _ = _active(session, "admin")
    rina, rina_keys = _active(session, "rina")
    joko, joko_keys = _active(session, "joko")
    x, y = _opds(session)
    add_affiliation(session, actor=admin, reviewer=joko, opd_id=x.id, kind="member")
    about_x, about_y = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    # then joko was sealed only the Y case, and re-granting does not give him X
    assert grants_of(session, joko) == {(about_y, "case"), (about_y, "team")}
    joko.needs_grants = True
    assert regrant_from(session, holder=rina, private_key=rina_keys.private) == 0
    # and reading X directly looks like it does not exist
    with pytest.raises(CaseNotFound):
        read_case(session, reviewer=joko, case_id=about_x, private_key=joko_keys.private)
    assert read_case(session, reviewer=joko, case_id=about_y, private_key=joko_keys.private).report.what == "tentang Y"


def test_affiliation_revokes_grants_and_lifting_it_restores_them(session: Session, config: Config,
                                                                  recovery_secret: bytes) -> None:
    # given joko holding a case about X and one about Y
    admin, _ = _active(session, "admin")
    rina, rina_keys = _active(session, "rina")
    joko, joko_keys = _active(session, "joko")
    x, y = _opds(session)
    about_x, about_y = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    # when he is declared conflicted with X
    assert add_affiliation(session, actor=admin, reviewer=joko, opd_id=x.id, kind="conflict") == 2
    session.commit()
    # then his X grants are gone (audited), his Y grants stay, and X can no longer be read
    assert grants_of(session, joko) == {(about_y, "case"), (about_y, "team")}
    assert sorted((e.actor_id, e.case_id, e.detail) for e in events(session, "grant.delete")) == [
        (admin.id, about_x, f"kind=case of={joko.id}"), (admin.id, about_x, f"kind=team of={joko.id}")]
    with pytest.raises(CaseNotFound):
        read_case(session, reviewer=joko, case_id=about_x, private_key=joko_keys.private)
    # when the recusal is lifted and rina's session re-grants, then he reads X again
    remove_affiliation(session, actor=admin, reviewer=joko, opd_id=x.id)
    assert regrant_from(session, holder=rina, private_key=rina_keys.private) == 2
    assert read_case(session, reviewer=joko, case_id=about_x, private_key=joko_keys.private).report.what == "tentang X"


def test_disable_deletes_grants_and_sessions_and_blocks_login(session: Session, config: Config,
                                                               recovery_secret: bytes) -> None:
    # given joko holding a case and logged in
    admin, _ = _active(session, "admin")
    joko, joko_keys = _active(session, "joko")
    opd, _ = _opds(session)
    submit_case(session, config, "ada kasus", opd)
    open_session(session, reviewer=joko, keypair=joko_keys)
    # when he is disabled
    assert disable_reviewer(session, actor=admin, reviewer=joko) == 2
    session.commit()
    # then he holds nothing, has no session, and cannot log in
    assert grants_of(session, joko) == set()
    assert session.scalars(select(ReviewerSession).where(ReviewerSession.reviewer_id == joko.id)).all() == []
    assert [e.actor_id for e in events(session, "account.disable")] == [admin.id]
    with pytest.raises(LoginFailed):
        authenticate(session, username="joko", passphrase=PASSPHRASE, kdf=CHEAP_KDF)


def test_case_nobody_eligible_can_read_is_flagged(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given the only reviewer recused from X, and a case about X and one about Y
    admin, _ = _active(session, "admin")
    rina, _ = _active(session, "rina")
    admin.is_reviewer = False
    x, y = _opds(session)
    add_affiliation(session, actor=admin, reviewer=rina, opd_id=x.id, kind="member")
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
    row.stepped_up_at = utc_now() - timedelta(minutes=4)
    assert recently_stepped_up(row) is True
    row.stepped_up_at = utc_now() - timedelta(minutes=6)
    assert recently_stepped_up(row) is False
