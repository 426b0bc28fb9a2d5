"""cases.accountability.audit: tampering not covered in test_audit.py
(reordering, edited action or case, first row gone)."""

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from cases.accountability.audit import keyed_hash, record, verify_chain
from cases.models import AuditEvent
from cases.team.trust import trust_of

FIELDS = ("at", "sealed_at", "actor_id", "action", "case_id", "detail", "prev_hash", "hash")


def _four_events(session: Session) -> list[AuditEvent]:
    events = [
        record(session, action="login.passphrase", actor_id="r1"),
        record(session, action="case.view", actor_id="r1", case_id="c1"),
        record(session, action="grant.delete", actor_id="r2", case_id="c1", detail="kind=case of=r1"),
        record(session, action="account.disable", actor_id="r2", detail="reviewer=r1"),
    ]
    session.commit()
    return events


def _swap(session: Session, first: AuditEvent, second: AuditEvent, fields: tuple[str, ...]) -> None:
    """Exchange the given columns of two rows, keeping their ids (a reorder)."""
    left = {name: getattr(first, name) for name in fields}
    right = {name: getattr(second, name) for name in fields}
    session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(**right))
    session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(**left))
    session.commit()
    session.expire_all()


def test_swapped_rows_with_their_hashes_are_found(session: Session) -> None:
    # given four events, when the 2nd and 3rd rows' whole contents (hashes included) are swapped
    _, second, third, _ = _four_events(session)
    _swap(session, second, third, FIELDS)
    # then verification points at the first moved row
    assert verify_chain(session) == second.id


def test_swapped_rows_without_their_hashes_are_found(session: Session) -> None:
    # given four events, when only the 2nd and 3rd rows' recorded facts are swapped (hashes left in place)
    _, second, third, _ = _four_events(session)
    _swap(session, second, third, ("at", "actor_id", "action", "case_id", "detail"))
    # then verification points at the first moved row
    assert verify_chain(session) == second.id


def test_swapped_last_two_rows_are_found(session: Session) -> None:
    # given four events, when the last two rows are swapped, then the third is found
    _, _, third, fourth = _four_events(session)
    _swap(session, third, fourth, FIELDS)
    assert verify_chain(session) == third.id


def test_edited_action_is_found(session: Session) -> None:
    # given four events, when a grant deletion is relabelled as a harmless view, then it is found
    _, _, third, _ = _four_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == third.id).values(action="case.view"))
    session.commit()
    session.expire_all()
    assert verify_chain(session) == third.id


def test_edited_case_id_is_found(session: Session) -> None:
    # given four events, when a view is moved to another case, then it is found
    _, second, _, _ = _four_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(case_id="c2"))
    session.commit()
    session.expire_all()
    assert verify_chain(session) == second.id


def test_deleted_first_row_is_found(session: Session) -> None:
    # given four events, when the first is deleted, then the new first no longer starts from genesis
    first, second, _, _ = _four_events(session)
    session.execute(delete(AuditEvent).where(AuditEvent.id == first.id))
    session.commit()
    session.expire_all()
    assert verify_chain(session) == second.id


def test_appended_row_that_does_not_link_is_found(session: Session) -> None:
    # given four events, when a row is inserted by hand with a self-consistent hash but a made-up link
    *_, fourth = _four_events(session)
    fake_prev = bytes(range(32))
    key = trust_of(session).audit_key
    forged = keyed_hash(key, fake_prev, fourth.at, "r9", "login.passphrase", None, "")
    fake = AuditEvent(
        at=fourth.at,
        actor_id="r9",
        action="login.passphrase",
        case_id=None,
        detail="",
        prev_hash=fake_prev,
        hash=forged,
    )
    session.add(fake)
    session.commit()
    session.expire_all()
    # then verification points at it
    assert verify_chain(session) == fake.id
