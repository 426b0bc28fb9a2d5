"""Labels carry their case's sort keys (issue 21, point 6).

`case_label.next_due` and `case_label.received_at` are copies of the case's, so that the case list
filtered by a label walks one index range, (label, key, case_id), in the list's order, instead of
gathering every case of the label and sorting them. They are kept equal here, at every flush that
goes through the ORM (cases.triage.deadlines sets `Case.next_due`, and nothing else changes it; a
bulk UPDATE of `case.next_due` or a data migration would have to copy them too):

- a new label takes its case's keys as the database holds them, read with the case's row locked
  (`FOR UPDATE` on PostgreSQL; on SQLite the write lock serialises writers), or from the session
  when this same flush changes or creates the case: never from a copy the request read earlier;
- a case whose `next_due` changed locks its row, then passes the new value to its labels, so a
  label added by a concurrent request is either seen here or copies the new value itself.

They are sort keys only. Every filter is still checked on the case itself, so a copy edited by a
database writer can only move a case within the list's order of that label, never into a list it
is not in, nor out of the reader's reach (the grants decide that).
"""

from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from cases.models import Case, CaseLabel


def _changed_next_due(case: Case) -> bool:
    history = inspect(case).attrs.next_due.history
    return bool(history.added or history.deleted)


def _keys_of(session: Session, case_id: str, changing: dict[str, Case]) -> tuple[Any, Any]:
    case = changing.get(case_id)
    if case is not None:  # created or changed in this flush: the session holds what is being written
        return case.next_due, case.received_at
    row = session.execute(
        select(Case.next_due, Case.received_at).where(Case.id == case_id).with_for_update()
    ).one_or_none()
    return (row.next_due, row.received_at) if row is not None else (None, None)


@event.listens_for(Session, "before_flush")
def _keep_label_keys(session: Session, _context: Any, _instances: Any) -> None:
    changing = {obj.id: obj for obj in session.new if isinstance(obj, Case)}
    changed = [obj for obj in session.dirty if isinstance(obj, Case) and _changed_next_due(obj)]
    changing.update({case.id: case for case in changed})
    for obj in session.new:
        if isinstance(obj, CaseLabel):
            obj.next_due, obj.received_at = _keys_of(session, obj.case_id, changing)
    for case in changed:
        session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        session.connection().execute(
            update(CaseLabel).where(CaseLabel.case_id == case.id).values(next_due=case.next_due)
        )
