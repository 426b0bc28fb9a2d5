"""Labels carry their case's sort keys (issue 21, point 6).

`case_label.next_due` and `case_label.received_at` are copies of the case's, so that the case list
filtered by a label walks one index range, (label, key, case_id), in the list's order, instead of
gathering every case of the label and sorting them. They are kept equal here, at every flush, for
every way a case's deadline changes (cases.triage.deadlines sets `Case.next_due`; nothing else
does): a new label takes its case's keys, and a case whose `next_due` changed passes it to its labels.

They are sort keys only. Every filter is still checked on the case itself, so a copy edited by a
database writer can only move a case within the list's order of that label, never into a list it
is not in, nor out of the reader's reach (the grants decide that).
"""

from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from cases.models import Case, CaseLabel


def _changed_next_due(case: Case) -> bool:
    history = inspect(case).attrs.next_due.history
    return bool(history.added or history.deleted)


@event.listens_for(Session, "before_flush")
def _keep_label_keys(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, CaseLabel):
            case = session.get(Case, obj.case_id)
            if case is not None:
                obj.next_due, obj.received_at = case.next_due, case.received_at
    for obj in session.dirty:
        if isinstance(obj, Case) and _changed_next_due(obj):
            session.connection().execute(
                update(CaseLabel).where(CaseLabel.case_id == obj.id).values(next_due=obj.next_due)
            )
