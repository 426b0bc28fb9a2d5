"""Management figures for the review app (docs/MANAGEMENT.md): plaintext triage
metadata only, unsuppressed (the team sees its own workload), as tables that
the page draws and offers as CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, CaseStatus, Category, Opd, Reviewer

Rows = tuple[tuple[str | int, ...], ...]
AGE_BUCKETS = (("<7", 0, 7), ("7-30", 7, 30), ("30-90", 30, 90), (">90", 90, 10**6))


@dataclass(frozen=True)
class ManagementTable:
    name: str
    columns: tuple[str, ...]
    rows: Rows
    chart_column: int  # which column the bar chart draws


def management_tables(session: Session, *, first_response_hours: int, now: datetime) -> dict[str, ManagementTable]:
    rows = session.execute(
        select(
            Case.received_at,
            Case.first_response_at,
            Case.status,
            Case.next_due,
            Case.assigned_to_id,
            Category.code,
            Category.name_id,
            Opd.name,
        )
        .join(Category, Category.id == Case.category_id)
        .join(Opd, Opd.id == Case.opd_id)
    ).all()
    window = timedelta(hours=first_response_hours)
    months: dict[str, list[int]] = {}
    for row in rows:
        month = months.setdefault(f"{row.received_at:%Y-%m}", [0, 0, 0, 0])
        month[0] += 1
        if row.first_response_at is None:
            month[3] += 1
        elif row.first_response_at - row.received_at <= window:
            month[1] += 1
        else:
            month[2] += 1
    sla: Rows = tuple((m, *v, round(100 * v[1] / v[0]) if v[0] else 0) for m, v in sorted(months.items()))

    open_rows = [row for row in rows if row.status not in CaseStatus.CONCLUDED]
    backlog: dict[str, list[int]] = {}
    for row in open_rows:
        age = (now - row.received_at).days
        counts = backlog.setdefault(row.status, [0] * len(AGE_BUCKETS))
        for index, (_label, low, high) in enumerate(AGE_BUCKETS):
            if low <= age < high:
                counts[index] += 1
    backlog_rows: Rows = tuple((status, *counts, sum(counts)) for status, counts in sorted(backlog.items()))

    names = {row.id: row.display_name for row in session.execute(select(Reviewer.id, Reviewer.display_name))}
    workload: dict[str, list[int]] = {}
    for row in open_rows:
        if row.assigned_to_id:
            counts = workload.setdefault(names.get(row.assigned_to_id) or row.assigned_to_id, [0, 0])
            counts[0] += 1
            counts[1] += row.next_due is not None and row.next_due < now
    workload_rows: Rows = tuple((name, *counts) for name, counts in sorted(workload.items(), key=lambda r: -r[1][0]))

    def per(key: str) -> Rows:
        totals: dict[str, list[int]] = {}
        for row in rows:
            counts = totals.setdefault(getattr(row, key), [0, 0])
            counts[0] += 1
            counts[1] += row.status not in CaseStatus.CONCLUDED
        return tuple((label, *counts) for label, counts in sorted(totals.items(), key=lambda r: (-r[1][0], r[0])))

    return {
        "sla": ManagementTable(
            "sla", ("month", "received", "answered_in_time", "answered_late", "unanswered", "share_in_time_pct"), sla, 5
        ),
        "backlog": ManagementTable(
            "backlog", ("status", *(f"age_days_{label}" for label, _l, _h in AGE_BUCKETS), "total"), backlog_rows, 5
        ),
        "workload": ManagementTable("workload", ("reviewer", "open_assigned", "overdue_assigned"), workload_rows, 1),
        "opd": ManagementTable("opd", ("opd", "total", "open"), per("name"), 1),
        "category": ManagementTable("category", ("category", "total", "open"), per("name_id"), 1),
    }


def as_csv(table: ManagementTable) -> str:
    """UTF-8 CSV with a header row; a cell that a spreadsheet would run as a formula is quoted away."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_neutral(value) for value in row])
    return out.getvalue()


def _neutral(value: str | int) -> str | int:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
