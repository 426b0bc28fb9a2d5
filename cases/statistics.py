"""Public transparency statistics with small-cell suppression (docs/STATISTICS.md).

Computed from plaintext triage columns only (dates, status, category, OPD);
nothing is decrypted. Every table is suppressed as if its total were known:

1. a count from 1 to k-1 is shown as "< k" (primary suppression);
2. if a table then has exactly one suppressed cell, or its suppressed cells sum
   to less than k, the smallest remaining non-zero cells are hidden too ("—",
   complementary suppression), so that a total minus the published cells only
   ever gives the sum of two or more hidden cells, and that sum is at least k;
3. a table's total is published only when it is at least k.

OPDs are published per quarter, by name only when their count is at least k;
all other units go into one unnamed row. Category x OPD x month is never published.
"""

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Case, Category, Opd

OUTCOMES = ("closed", "rejected", "referred")


@dataclass(frozen=True)
class Cell:
    label: str
    value: int | None  # None: hidden
    kind: str  # "shown", "small" (1..k-1, shown as "< k"), "hidden" (complementary)


@dataclass(frozen=True)
class Table:
    cells: tuple[Cell, ...]
    total: int | None  # None: below the threshold


def suppress(rows: Sequence[tuple[str, int]], k: int) -> Table:
    """Apply the three rules above to one table of (label, count)."""
    kinds = {index: ("small" if 0 < count < k else "shown") for index, (_label, count) in enumerate(rows)}
    hidden = [index for index, kind in kinds.items() if kind != "shown"]
    if hidden:
        candidates = sorted((count, index) for index, (_l, count) in enumerate(rows)
                            if kinds[index] == "shown" and count > 0)
        while candidates and (len(hidden) == 1 or sum(rows[i][1] for i in hidden) < k):
            _count, index = candidates.pop(0)
            kinds[index] = "hidden"
            hidden.append(index)
    total = sum(count for _label, count in rows)
    cells = tuple(Cell(label, None if kinds[i] != "shown" else count, kinds[i]) for i, (label, count) in
                  enumerate(rows))
    return Table(cells=cells, total=total if total >= k else None)


@dataclass(frozen=True)
class Figures:
    min_cell: int
    total: int | None
    per_month: Table
    per_category: Table  # labels are category codes
    outcomes: Table  # labels are status codes
    answered_share: int | None  # whole percent of cases with a first response, answered within the window
    median_days_to_close: float | None
    opd_quarters: tuple[tuple[str, Table], ...]  # (quarter label, table); "" label = other units
    category_names: dict[str, tuple[str, str]]  # code -> (Indonesian, English)


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _quarter(moment: datetime) -> str:
    return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"


def _last_months(now: datetime, count: int) -> list[str]:
    year, month, months = now.year, now.month, []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def compute(session: Session, *, k: int, first_response_hours: int, now: datetime) -> Figures:
    rows = session.execute(select(Case.received_at, Case.first_response_at, Case.closed_at, Case.status,
                                  Category.code, Opd.name)
                           .join(Category, Category.id == Case.category_id).join(Opd, Opd.id == Case.opd_id)).all()
    months = _last_months(now, 12)
    by_month = Counter(_month(row.received_at) for row in rows)
    by_category = Counter(row.code for row in rows)
    category_rows = session.execute(select(Category.code, Category.name_id, Category.name_en)
                                    .order_by(Category.position, Category.id)).all()
    categories = [row.code for row in category_rows]
    outcomes = Counter(row.status for row in rows if row.status in OUTCOMES)
    answered = [row for row in rows if row.first_response_at is not None]
    in_time = sum((row.first_response_at - row.received_at).total_seconds() <= first_response_hours * 3600
                  for row in answered)
    closed = [(row.closed_at - row.received_at).total_seconds() / 86400 for row in rows
              if row.closed_at is not None and row.status in ("closed", "rejected")]
    quarters: dict[str, Counter[str]] = {}
    for row in rows:
        quarters.setdefault(_quarter(row.received_at), Counter())[row.name] += 1
    return Figures(
        min_cell=k,
        total=len(rows) if len(rows) >= k else None,
        per_month=suppress([(month, by_month[month]) for month in months], k),
        per_category=suppress([(code, by_category[code]) for code in categories], k),
        outcomes=suppress([(status, outcomes[status]) for status in OUTCOMES], k),
        answered_share=round(100 * in_time / len(answered)) if len(answered) >= k else None,
        median_days_to_close=round(statistics.median(closed), 1) if len(closed) >= k else None,
        opd_quarters=tuple((quarter, opd_table(quarters[quarter], k)) for quarter in sorted(quarters)[-4:][::-1]),
        category_names={row.code: (row.name_id, row.name_en) for row in category_rows},
    )


def opd_table(counts: Counter[str], k: int) -> Table:
    """Units named only with at least k reports; the rest as one unnamed row ("")."""
    named = sorted(((name, count) for name, count in counts.items() if count >= k), key=lambda r: (-r[1], r[0]))
    rest = sum(count for count in counts.values() if count < k)
    rows = named + ([("", rest)] if rest else [])
    return suppress(rows, k)
