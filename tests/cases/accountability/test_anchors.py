"""cases.accountability.anchors and .anchor_file: anchors are written after commit, only forward, and a
failed check keeps failing until an operator acts."""

import os
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cases.accountability import anchor_file, anchors
from cases.accountability.anchor_file import Heads
from cases.accountability.anchors import (
    RestoreRefused,
    accept_restore,
    check_at_login,
    heads,
    integrity_problems,
    record_anchor,
    verify,
)
from cases.accountability.audit import record
from cases.models import AuditAnchor, AuditEvent, Reviewer
from cases.team.trust import trust_of
from crypto.signing import generate_signing_key
from tests.domain import founder


def _events(session: Session, count: int, action: str = "case.view") -> list[AuditEvent]:
    return [record(session, action=action, actor_id="r1", case_id=f"c{n}") for n in range(count)]


def _file_heads(session: Session) -> Heads:
    trust = trust_of(session)
    assert trust.anchor_path is not None
    state = anchor_file.read(trust.anchor_path, trust.audit_key)
    assert state is not None
    return state.heads


def test_anchor_file_is_written_after_commit_with_the_heads(session: Session) -> None:
    # given events and an anchor recorded in a transaction
    events = _events(session, 3)
    record_anchor(session)
    path = trust_of(session).anchor_path
    assert path is not None
    # then nothing is written before the commit, and the heads after it
    assert not path.exists()
    session.commit()
    assert _file_heads(session) == Heads(events[-1].id, events[-1].hash, 0, bytes(32))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_rolled_back_transaction_leaves_the_anchor_file_untouched(session: Session) -> None:
    # given an anchored log
    _events(session, 2)
    record_anchor(session)
    session.commit()
    path = trust_of(session).anchor_path
    assert path is not None
    before = path.read_bytes()
    # when a transaction records events and an anchor, then rolls back
    _events(session, 2)
    record_anchor(session)
    session.rollback()
    # then the file still names the committed head, and a later commit does not write the forgotten one
    assert path.read_bytes() == before
    session.commit()
    assert path.read_bytes() == before
    assert verify(session) == []


def test_the_file_never_goes_back_to_an_older_head(session: Session) -> None:
    events = _events(session, 4)
    record_anchor(session)
    session.commit()
    trust = trust_of(session)
    assert trust.anchor_path is not None
    older = Heads(events[1].id, events[1].hash, 0, bytes(32))
    anchor_file.advance(trust.anchor_path, trust.audit_key, older)
    assert _file_heads(session).event_id == events[-1].id


def test_signed_anchor_verifies_and_an_edited_one_does_not(session: Session) -> None:
    # given a key holder whose signing key the roster binds, who anchors the log
    sari = founder(session, "sari")
    holder, key = sari.reviewer, sari.signing
    _events(session, 2)
    row = record_anchor(session, signer_id=holder.id, signing_key=key)
    session.commit()
    assert row.signature is not None and verify(session) == []
    # when a database writer moves the signed anchor back to an earlier event
    first = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    assert first is not None
    session.execute(
        update(AuditAnchor).where(AuditAnchor.id == row.id).values(event_id=first.id, event_hash=first.hash)
    )
    session.commit()
    # then the signature no longer verifies
    assert any(f"anchor {row.id}: the signature of sari does not verify" in p for p in verify(session))


def test_an_anchor_signed_by_a_key_the_roster_does_not_bind_is_named(session: Session) -> None:
    # given a planted row with a signing key of the writer's own, and an anchor it signed
    key = generate_signing_key()
    planted = Reviewer(
        username="siluman",
        display_name="Siluman",
        created_at=datetime.now(UTC).replace(tzinfo=None),
        signing_public_key=key.public,
    )
    session.add(planted)
    session.flush()
    _events(session, 1)
    row = record_anchor(session, signer_id=planted.id, signing_key=key)
    session.commit()
    # then verification does not take the row's key on trust
    assert any(f"anchor {row.id} is signed by a key the signed roster does not bind" in p for p in verify(session))


def test_a_signed_anchor_needs_its_signer(session: Session) -> None:
    with pytest.raises(ValueError, match="signer"):
        record_anchor(session, signing_key=generate_signing_key())


def test_the_next_anchor_does_not_paper_over_a_cut_tail(session: Session) -> None:
    # given an anchored log whose last events are cut
    events = _events(session, 5)
    record_anchor(session)
    session.commit()
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_([e.id for e in events[-2:]])))
    session.commit()
    # when the app records new events (they link to the new last event, and on SQLite reuse the
    # freed ids) and anchors again
    for _ in range(3):
        record(session, action="login", actor_id="r2")
    record_anchor(session)
    session.commit()
    # then the file stays at the lost head, so the cut stays visible
    assert _file_heads(session).event_id == events[-1].id
    assert any(f"audit event {events[-1].id}" in p for p in integrity_problems(session))


def test_login_check_anchors_an_intact_log(session: Session) -> None:
    _events(session, 3)
    assert check_at_login(session, signer_id="r1") == []
    session.commit()
    row = session.scalars(select(AuditAnchor)).one()
    assert row.signer_id == "r1" and row.signature is None
    assert _file_heads(session) == heads(session)


def test_a_failed_login_check_keeps_failing_and_reaches_admins(session: Session) -> None:
    # given an anchored log, when an event in the middle is deleted
    events = _events(session, 6)
    assert check_at_login(session) == []
    session.commit()
    session.execute(delete(AuditEvent).where(AuditEvent.id == events[2].id))
    session.commit()
    # then every login check fails, and nothing is anchored over it
    first = check_at_login(session)
    session.commit()
    assert first and check_at_login(session) == first
    session.commit()
    assert session.scalars(select(AuditAnchor)).all() and len(session.scalars(select(AuditAnchor)).all()) == 1
    # and admins see it, from another process too (a fresh cache)
    assert integrity_problems(session) == first
    trust_of(session).cache.clear()
    assert any("does not link" in p for p in integrity_problems(session))


def test_the_login_sweep_reaches_old_events_a_slice_at_a_time(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a long log, anchored, checked three events per login
    monkeypatch.setattr(anchors, "SWEEP", 3)
    events = _events(session, 12)
    assert check_at_login(session) == []
    session.commit()
    # when an old event (before the anchor) is deleted
    session.execute(delete(AuditEvent).where(AuditEvent.id == events[7].id))
    session.commit()
    # then a few logins later a sweep reaches it, and from then on the check keeps failing
    results = []
    for _ in range(5):
        results.append(check_at_login(session))
        session.commit()
    assert results[0] == [] and results[-1] and results[-1] == results[-2]


def test_integrity_problems_are_cached_per_head(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _events(session, 3)
    calls = []
    real = anchors._tail_problems
    monkeypatch.setattr(anchors, "_tail_problems", lambda *args: calls.append(1) or real(*args))
    assert integrity_problems(session) == [] and integrity_problems(session) == []
    assert len(calls) == 1
    # a new anchor row means a whole new check
    record_anchor(session)  # (checks the tail itself)
    session.commit()
    calls.clear()
    integrity_problems(session)
    assert len(calls) == 1


def test_an_admin_page_walks_only_the_events_added_since_the_last_check(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a checked log of 50 events since the anchor
    _events(session, 50)
    assert integrity_problems(session) == []
    walked: list[int] = []
    real = anchors.audit.walk
    monkeypatch.setattr(anchors.audit, "walk", lambda s, **kw: (walked.append(1) or row for row in real(s, **kw)))
    # when two events are added (a case view records one) and an admin opens a page
    _events(session, 2)
    assert integrity_problems(session) == []
    # then only those two are walked, not the whole tail again
    assert len(walked) == 2


def test_a_broken_event_appended_after_a_check_reaches_the_next_page(session: Session) -> None:
    # given a checked log
    _events(session, 5)
    session.commit()
    assert integrity_problems(session) == []
    # when a database writer appends an event whose hash they could not compute (no audit key)
    event = record(session, action="case.view", actor_id="r1", case_id="c9")
    session.commit()
    session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(detail="forged"))
    session.commit()
    # then the very next admin page names it
    assert any(f"audit event {event.id}" in p for p in integrity_problems(session))


def test_an_edit_behind_the_last_check_is_found_by_the_periodic_full_walk(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a checked log, then more events (so only those are walked for the next page)
    events = _events(session, 6)
    session.commit()
    assert integrity_problems(session) == []
    # when an event already checked is edited, and new events arrive
    session.execute(update(AuditEvent).where(AuditEvent.id == events[2].id).values(detail="rewritten"))
    _events(session, 1)
    session.commit()
    # then once the full re-walk is due (FULL_RECHECK seconds), the banner names the edited event
    clock = [anchors.time.monotonic() + anchors.FULL_RECHECK + 1]
    monkeypatch.setattr(anchors.time, "monotonic", lambda: clock[0])
    assert any(f"audit event {events[2].id}" in p for p in integrity_problems(session))


def test_a_replaced_last_event_means_a_whole_new_check(session: Session) -> None:
    # given a checked log whose last event is then replaced by a database writer (same id, other hash)
    events = _events(session, 4)
    session.commit()
    assert integrity_problems(session) == []
    session.execute(update(AuditEvent).where(AuditEvent.id == events[-1].id).values(hash=bytes(32)))
    _events(session, 1)
    session.commit()
    # then the new events do not extend what was checked: the whole tail is walked again
    assert any(f"audit event {events[-1].id}" in p for p in integrity_problems(session))


def test_accept_restore_anchors_a_restored_database(session: Session) -> None:
    # given a log anchored at event 4 and later at event 8
    _events(session, 4)
    record_anchor(session)
    session.commit()
    later = _events(session, 4)
    record_anchor(session)
    session.commit()
    # when a backup from the first anchor is restored (the later events and anchor are not in it)
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_([e.id for e in later])))
    session.execute(delete(AuditAnchor).where(AuditAnchor.event_id == later[-1].id))
    session.commit()
    assert any("which is gone" in p for p in verify(session))
    # then accepting it says what is given up, audits it, and the log verifies again
    given_up = accept_restore(session)
    session.commit()
    assert any(f"audit event {later[-1].id}, which is gone" in line for line in given_up)
    assert verify(session) == [] and integrity_problems(session) == []
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.accept_restore")).one()


def test_accept_restore_refuses_a_database_that_contradicts_itself(session: Session) -> None:
    events = _events(session, 4)
    record_anchor(session)
    session.commit()
    session.execute(update(AuditEvent).where(AuditEvent.id == events[1].id).values(detail="edited"))
    session.commit()
    with pytest.raises(RestoreRefused) as refused:
        accept_restore(session)
    assert any("hash does not match" in p for p in refused.value.problems)
