"""Labels carry their case's sort keys (issue 21, point 6).

`case_label.next_due` and `case_label.received_at` are copies of the case's, so that the case list
filtered by a label walks one index range, (label, key, case_id), in the list's order, instead of
gathering every case of the label and sorting them. They are kept equal here, after every flush that
goes through the ORM (cases.triage.deadlines sets `Case.next_due`, and nothing else changes it; a
bulk UPDATE of `case.next_due` or a data migration would have to copy them too). Both steps run after
the flush's own writes, so each holds what makes the other wait:

- a case whose `next_due` changed has its row locked by its own UPDATE; its labels are then given
  the new value, and a label a concurrent request wrote is seen once that request has committed;
- a new label is written first, then takes its case's keys from the case's row, read with the row
  locked (`FOR NO KEY UPDATE` on PostgreSQL: a concurrent deadline change commits first, or waits;
  on SQLite the label's INSERT already holds the write lock, so no other writer is in between).
  Never from a copy of the case the request read earlier (review finding).

Locks go case first, then labels; the retention purge locks its cases first too
(cases.triage.retention), so the two cannot deadlock.

They are sort keys only. Every filter is still checked on the case itself, so a copy edited by a
database writer can only move a case within the list's order of that label, never into a list it
is not in, nor out of the reader's reach (the grants decide that).
"""

from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cases.models import Case, CaseLabel


def _changed_next_due(case: Case) -> bool:
    history = inspect(case).attrs.next_due.history
    return bool(history.added or history.deleted)


@event.listens_for(Session, "after_flush")
def _keep_label_keys(session: Session, _context: Any) -> None:
    # in after_flush the session still shows what this flush wrote as new and dirty
    changed = [obj for obj in session.dirty if isinstance(obj, Case) and _changed_next_due(obj)]
    labels = [obj for obj in session.new if isinstance(obj, CaseLabel)]
    if not changed and not labels:
        return
    connection = session.connection()
    for case in changed:
        connection.execute(update(CaseLabel).where(CaseLabel.case_id == case.id).values(next_due=case.next_due))
    for label in labels:
        keys = connection.execute(
            select(Case.next_due, Case.received_at).where(Case.id == label.case_id).with_for_update(key_share=True)
        ).one_or_none()
        if keys is None:
            continue
        connection.execute(
            update(CaseLabel)
            .where(CaseLabel.case_id == label.case_id, CaseLabel.label == label.label)
            .values(next_due=keys.next_due, received_at=keys.received_at)
        )
        set_committed_value(label, "next_due", keys.next_due)
        set_committed_value(label, "received_at", keys.received_at)
