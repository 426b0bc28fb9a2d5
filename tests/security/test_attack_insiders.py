"""Insiders (issue 14): a database writer, a lone admin, a conflicted reviewer gain no reader.

Each test plays the attacker with the powers named: rows inserted, edited or deleted
directly, hashes recomputed, a CLI run without a second person. The promise holds when
nothing is sealed to the attacker's key and the admins are warned.
"""

import json
import re

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.models import Affiliation, KeyGrant, RecoveryKey, Reviewer, RosterEntry
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.team import roster
from cases.team.grants import regrant_from
from cases.team.integrity import findings
from cases.team.roster import canonical, entry_hash
from crypto.keys import generate_keypair, open_grant
from crypto.recovery import new_master_secret, recovery_keypair
from crypto.signing import generate_signing_key, sign
from tests import actions
from tests.actions import full_login, login
from tests.domain import activated, events, founder, grants_of, submit_case
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer


def _plant(session: Session, username: str = "siluman") -> tuple[Reviewer, bytes]:
    """The database writer's reader: a row with their own key, active, approved, flagged for grants."""
    keys = generate_keypair()
    planted = Reviewer(
        username=username,
        display_name="Siluman",
        state="active",
        is_reviewer=True,
        public_key=keys.public,
        signing_public_key=generate_signing_key().public,
        created_at=utc_now(),
        activated_at=utc_now(),
        approved_at=utc_now(),
        needs_grants=True,
    )
    session.add(planted)
    session.flush()
    return planted, keys.private


def _opened(session: Session, reviewer: Reviewer, private: bytes) -> int:
    """How many grants the attacker's private key opens."""
    opened = 0
    for grant in session.scalars(select(KeyGrant).where(KeyGrant.recipient_id == reviewer.recipient_id)):
        open_grant(
            grant.sealed,
            recipient_private=private,
            case_id=grant.case_id,
            key_kind=grant.key_kind,
            recipient_id=reviewer.recipient_id,
        )
        opened += 1
    return opened


def _append_forged(
    session: Session, *, action: str, subject: str, fields: dict[str, object], signer_id: str, signer_private: bytes
) -> None:
    """A database writer appends a well-chained entry, signed with a key of their own."""
    last = session.scalars(select(RosterEntry).order_by(RosterEntry.seq.desc())).first()
    assert last is not None
    seq = last.seq + 1
    body = canonical({**fields, "seq": seq, "action": action, "subject": subject, "audit": [0, "00" * 32]})
    digest = entry_hash(last.hash, body)
    import base64

    signature = base64.b64encode(sign(signer_private, digest, purpose="roster")).decode()
    session.add(
        RosterEntry(
            seq=seq,
            action=action,
            subject_id=subject,
            body=body,
            prev_hash=last.hash,
            hash=digest,
            signatures=json.dumps([{"by": signer_id, "sig": signature}]),
        )
    )
    session.flush()


def test_a_planted_reviewer_gets_no_grant_at_submission_nor_at_regrant(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a real key holder and three cases, and a reviewer row planted by direct insert
    rina = founder(session, "rina")
    opd = active_opds(session)[0]
    before = [submit_case(session, config, f"kasus {n}", opd) for n in range(3)]
    planted, private = _plant(session)
    # when more reports arrive and the key holder's ordinary login re-grants
    after = submit_case(session, config, "kasus baru", opd)
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    # then the planted key opens nothing, old or new
    assert grants_of(session, planted) == set() and _opened(session, planted, private) == 0
    assert {c for c, _ in grants_of(session, rina.reviewer)} == {*before, after}
    # and every admin is warned by name
    assert [f.subject for f in findings(session) if f.kind == "reviewer"] == ["siluman"]


def test_a_swapped_public_key_gets_nothing(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a verified reader whose public key the database writer replaces with their own
    rina = founder(session, "rina")
    attacker = generate_keypair()
    rina.reviewer.public_key = attacker.public
    session.flush()
    # when a report arrives, then it is not sealed to that row at all, and the row is named
    case_id = submit_case(session, config, "laporan", active_opds(session)[0])
    assert (case_id, "case") not in grants_of(session, rina.reviewer)
    assert any(f.subject == "rina" and "other than" in f.detail for f in findings(session))


def test_forged_roster_entries_do_not_verify(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a real key holder, and a planted account
    rina = founder(session, "rina", admin=True)
    planted, private = _plant(session)
    own = generate_signing_key()
    # when the writer appends, well chained, a creation, activation and approval signed with their own key,
    # or claims rina signed the approval
    _append_forged(
        session,
        action="account.create",
        subject=planted.id,
        signer_id=rina.reviewer.id,
        signer_private=own.private,
        fields={"by": rina.reviewer.id, "username": "siluman", "admin": False, "reviewer": True},
    )
    _append_forged(
        session,
        action="founder",
        subject=planted.id,
        signer_id=planted.id,
        signer_private=own.private,
        fields={"username": "siluman", "signing_key": own.public.hex(), "admin": True, "reviewer": True},
    )
    # then the roster names each entry as not verifying, and the planted reader still gets nothing
    bad = {f.subject for f in roster.problems(session, fresh=True) if f.kind == "entry"}
    assert len(bad) == 2
    submit_case(session, config, "laporan", active_opds(session)[0])
    assert grants_of(session, planted) == set() and _opened(session, planted, private) == 0


@pytest.mark.parametrize("attack", ["delete", "reorder", "edit"])
def test_a_rewritten_roster_adds_nobody(session: Session, config: Config, recovery_secret: bytes, attack: str) -> None:
    # given joko approved through the roster, and then recused from X
    admin, rina = founder(session, "admin", admin=True), founder(session, "rina")
    joko = activated(session, "joko", by=admin)
    from tests.domain import approve

    approve(session, approver=rina, reviewer=joko.reviewer)
    entries = list(session.scalars(select(RosterEntry).order_by(RosterEntry.seq)))
    approval = next(e for e in entries if e.action == "account.approve")
    # when the writer deletes an entry before the approval, swaps two, or edits one and recomputes its hash
    first = entries[0]
    if attack == "delete":
        session.delete(first)
    elif attack == "reorder":
        a, b = entries[0], entries[1]
        a.seq, b.seq = -1, -2
        session.flush()
        a.seq, b.seq = 2, 1
    else:
        body = json.loads(first.body)
        body["admin"] = not body.get("admin")
        first.body = canonical(body)
        first.hash = entry_hash(first.prev_hash, first.body)
    session.flush()
    session.expire_all()
    verified = roster.verified(session, fresh=True)
    # then the break is named, and the roster fails closed: nobody is a reader, joko's approval does not count
    assert any(f.kind == "entry" for f in verified.problems)
    assert verified.members == {} and approval.seq >= 1
    case_id = submit_case(session, config, "laporan", active_opds(session)[0])
    assert {c for c, _ in grants_of(session, rina.reviewer)} & {case_id} == set()


@pytest.mark.parametrize("attack", ["delete", "edit"])
def test_a_recusal_removed_from_the_middle_of_the_roster_fails_closed(
    session: Session, config: Config, recovery_secret: bytes, attack: str
) -> None:
    # given joko recused from X, and later entries after the recusal (another founder joins)
    from cases.team.membership import add_affiliation

    admin, joko = founder(session, "admin", admin=True), founder(session, "joko")
    x, y = active_opds(session)[:2]
    add_affiliation(
        session,
        actor=admin.actor,
        reviewer=joko.reviewer,
        opd_id=x.id,
        kind="member",
    )
    founder(session, "rina")
    recusal = session.scalars(select(RosterEntry).where(RosterEntry.action == "affiliation.add")).one()
    # when the writer deletes the recusal and renumbers and rechains what follows (no anchor to compare),
    # or edits its unit to another one and rechains
    later = list(session.scalars(select(RosterEntry).where(RosterEntry.seq > recusal.seq).order_by(RosterEntry.seq)))
    prev = recusal.prev_hash
    if attack == "delete":
        session.delete(recusal)
        session.flush()
    else:
        body = json.loads(recusal.body)
        body["opd"] = y.id
        recusal.body = canonical(body)
        recusal.hash = entry_hash(prev, recusal.body)
        prev = recusal.hash
    for entry in later:
        if attack == "delete":
            entry.seq -= 1
        entry.prev_hash, entry.hash = prev, entry_hash(prev, entry.body)
        prev = entry.hash
    session.execute(delete(Affiliation))
    session.flush()
    config.anchor_path.unlink(missing_ok=True)  # the anchor file would catch a cut head: the roster alone holds
    session.expire_all()
    # then the roster fails closed: a case about X reaches no reviewer
    verified = roster.verified(session, fresh=True)
    assert verified.members == {} and any(f.kind == "entry" for f in verified.problems)
    case_id = submit_case(session, config, "tentang X", x)
    assert (case_id, "case") not in grants_of(session, joko.reviewer)


def test_deleting_an_affiliation_row_does_not_lift_a_recusal(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a reviewer recused from X by a signed roster entry
    admin, joko = founder(session, "admin", admin=True), founder(session, "joko")
    x = active_opds(session)[0]
    from cases.team.membership import add_affiliation

    add_affiliation(
        session,
        actor=admin.actor,
        reviewer=joko.reviewer,
        opd_id=x.id,
        kind="conflict",
    )
    # when a database writer deletes the affiliation row (and flags him for grants)
    session.execute(delete(Affiliation).where(Affiliation.reviewer_id == joko.reviewer.id))
    joko.reviewer.needs_grants = True
    session.flush()
    # then cases about X are still never sealed to him
    case_id = submit_case(session, config, "tentang X", x)
    assert (case_id, "case") not in grants_of(session, joko.reviewer)
    assert (
        regrant_from(
            session,
            actor=admin.actor,
        )
        == 0
    )
    assert (case_id, "case") not in grants_of(session, joko.reviewer)


def test_a_swapped_recovery_key_receives_nothing(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given the installed recovery key replaced in the database by the writer's own
    key = session.scalars(select(RecoveryKey)).one()
    attacker_master = new_master_secret()
    key.public_key = recovery_keypair(attacker_master).public
    session.commit()
    # when a reporter submits, then nothing is sealed to the writer's key: the report is refused instead
    from cases.reporting.errors import RecoveryKeyMissing

    with pytest.raises(RecoveryKeyMissing):
        submit_case(session, config, "laporan", active_opds(session)[0])
    session.rollback()
    assert session.scalars(select(KeyGrant)).all() == []
    assert [f.kind for f in findings(session)] == ["recovery"]


def test_the_cli_refuses_to_create_an_account_without_saying_who(review_app: Flask) -> None:
    runner = review_app.test_cli_runner()
    result = runner.invoke(args=["create-reviewer", "boneka"])
    assert result.exit_code != 0 and "--by" in result.output
    # and --by someone needs that someone's passphrase
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")
    wrong = runner.invoke(args=["create-reviewer", "boneka", "--by", "admin"], input="bukan frasa sandinya\n")
    assert wrong.exit_code != 0 and "do not match" in wrong.output
    # and, like the review app's login, a fresh code from the admin's authenticator app
    no_code = runner.invoke(args=["create-reviewer", "boneka", "--by", "admin"], input=NEW_PASSPHRASE + "\n123456\n")
    assert no_code.exit_code != 0 and "code is not valid" in no_code.output
    done = runner.invoke(
        args=["create-reviewer", "boneka", "--by", "admin"],
        input=NEW_PASSPHRASE + "\n" + actions.CLOCK.next_code("admin") + "\n",
    )
    assert done.exit_code == 0, done.output


def test_the_creator_on_the_cli_cannot_approve_in_the_ui(review_app: Flask, session: Session) -> None:
    # given an admin who creates boneka on the CLI (records --by admin), and boneka activated
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    puppet = review_app.test_client()
    activated_reviewer(review_app, puppet, "boneka", "--by", "admin", passphrase=NEW_PASSPHRASE)
    boneka = session.scalars(select(Reviewer).where(Reviewer.username == "boneka")).one()
    assert boneka.created_by_id is not None
    # when the admin approves with a fresh code, then it is refused as the creator's approval
    from tests.review.test_review_workspace import approve_in_ui

    refused = approve_in_ui(admin, "admin", boneka.id)
    assert refused.status_code == 400
    session.expire_all()
    assert session.get(Reviewer, boneka.id).approved_at is None
    assert events(session, "account.approve") == []


def test_a_planted_reviewer_raises_the_warning_on_every_admin_page(review_app: Flask, session: Session) -> None:
    # given an admin, and a reviewer row planted by a database writer
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    _plant(session)
    session.commit()
    # then the admin's pages carry the warning naming it; a non-admin colleague's do not
    for page in ("/", "/dashboard", "/team"):
        html = admin.get(page).get_data(as_text=True)
        assert "Peringatan keutuhan" in html and "siluman" in html, page
    assert admin.get("/team").get_data(as_text=True).count("tidak ada dalam daftar tim bertanda tangan") == 1
    colleague = review_app.test_client()
    activated_reviewer(review_app, colleague, "ani")
    assert "Peringatan keutuhan" not in colleague.get("/").get_data(as_text=True)
    # and `roster verify` names the row and fails
    result = review_app.test_cli_runner().invoke(args=["roster", "verify"])
    assert result.exit_code != 0 and "siluman" in result.output


def test_roster_verify_is_quiet_when_intact(review_app: Flask) -> None:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")
    result = review_app.test_cli_runner().invoke(args=["roster", "verify"])
    assert result.exit_code == 0 and "Roster intact" in result.output
    assert re.search(r"1 verified reader", result.output)


def test_a_founder_made_at_installation_activates_with_the_key_made_then(review_app: Flask, session: Session) -> None:
    # given the installation ceremony's founder, activated in the browser
    client = review_app.test_client()
    activated_reviewer(review_app, client, "siti", "--admin")
    siti = session.scalars(select(Reviewer).where(Reviewer.username == "siti")).one()
    # then the signing key bound at activation is the one whose fingerprint is a root
    verified = roster.verified(session, fresh=True)
    assert verified.member(siti.id).founder and verified.row_matches(siti) and verified.problems == []
    # and a login afterwards unwraps the same key (it signs: the audit and roster keep working)
    from tests.actions import logout

    logout(client)
    assert full_login(client, "siti", NEW_PASSPHRASE).status_code == 302
    assert login is not None


def test_keys_bound_by_a_writer_after_activation_are_ignored(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko, created by an admin and activated with his own keys
    from cases.team.membership import keys_to_confirm, own_fingerprints

    admin = founder(session, "admin", admin=True)
    joko = activated(session, "joko", by=admin)
    assert keys_to_confirm(session, joko.reviewer) == own_fingerprints(
        signing=joko.signing, encryption_public=joko.keypair.public
    )
    # when a database writer binds keys of their own with a self-signed activation, and swaps his row's keys
    own_signing, own_keys = generate_signing_key(), generate_keypair()
    _append_forged(
        session,
        action="account.activate",
        subject=joko.reviewer.id,
        signer_id=joko.reviewer.id,
        signer_private=own_signing.private,
        fields={
            "signing_key": own_signing.public.hex(),
            "encryption_key": roster.encryption_fingerprint(own_keys.public),
        },
    )
    joko.reviewer.public_key, joko.reviewer.signing_public_key = own_keys.public, own_signing.public
    session.flush()
    # then the first activation stands (the forged one is named and ignored), so the approver is still shown
    # joko's own keys, and the swapped row cannot be approved nor read
    assert keys_to_confirm(session, joko.reviewer) == own_fingerprints(
        signing=joko.signing, encryption_public=joko.keypair.public
    )
    assert any("account.activate" in f.detail for f in roster.problems(session, fresh=True))
    rina = founder(session, "rina")
    from tests.domain import approve

    with pytest.raises(Exception, match="not_active"):
        approve(session, approver=rina, reviewer=joko.reviewer)


def test_cutting_a_recusal_off_the_roster_tail_fails_closed(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko recused from X by the newest roster entry, committed (so its head is anchored outside the database)
    from cases.team.membership import add_affiliation

    admin, joko = founder(session, "admin", admin=True), founder(session, "joko")
    x = active_opds(session)[0]
    add_affiliation(
        session,
        actor=admin.actor,
        reviewer=joko.reviewer,
        opd_id=x.id,
        kind="conflict",
    )
    session.commit()
    # when a database writer deletes that entry and the affiliation row: the chain left behind is intact
    session.execute(delete(RosterEntry).where(RosterEntry.action == "affiliation.add"))
    session.execute(delete(Affiliation))
    session.commit()
    # then the roster fails closed: the cut is named, nobody is a reader, a new case about X reaches no reviewer
    assert any("anchored outside the database" in f.detail for f in findings(session))
    case_id = submit_case(session, config, "tentang X", x)
    assert (case_id, "case") not in grants_of(session, joko.reviewer)
    assert (case_id, "case") not in grants_of(session, admin.reviewer)


def test_the_founder_signs_the_recovery_key_installed_with_them(review_app: Flask, session: Session) -> None:
    # given the installation ceremony: a recovery key among the roots, then a founder
    result = review_app.test_cli_runner().invoke(args=["create-founder", "siti"])
    assert result.exit_code == 0, result.output
    # then the roster holds a verified recovery.install entry signed by that founder
    entry = session.scalars(select(RosterEntry).where(RosterEntry.action == "recovery.install")).one()
    key = session.scalars(select(RecoveryKey)).one()
    assert roster.encryption_fingerprint(key.public_key) in entry.body
    assert roster.problems(session, fresh=True) == []


def test_an_approval_signs_only_the_fingerprints_shown(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko waiting for approval, and an approval page that showed other fingerprints than the roster binds
    from cases.team.errors import ApprovalRefused
    from cases.team.membership import KeysToConfirm, approve_reviewer
    from tests.domain import SERVER_SECRET, fresh_code

    admin, rina = founder(session, "admin", admin=True), founder(session, "rina")
    joko = activated(session, "joko", by=admin)
    shown = KeysToConfirm(signing="00" * 32, encryption="11" * 32)
    # when rina approves what she was shown, then it is refused and nothing is signed
    with pytest.raises(ApprovalRefused, match="changed"):
        approve_reviewer(
            session,
            approver=rina.actor,
            reviewer=joko.reviewer,
            code=fresh_code(session, rina.reviewer),
            server_secret=SERVER_SECRET,
            shown=shown,
        )
    assert not roster.verified(session).member(joko.reviewer.id).approved


def test_a_root_key_binds_one_founder_once(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given an admin-only founder recused from X, with their root signing key in hand (and database access)
    from cases.team.membership import add_affiliation

    admin = founder(session, "admin", admin=True, reviewer=False)
    keeper = founder(session, "keeper", admin=True)
    x = active_opds(session)[0]
    add_affiliation(
        session,
        actor=keeper.actor,
        reviewer=admin.reviewer,
        opd_id=x.id,
        kind="conflict",
    )
    twin, twin_private = _plant(session, "kembar")
    twin.signing_public_key = admin.signing.public
    # when they sign a second founder entry for themselves (now a reader), and a founder entry for a twin account
    _append_forged(
        session,
        action="founder",
        subject=admin.reviewer.id,
        signer_id=admin.reviewer.id,
        signer_private=admin.signing.private,
        fields={"username": "admin", "signing_key": admin.signing.public.hex(), "admin": True, "reviewer": True},
    )
    _append_forged(
        session,
        action="founder",
        subject=twin.id,
        signer_id=twin.id,
        signer_private=admin.signing.private,
        fields={"username": "kembar", "signing_key": admin.signing.public.hex(), "admin": True, "reviewer": True},
    )
    # then neither widens anything: the admin stays no reader, the twin is no member, a case about X reaches neither
    verified = roster.verified(session, fresh=True)
    assert (
        not verified.member(admin.reviewer.id).reviewer
        and verified.member(twin.id) is None
        or not verified.member(twin.id).founder
    )
    case_id = submit_case(session, config, "tentang X", x)
    assert grants_of(session, twin) == set() and (case_id, "case") not in grants_of(session, admin.reviewer)
    assert twin_private


def test_a_frozen_audit_anchor_does_not_let_a_recusal_be_cut_later(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given an anchored, approved team (found by an attacker's review of this code)
    from sqlalchemy import func

    from cases.accountability import anchors
    from cases.models import AuditAnchor, AuditEvent
    from cases.team.membership import add_affiliation
    from tests.domain import approve

    admin, rina = founder(session, "admin", admin=True), founder(session, "rina")
    joko = activated(session, "joko", by=admin)
    approve(session, approver=rina, reviewer=joko.reviewer)
    session.commit()
    assert anchors.check_at_login(session) == []
    session.commit()
    max_event = session.scalar(select(func.max(AuditEvent.id)))
    max_anchor = session.scalar(select(func.max(AuditAnchor.id)))
    max_seq = session.scalar(select(func.max(RosterEntry.seq)))
    # when a writer breaks the anchored event for a while, so anchors freeze, while the admin recuses joko
    victim = session.get(AuditEvent, max_event)
    original = victim.detail
    victim.detail = original + " "
    session.commit()
    opd = active_opds(session)[0]
    add_affiliation(
        session,
        actor=admin.actor,
        reviewer=joko.reviewer,
        opd_id=opd.id,
        kind="conflict",
    )
    session.commit()
    # and then undoes the break and cuts everything after it (roster entry, anchors, events, the row)
    session.get(AuditEvent, max_event).detail = original
    session.execute(delete(RosterEntry).where(RosterEntry.seq > max_seq))
    session.execute(delete(AuditAnchor).where(AuditAnchor.id > max_anchor))
    session.execute(delete(AuditEvent).where(AuditEvent.id > max_event))
    session.execute(delete(Affiliation))
    session.commit()
    session.expire_all()
    # then the roster's head was anchored all the same: the cut is named and nothing reaches joko
    assert any("anchored outside the database" in f.detail for f in roster.problems(session, fresh=True))
    case_id = submit_case(session, config, "sesudah", opd)
    assert (case_id, "case") not in grants_of(session, joko.reviewer)


def test_moving_a_case_to_another_unit_passes_no_key_past_a_recusal(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko recused from X and a case about X he was never sealed
    from cases.team.membership import add_affiliation

    admin, rina, joko = founder(session, "admin", admin=True), founder(session, "rina"), founder(session, "joko")
    x, y = active_opds(session)[:2]
    add_affiliation(
        session,
        actor=admin.actor,
        reviewer=joko.reviewer,
        opd_id=x.id,
        kind="conflict",
    )
    case_id = submit_case(session, config, "tentang X", x)
    # when a database writer moves the case to unit Y and flags joko, then rina's re-grant passes nothing on
    from cases.models import Case

    session.get(Case, case_id).opd_id = y.id
    joko.reviewer.needs_grants = True
    session.flush()
    assert (
        regrant_from(
            session,
            actor=rina.actor,
        )
        == 0
    )
    assert (case_id, "case") not in grants_of(session, joko.reviewer)
    # and nobody opens the moved case's keys (404 rather than a key bound to another unit)
    from cases.errors import CaseNotFound
    from cases.team.grants import open_reviewer_key

    with pytest.raises(CaseNotFound):
        open_reviewer_key(
            session,
            case_id=case_id,
            reviewer=rina.reviewer,
            private_key=rina.keypair.private,
        )


def test_a_team_key_swapped_into_the_grants_is_never_used(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a fresh case, and a database writer who seals a team key of their own to every team-key recipient
    from cases.errors import CaseNotFound
    from cases.triage.workflow import add_note
    from crypto.keys import new_symmetric_key, seal_key

    rina = founder(session, "rina")
    case_id = submit_case(session, config, "laporan", active_opds(session)[0])
    own = new_symmetric_key()
    for grant in session.scalars(select(KeyGrant).where(KeyGrant.case_id == case_id, KeyGrant.key_kind == "team")):
        public = rina.keypair.public if grant.reviewer_id else session.scalars(select(RecoveryKey)).one().public_key
        grant.sealed = seal_key(
            own, recipient_public=public, case_id=case_id, key_kind="team", recipient_id=grant.recipient_id
        )
    session.flush()
    # when rina writes an internal note, then the swapped key is refused: nothing is encrypted to the writer
    with pytest.raises(CaseNotFound):
        add_note(
            session,
            actor=rina.actor,
            case_id=case_id,
            text="catatan rahasia tim",
        )


def test_the_upgrade_ceremony_makes_an_existing_key_holder_a_founder(
    review_app: Flask, session: Session, config: Config
) -> None:
    # given an account activated before the roster existed (no roster entry at all)
    from cases.models import AuditAnchor
    from cases.team.accounts import activate, new_account_row
    from tests.domain import CHEAP_KDF, PASSPHRASE

    lama, _ = new_account_row(session, username="lama", display_name="Lama")
    activate(session, reviewer=lama, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    session.execute(delete(RosterEntry))
    session.execute(delete(AuditAnchor))
    session.commit()
    assert roster.verified(session, fresh=True).member(lama.id) is None
    # when the operator runs `roster found lama` and lama types her passphrase
    result = review_app.test_cli_runner().invoke(args=["roster", "found", "lama"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    # then her fingerprint is a root, the roster verifies, and a new case is sealed to her
    session.expire_all()
    verified = roster.verified(session, fresh=True)
    assert verified.member(lama.id).founder and verified.problems == [] and verified.row_matches(lama)
    case_id = submit_case(session, config, "laporan", active_opds(session)[0])
    assert (case_id, "case") in grants_of(session, lama)


@pytest.mark.parametrize("token", ["kept", "renewed by the writer"])
def test_a_recovery_key_swapped_while_a_worker_keeps_the_verified_one_receives_nothing(
    portal_app: Flask, session: Session, recovery_secret: bytes, token: str
) -> None:
    """Issue 21 keeps the verified recovery key per process under the reference token. A database
    writer who swaps the key row gains nothing either way: with the token left alone the kept key
    (a root) is used; with the token renewed the row is read again and refused, as without a cache."""
    from cases.models import ReferenceVersion

    actions.submit_report(portal_app.test_client())  # a worker keeps the verified key
    key = session.scalars(select(RecoveryKey)).one()
    real_recipient = key.recipient_id
    key.public_key = recovery_keypair(new_master_secret()).public
    if token != "kept":
        version = session.get(ReferenceVersion, 1)
        assert version is not None
        version.token = "gefälscht"
    session.commit()
    client = portal_app.test_client()
    response = client.post("/lapor", data=actions.report_form(client))
    recovery_grants = session.scalars(select(KeyGrant).where(KeyGrant.recipient_kind == "recovery")).all()
    if token == "kept":
        # sealed to the key that was verified, not to the writer's: the real recovery secret opens all
        assert response.status_code == 200 and len(recovery_grants) == 4
        real = recovery_keypair(recovery_secret).private
        for grant in recovery_grants:
            assert grant.case_id is not None and grant.recipient_id == real_recipient
            open_grant(
                grant.sealed,
                recipient_private=real,
                case_id=grant.case_id,
                key_kind=grant.key_kind,
                recipient_id=real_recipient,
            )
    else:
        assert response.status_code == 503  # refused like a missing key, the report kept in the form
        assert "Kepala bidang meminta setoran" in response.get_data(as_text=True)
        assert len(recovery_grants) == 2
