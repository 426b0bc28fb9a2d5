"""cases.team.account_recovery and the roster entries behind it (issue 19): a re-enabled or reset
account starts over unapproved, and the signed roster — not the app's checks alone — keeps the admin
who did it from approving it, and ignores such an entry from anyone but a key-holding admin."""

import pytest
from sqlalchemy.orm import Session

from cases.models import BackupCode, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.team import roster
from cases.team.account_recovery import reenable_reviewer, request_recovery, reset_passphrase, reset_second_factor
from cases.team.errors import AccountActionRefused, ApprovalRefused
from cases.team.membership import disable_reviewer
from cases.team.second_factor import check_code, use_backup_code
from crypto.signing import fingerprint
from crypto.totp import backup_code_hash, new_backup_codes
from tests.domain import SERVER_SECRET, activated, approve, events, founder, fresh_code, grants_of, submit_case


def _reads(session: Session, reviewer_id: str) -> bool:
    verified = roster.verified(session, fresh=True)
    reviewer = session.get(Reviewer, reviewer_id)
    assert reviewer is not None
    return verified.reads(reviewer, 0)  # a unit nobody is recused from


def test_reenabled_account_is_unapproved_and_its_enabler_cannot_approve_it_in_the_roster(session: Session) -> None:
    admin = founder(session, "admin", admin=True)
    budi = founder(session, "budi")
    ani = activated(session, "ani", by=admin)
    approve(session, approver=budi, reviewer=ani.reviewer)
    assert _reads(session, ani.reviewer.id)
    disable_reviewer(session, actor=admin.actor, reviewer=ani.reviewer)
    assert not _reads(session, ani.reviewer.id)

    # A key holder who is not an admin cannot bring it back; nobody brings back their own
    with pytest.raises(AccountActionRefused) as refused:
        reenable_reviewer(session, actor=budi.actor, reviewer=ani.reviewer)
    assert refused.value.reason == "not_holder"

    reenable_reviewer(session, actor=admin.actor, reviewer=ani.reviewer)
    member = roster.verified(session, fresh=True).member(ani.reviewer.id)
    assert member is not None and not member.disabled and not member.approved and member.created_by == admin.reviewer.id
    assert not _reads(session, ani.reviewer.id) and ani.reviewer.approved_at is None

    # Even an approval entry the enabler forces into the roster (past the app's check) is ignored
    roster.append(
        session,
        action="account.approve",
        subject_id=ani.reviewer.id,
        fields={
            "by": admin.reviewer.id,
            "signing_key": fingerprint(ani.signing.public),
            "encryption_key": roster.encryption_fingerprint(ani.keypair.public),
        },
        signers=[(admin.reviewer.id, admin.signing)],
    )
    assert not _reads(session, ani.reviewer.id)


def test_the_original_creator_still_cannot_approve_an_account_someone_else_reenabled(session: Session) -> None:
    # given an admin's creation, approved by a colleague, disabled, then re-enabled by another admin
    admin = founder(session, "admin", admin=True)
    admin2 = founder(session, "admin2", admin=True)
    budi = founder(session, "budi")
    ani = activated(session, "ani", by=admin)
    approve(session, approver=budi, reviewer=ani.reviewer)
    disable_reviewer(session, actor=admin2.actor, reviewer=ani.reviewer)
    reenable_reviewer(session, actor=admin2.actor, reviewer=ani.reviewer)
    # when the original creator forces an approval into the roster (past the app's own check)
    roster.append(
        session,
        action="account.approve",
        subject_id=ani.reviewer.id,
        fields={
            "by": admin.reviewer.id,
            "signing_key": fingerprint(ani.signing.public),
            "encryption_key": roster.encryption_fingerprint(ani.keypair.public),
        },
        signers=[(admin.reviewer.id, admin.signing)],
    )
    # then the roster ignores it: neither the creator nor the one who re-enabled may approve
    assert not _reads(session, ani.reviewer.id)


def test_a_second_factor_reset_takes_the_approval_away_until_someone_else_approves(session: Session) -> None:
    # given an approved reader, and an admin who (say) knows their passphrase
    admin = founder(session, "admin", admin=True)
    creator = founder(session, "creator", admin=True)
    budi = founder(session, "budi")
    ani = activated(session, "ani", by=creator)
    approve(session, approver=admin, reviewer=ani.reviewer)
    assert _reads(session, ani.reviewer.id)
    # when the admin resets ani's second factor (to enrol one of their own)
    reset_second_factor(session, actor=admin.actor, reviewer=ani.reviewer)
    # then ani reads nothing until a key holder other than that admin approves again
    assert not _reads(session, ani.reviewer.id) and ani.reviewer.approved_at is None
    with pytest.raises(ApprovalRefused):
        approve(session, approver=admin, reviewer=ani.reviewer)
    assert not _reads(session, ani.reviewer.id)
    approve(session, approver=budi, reviewer=ani.reviewer)
    assert _reads(session, ani.reviewer.id)


def test_enable_or_reset_entry_signed_by_a_non_admin_is_ignored(session: Session) -> None:
    admin = founder(session, "admin", admin=True)
    budi = founder(session, "budi")
    ani = activated(session, "ani", by=admin)
    approve(session, approver=budi, reviewer=ani.reviewer)
    disable_reviewer(session, actor=admin.actor, reviewer=ani.reviewer)
    roster.append(
        session,
        action="account.enable",
        subject_id=ani.reviewer.id,
        fields={"by": budi.reviewer.id},
        signers=[(budi.reviewer.id, budi.signing)],
    )
    member = roster.verified(session, fresh=True).member(ani.reviewer.id)
    assert member is not None and member.disabled  # ignored: still disabled


def test_reset_passphrase_unbinds_the_old_keys_and_deletes_their_grants(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    admin = founder(session, "admin", admin=True)
    budi = founder(session, "budi")
    ani = activated(session, "ani", by=admin)
    approve(session, approver=budi, reviewer=ani.reviewer)
    submit_case(session, config, "Setoran", active_opds(session)[0])
    assert grants_of(session, ani.reviewer)

    one_time = reset_passphrase(session, actor=admin.actor, reviewer=ani.reviewer)
    assert len(one_time) == 24 and ani.reviewer.state == "pending"
    assert ani.reviewer.public_key is None and ani.reviewer.wrapped_private_key is None
    assert not grants_of(session, ani.reviewer)
    member = roster.verified(session, fresh=True).member(ani.reviewer.id)
    assert member is not None and member.signing_key is None and not member.approved
    assert ani.reviewer.recovery_requested_at is not None  # waiting for recovery until approved again
    assert [e.detail for e in events(session, "account.reset_passphrase")] == [f"reviewer={ani.reviewer.id}"]


def test_nobody_resets_their_own_account(session: Session) -> None:
    admin = founder(session, "admin", admin=True)
    for action in (reset_passphrase, reset_second_factor):
        with pytest.raises(AccountActionRefused) as refused:
            action(session, actor=admin.actor, reviewer=admin.reviewer)
        assert refused.value.reason == "self"
    assert admin.reviewer.state == "active" and admin.reviewer.wrapped_private_key is not None


def test_second_factor_reset_invalidates_codes_and_backup_codes(session: Session) -> None:
    from tests import actions

    admin = founder(session, "admin", admin=True)
    ani = founder(session, "ani")
    fresh_code(session, ani.reviewer)  # enrolled
    spare = new_backup_codes()[0]
    session.add(BackupCode(reviewer_id=ani.reviewer.id, code_hash=backup_code_hash(spare)))
    session.flush()
    old_code = actions.CLOCK.next_code("ani")

    reset_second_factor(session, actor=admin.actor, reviewer=ani.reviewer)
    assert not check_code(reviewer=ani.reviewer, code=old_code, server_secret=SERVER_SECRET)
    assert not use_backup_code(session, reviewer=ani.reviewer, code=spare)
    assert not ani.reviewer.totp_enabled


def test_recovery_request_marks_only_real_accounts(session: Session) -> None:
    admin = founder(session, "admin", admin=True)
    request_recovery(session, username="  ADMIN ")
    request_recovery(session, username="tidak-ada")
    assert admin.reviewer.recovery_requested_at is not None
    assert admin.reviewer.recovery_requested_at.minute == 0  # the hour only
    assert [e.detail for e in events(session, "account.recovery_request")] == [
        f"reviewer={admin.reviewer.id}",
        "unknown",
    ]
