"""cases.accountability.audit: a keyed hash-chained log in which any edit, deletion or re-dating shows."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.accountability.audit import (
    GENESIS,
    SEALED,
    exact_time,
    recent_events,
    record,
    sealed_hash,
    verify_chain,
    walk,
)
from cases.models import AuditEvent
from cases.team.trust import trust_of


def _three_events(session: Session) -> list[AuditEvent]:
    events = [
        record(session, action="login", actor_id="r1"),
        record(session, action="case.view", actor_id="r1", case_id="c1", detail="first look"),
        record(session, action="logout", actor_id="r1"),
    ]
    session.commit()
    return events


def test_events_are_chained_from_genesis(session: Session) -> None:
    # given three recorded events
    first, second, third = _three_events(session)
    # then each event's prev_hash is the previous event's hash, starting from genesis
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3 and all(len(e.hash) == 32 for e in (first, second, third))
    # and each hash is keyed: an HMAC under the audit key over the hour and the sealed time (version 3)
    assert all(e.version == SEALED for e in (first, second, third))
    key = trust_of(session).audit_key
    assert third.sealed_at is not None
    assert third.hash == sealed_hash(key, second.hash, third.at, "r1", "logout", None, "", third.sealed_at)


def test_the_plaintext_time_is_the_hour_and_the_exact_time_is_sealed(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an event recorded at 18:39:35.25
    exact = datetime(2026, 12, 3, 18, 39, 35, 250000)
    monkeypatch.setattr(audit, "utc_now", lambda: exact)
    event = record(session, action="case.view", actor_id="r1", case_id="c1")
    session.commit()
    session.expire_all()
    # then the row says 18:00 and nothing more in plaintext
    assert event.at == datetime(2026, 12, 3, 18)
    assert event.sealed_at is not None and exact.isoformat().encode() not in event.sealed_at
    assert (35250000).to_bytes(8, "big") not in event.sealed_at
    # and the admins' view (with the audit key) shows the exact time
    assert exact_time(session, event) == exact
    assert [e.at for e in recent_events(session)] == [exact]


def test_a_sealed_time_moved_to_another_event_is_found(session: Session) -> None:
    # given three events, when the first one's sealed time is copied onto the second
    first, second, _ = _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(sealed_at=first.sealed_at))
    session.commit()
    session.expire_all()
    # then verification points at it
    assert verify_chain(session) == second.id


def test_even_with_the_key_an_hour_that_disagrees_with_the_sealed_time_is_found(session: Session) -> None:
    # given one event, when someone holding the audit key moves its hour and recomputes its hash
    (event,) = [record(session, action="login", actor_id="r1")]
    session.commit()
    key = trust_of(session).audit_key
    hour = event.at + timedelta(hours=1)
    forged = sealed_hash(key, event.prev_hash, hour, "r1", "login", None, "", event.sealed_at or b"")
    session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(at=hour, hash=forged))
    session.commit()
    session.expire_all()
    # then the sealed time, which opens only for its place in the chain and names another hour, shows it
    [(_, _, problem)] = list(walk(session))
    assert problem is not None and "sealed time" in problem.reason


def test_record_stores_what_it_was_given(session: Session) -> None:
    # given an event with all fields, when reloaded from the database, then the fields are kept
    event_id = record(session, action="case.view", actor_id="r1", case_id="c1", detail="note").id
    session.commit()
    session.expire_all()
    event = session.get(AuditEvent, event_id)
    assert event is not None
    assert (event.action, event.actor_id, event.case_id, event.detail) == ("case.view", "r1", "c1", "note")


def test_intact_chain_verifies_after_reload(session: Session) -> None:
    # given an empty log, then it verifies
    assert verify_chain(session) is None
    # given three events read back from the database, then the chain is intact
    _three_events(session)
    session.expire_all()
    assert verify_chain(session) is None


def test_chain_continues_across_sessions(session: Session) -> None:
    # given events recorded, committed and expired, when another event is recorded
    _, _, third = _three_events(session)
    session.expire_all()
    fourth = record(session, action="login", actor_id="r2")
    session.commit()
    # then it links to the last stored event and the chain verifies
    assert fourth.prev_hash == third.hash
    assert verify_chain(session) is None


def test_edited_detail_is_found(session: Session) -> None:
    # given three events, when the middle one's detail is edited in the database
    _, second, _ = _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(detail="nothing to see"))
    session.commit()
    session.expire_all()
    # then verification points at the edited event
    assert verify_chain(session) == second.id


def test_edited_action_or_actor_is_found(session: Session) -> None:
    # given three events, when the last one's actor is changed, then it is found
    _, _, third = _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == third.id).values(actor_id="someone-else"))
    session.commit()
    session.expire_all()
    assert verify_chain(session) == third.id


def test_deleted_middle_event_is_found(session: Session) -> None:
    # given three events, when the middle one is deleted
    _, second, third = _three_events(session)
    session.execute(delete(AuditEvent).where(AuditEvent.id == second.id))
    session.commit()
    session.expire_all()
    # then verification points at the event that followed it
    assert verify_chain(session) == third.id


def test_changed_time_is_found(session: Session) -> None:
    # given three events, when the first one is re-dated by an hour
    first, _, _ = _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(at=first.at - timedelta(hours=1)))
    session.commit()
    session.expire_all()
    # then verification points at the re-dated event
    assert verify_chain(session) == first.id


def test_edit_with_recomputed_hash_breaks_the_next_link(session: Session) -> None:
    # given three events, when a forger who even holds the audit key edits the middle one and recomputes its hash
    _, second, third = _three_events(session)
    key = trust_of(session).audit_key
    forged = sealed_hash(
        key,
        second.prev_hash,
        second.at,
        second.actor_id,
        second.action,
        second.case_id,
        "forged",
        second.sealed_at or b"",
    )
    session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(detail="forged", hash=forged))
    session.commit()
    session.expire_all()
    # then the forged event verifies on its own, but the next event no longer links to it
    assert verify_chain(session) == third.id


def test_edited_prev_hash_column_is_found(session: Session) -> None:
    # given three events, when only the last one's stored prev_hash is rewritten
    _, _, third = _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == third.id).values(prev_hash=bytes(32)))
    session.commit()
    session.expire_all()
    # then verification points at it
    assert verify_chain(session) == third.id
