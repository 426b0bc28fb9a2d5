"""cases.accountability.anchors, written as the attack: a database writer rewrites the audit log and is caught.

The attacker can run any SQL but holds neither the audit key nor the anchor
file; each test does what they would do, then runs the full verification.
"""

import hashlib
import hmac
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cases.accountability.anchors import check_at_login, integrity_problems, record_anchor, verify
from cases.accountability.audit import GENESIS, UNKEYED, _event_hash, keyed_hash, record
from cases.models import AuditAnchor, AuditEvent
from cases.team.trust import trust_of


def _activity(session: Session) -> list[AuditEvent]:
    """Twelve events, six of them the grants someone would like to hide, anchored at the head."""
    events = [record(session, action="login", actor_id="r1")]
    for n in range(6):
        events.append(record(session, action="grant.create", actor_id="r1", case_id=f"c{n}", detail="kind=case"))
    events += [record(session, action="case.view", actor_id="r1", case_id=f"c{n}") for n in range(5)]
    record_anchor(session)
    session.commit()
    return events


Digest = Callable[[bytes, datetime, str | None, str, str | None, str], bytes]


def _recompute(session: Session, digest: Digest, *, version: int | None = None) -> None:
    """Rewrite every remaining event's links and hashes with the attacker's own function."""
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        event.prev_hash = prev
        event.hash = digest(prev, event.at, event.actor_id, event.action, event.case_id, event.detail)
        if version is not None:
            event.version = version
        prev = event.hash
    session.commit()
    session.expire_all()


def _wrong_key_hash(prev: bytes, at: datetime, actor: str | None, action: str, case: str | None, detail: str) -> bytes:
    return keyed_hash(b"the attacker's guess at the key", prev, at, actor, action, case, detail)


def _delete_events(session: Session, *ids: int) -> None:
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    session.commit()
    session.expire_all()


def test_intact_log_verifies(session: Session) -> None:
    _activity(session)
    assert verify(session) == []
    assert check_at_login(session) == [] and integrity_problems(session) == []


def test_tail_deletion_is_found(session: Session) -> None:
    # given an anchored log, when the last five events are deleted
    events = _activity(session)
    _delete_events(session, *(e.id for e in events[-5:]))
    # then the chain alone looks fine, but the anchors name an event that is gone
    problems = verify(session)
    assert any(f"audit event {events[-1].id}, which is gone" in p for p in problems)
    assert check_at_login(session) and integrity_problems(session)


def test_middle_deletion_is_found(session: Session) -> None:
    # given an anchored log, when the six grant.create events are deleted
    events = _activity(session)
    _delete_events(session, *(e.id for e in events[1:7]))
    # then the first event after the gap no longer links
    assert any(f"audit event {events[7].id}: does not link" in p for p in verify(session))
    assert check_at_login(session)  # the login sweep re-verifies the older chain too


def test_reordering_by_swapping_ids_is_found(session: Session) -> None:
    # given an anchored log, when two events exchange their ids (their order in the log)
    events = _activity(session)
    first, second = events[2].id, events[3].id
    session.execute(update(AuditEvent).where(AuditEvent.id == first).values(id=-1))
    session.execute(update(AuditEvent).where(AuditEvent.id == second).values(id=first))
    session.execute(update(AuditEvent).where(AuditEvent.id == -1).values(id=second))
    session.commit()
    session.expire_all()
    # then the links break at the moved events
    problems = verify(session)
    assert any(f"audit event {first}: does not link" in p for p in problems)


def test_edited_detail_is_found(session: Session) -> None:
    events = _activity(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == events[3].id).values(detail="kind=team"))
    session.commit()
    session.expire_all()
    assert any(f"audit event {events[3].id}: hash does not match" in p for p in verify(session))


def test_full_recomputation_with_unkeyed_sha256_is_found(session: Session) -> None:
    # given an anchored log, when the grants are deleted and the whole chain recomputed as
    # unkeyed (version 1) SHA-256 — the format of events from before the key
    events = _activity(session)
    _delete_events(session, *(e.id for e in events[1:7]))
    _recompute(session, _event_hash, version=UNKEYED)
    # then the chain is self-consistent, but the anchored head no longer has its hash
    problems = verify(session)
    assert not any(p.startswith("audit event") for p in problems)
    assert any(f"audit event {events[-1].id} with another hash" in p for p in problems)
    assert check_at_login(session)


def test_keyed_events_relabelled_as_unkeyed_after_the_anchor_are_found(session: Session) -> None:
    # given an anchored log and more events after the anchor
    _activity(session)
    later = [record(session, action="case.view", actor_id="r1", case_id="c9") for _ in range(3)]
    session.commit()
    # when the events after the anchor are relabelled as unkeyed and recomputed (SHA-256, links intact)
    prev_hash = later[0].prev_hash
    for event in later:
        event.version, event.prev_hash = UNKEYED, prev_hash
        event.hash = _event_hash(prev_hash, event.at, event.actor_id, event.action, event.case_id, "nothing")
        event.detail = "nothing"
        prev_hash = event.hash
    session.commit()
    session.expire_all()
    # then an unkeyed event after a keyed one is a break
    assert any(f"audit event {later[0].id}: unkeyed event after a keyed one" in p for p in verify(session))
    assert check_at_login(session)


def test_full_recomputation_with_a_wrong_key_is_found(session: Session) -> None:
    events = _activity(session)
    _delete_events(session, *(e.id for e in events[1:7]))
    _recompute(session, _wrong_key_hash)
    problems = verify(session)
    assert any("hash does not match" in p for p in problems)
    assert any(f"audit event {events[-1].id} with another hash" in p for p in problems)


def test_truncation_with_every_anchor_row_deleted_is_caught_by_the_file(session: Session) -> None:
    # given an anchored log, when the tail is cut and every AuditAnchor row deleted
    events = _activity(session)
    _delete_events(session, *(e.id for e in events[-3:]))
    session.execute(delete(AuditAnchor))
    session.commit()
    # then the anchor file, outside the database, still names the lost head
    problems = verify(session)
    assert any(p.startswith("the anchor file records audit event") and "gone" in p for p in problems)
    assert check_at_login(session) and integrity_problems(session)


def test_rolling_the_file_back_does_not_hide_a_truncation_a_newer_anchor_records(
    session: Session, tmp_path: Path
) -> None:
    # given a log anchored once (file copied aside), then grown and anchored again
    _activity(session)
    anchor_path = trust_of(session).anchor_path
    assert anchor_path is not None
    shutil.copy(anchor_path, tmp_path / "old-anchor.json")
    later = [record(session, action="grant.create", actor_id="r1", case_id="c9") for _ in range(3)]
    record_anchor(session)
    session.commit()
    # when the new events are cut and the anchor file rolled back to the older copy
    _delete_events(session, *(e.id for e in later))
    shutil.copy(tmp_path / "old-anchor.json", anchor_path)
    # then the newer AuditAnchor row still names the lost head
    assert any(f"records audit event {later[-1].id}, which is gone" in p for p in verify(session))
    assert check_at_login(session)


def test_a_v1_prefix_from_an_upgrade_is_covered_by_the_first_keyed_event(session: Session) -> None:
    # given events recorded before the key (unkeyed, version 1), then keyed events after the upgrade
    prev = GENESIS
    at = datetime(2026, 11, 1, 9, 0)
    for n in range(3):
        digest = _event_hash(prev, at, "r1", "case.view", f"c{n}", "")
        session.add(
            AuditEvent(
                at=at,
                actor_id="r1",
                action="case.view",
                case_id=f"c{n}",
                detail="",
                prev_hash=prev,
                hash=digest,
                version=UNKEYED,
            )
        )
        prev = digest
    session.flush()
    keyed = record(session, action="login", actor_id="r1")
    record_anchor(session)
    session.commit()
    assert keyed.prev_hash == prev and verify(session) == []
    # when the attacker edits an unkeyed event and recomputes the unkeyed prefix (no key needed)
    first = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    assert first is not None
    first.detail = "edited"
    session.commit()
    prefix = list(session.scalars(select(AuditEvent).where(AuditEvent.version == UNKEYED).order_by(AuditEvent.id)))
    prev = GENESIS
    for event in prefix:
        event.prev_hash = prev
        event.hash = _event_hash(prev, event.at, event.actor_id, event.action, event.case_id, event.detail)
        prev = event.hash
    session.commit()
    session.expire_all()
    # then the first keyed event, which the attacker cannot recompute, no longer links
    assert any(f"audit event {keyed.id}: does not link" in p for p in verify(session))


def test_forged_anchor_file_is_refused(session: Session) -> None:
    # given an anchored log, when someone rewrites the file's head without the audit key
    _activity(session)
    path = trust_of(session).anchor_path
    assert path is not None
    path.write_text(path.read_text().replace('"event_id": 12', '"event_id": 2'))
    # then its MAC does not verify
    assert any("MAC does not verify" in p for p in verify(session))


def test_forged_anchor_file_with_recomputed_unkeyed_mac_is_refused(session: Session) -> None:
    import json

    _activity(session)
    path = trust_of(session).anchor_path
    assert path is not None
    document = json.loads(path.read_text())
    document.pop("mac")
    document["event_id"] = 2
    document["mac"] = hmac.new(b"", json.dumps(document, sort_keys=True).encode(), hashlib.sha256).hexdigest()
    path.write_text(json.dumps(document))
    assert any("MAC does not verify" in p for p in verify(session))


def test_a_deleted_anchor_file_is_reported_alongside_a_broken_chain(session: Session) -> None:
    # given an anchored log, when the file is removed and an event edited
    events = _activity(session)
    path = trust_of(session).anchor_path
    assert path is not None
    path.unlink()
    session.execute(update(AuditEvent).where(AuditEvent.id == events[1].id).values(detail="kind=team"))
    session.commit()
    # then both are reported
    problems = verify(session)
    assert any("is missing, though anchors were recorded" in p for p in problems)
    assert any(f"audit event {events[1].id}: hash does not match" in p for p in problems)
