"""Public transparency statistics with small-cell suppression (docs/STATISTICS.md).

Computed from plaintext triage columns only (dates, status, category, OPD);
nothing is decrypted. `figures_from_rows` is a pure function of case rows, so the
rules can be property-tested; `compute` only loads the rows.

Only cases received before the start of the current day in the deployment's
time zone (Asia/Jakarta) count, so no submission moves any figure on the day it
is made: a reporter who submits and then watches the page sees nothing change,
and nor does anyone watching them. Months and quarters are those of that zone.

Every figure covers one window (the current calendar quarter and the three before
it), so every table has the same total and no two tables can be differenced into a
count outside them. Within a table ("group": cells whose sum is known):

1. a count from 1 to k-1 is shown as "< k" (primary suppression); 0 is shown as 0;
2. if a group then has exactly one hidden cell, or its hidden cells sum to less than
   k, or a reader could narrow a small cell down to one value from the group's sum
   and the bounds they know of the other hidden cells, the smallest remaining
   non-zero cells are hidden too ("—", complementary suppression);
3. a total is published only when it is at least k.

Months and units (OPD) are nested in quarters, and a shown quarter's total is known
(its OPD table adds up to it). So the quarter totals are suppressed first, as one
table; the months of each shown quarter form a group; the months of all hidden
quarters form one pooled group in which every hidden quarter keeps at least one
hidden month (else its total could be added up); and a hidden quarter publishes no
OPD table. Category x OPD x month is never published.
"""

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, CaseStatus, Category, Opd
from cases.platform.seed import RETALIATION

OUTCOMES = (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED)
IN_PROGRESS = ""  # the outcome row of cases still being handled
OTHER_UNITS = ""  # the OPD row of units with fewer than k reports
QUARTERS = 4
# Western Indonesia Time (Asia/Jakarta): UTC+7, without daylight saving since 1964.
WIB = timezone(timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class Cell:
    label: str
    value: int | None  # None: hidden
    kind: str  # "shown", "small" (1..k-1, shown as "< k"), "hidden" (complementary)


@dataclass(frozen=True)
class Table:
    cells: tuple[Cell, ...]
    total: int | None  # None: below the threshold


@dataclass(frozen=True)
class CaseRow:
    """The triage metadata of one case that the statistics read (all plaintext columns)."""

    received_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    status: str
    category: str  # category code
    opd: str  # unit name


@dataclass(frozen=True)
class Figures:
    min_cell: int
    since: str  # first month of the window, "YYYY-MM"
    total: int | None
    per_month: Table | None  # None (like every table below): withheld, as no suppression protects it
    per_category: Table | None  # labels are category codes
    outcomes: Table | None  # labels are status codes; IN_PROGRESS for open cases
    answered_share: int | None  # whole percent of cases with a first response, answered within the window
    median_days_to_close: float | None
    quarters: Table  # labels "YYYY-Qn"; the quarter totals (not published as such)
    opd_quarters: tuple[tuple[str, Table | None], ...]  # newest first; None: quarter total hidden or unsafe
    category_names: dict[str, tuple[str, str]]  # code -> (Indonesian, English)
    # Retaliation reports (issue 20, point 4), shown as a figure of their own: exactly the retaliation
    # cell of `per_category`, suppressed as that cell is (a separate count could undo its
    # suppression); None when the category table is withheld or has no retaliation category.
    retaliation: Cell | None = None


def small_cell_range(counts: Sequence[int], kinds: Sequence[str], k: int, index: int) -> tuple[int, int]:
    """What a reader can tell about hidden cell `index` of one group whose sum is known:
    the sum of the hidden cells, small cells in 1..k-1, complementary cells from k up to
    the smallest non-zero cell still shown (they are picked smallest first)."""
    hidden = [i for i, kind in enumerate(kinds) if kind != "shown"]
    total = sum(counts[i] for i in hidden)
    shown = [c for c, kind in zip(counts, kinds, strict=True) if kind == "shown" and c > 0]
    ceiling = min(shown, default=total)

    def bounds(i: int) -> tuple[int, int]:
        return (1, k - 1) if kinds[i] == "small" else (k, ceiling)

    low, high = bounds(index)
    others = [bounds(i) for i in hidden if i != index]
    return max(low, total - sum(h for _l, h in others)), min(high, total - sum(lo for lo, _h in others))


def _protected(counts: Sequence[int], kinds: Sequence[str], k: int) -> bool:
    hidden = [i for i, kind in enumerate(kinds) if kind != "shown"]
    if not hidden:
        return True
    if len(hidden) == 1 or sum(counts[i] for i in hidden) < k:
        return False
    return all(
        high > low for low, high in (small_cell_range(counts, kinds, k, i) for i in hidden if kinds[i] == "small")
    )


def protect(
    counts: Sequence[int], k: int, *, must_hide: Iterable[Sequence[int]] = (), forced: Iterable[int] = ()
) -> tuple[list[str], bool]:
    """The kind of each cell of one group whose sum is known (rules 1-2), and whether
    that protects it; if not (every non-zero cell is hidden and a small one can still be
    narrowed down), the group must not be published with its sum. Each index set in
    `must_hide` with a non-zero cell ends up with a hidden cell; `forced` cells are hidden."""
    kinds = ["small" if 0 < count < k else "shown" for count in counts]

    def hide_smallest(indices: Iterable[int]) -> bool:
        candidates = [i for i in indices if kinds[i] == "shown" and counts[i] > 0]
        if not candidates:
            return False
        kinds[min(candidates, key=lambda i: (counts[i], i))] = "hidden"
        return True

    for index in forced:
        hide_smallest([index])
    for indices in must_hide:
        if all(kinds[i] == "shown" for i in indices):
            hide_smallest(indices)
    while not _protected(counts, kinds, k) and hide_smallest(range(len(counts))):
        pass
    return kinds, _protected(counts, kinds, k)


def _table(rows: Sequence[tuple[str, int]], kinds: Sequence[str], k: int) -> Table:
    total = sum(count for _label, count in rows)
    cells = tuple(
        Cell(label, count if kind == "shown" else None, kind) for (label, count), kind in zip(rows, kinds, strict=True)
    )
    return Table(cells=cells, total=total if total >= k or total == 0 else None)


def suppress(rows: Sequence[tuple[str, int]], k: int) -> Table | None:
    """One table of (label, count) whose total is known (rules 1-3); None when no
    suppression protects it: then it is not published at all."""
    counts = [count for _label, count in rows]
    kinds, safe = protect(counts, k)
    return _table(rows, kinds, k) if safe or sum(counts) < k else None


def opd_table(counts: Counter[str], k: int) -> Table | None:
    """Units named only with at least k reports; the rest as one unnamed row (OTHER_UNITS)."""
    named = sorted(((name, count) for name, count in counts.items() if count >= k), key=lambda r: (-r[1], r[0]))
    rest = sum(count for count in counts.values() if count < k)
    return suppress(named + ([(OTHER_UNITS, rest)] if rest else []), k)


def nested_months(quarters: Sequence[tuple[str, Sequence[tuple[str, int]]]], k: int) -> tuple[Table, Table | None]:
    """(quarter totals, months) for months nested in quarters, as described above. The
    months are None (not published) when the quarters cannot be protected."""
    sums = [sum(c for _m, c in months) for _label, months in quarters]
    months = [month for _label, group in quarters for month in group]
    starts = [sum(len(group) for _l, group in quarters[:n]) for n in range(len(quarters))]
    forced: set[int] = set()
    while True:  # a quarter whose months cannot be protected under its known total is hidden
        quarter_kinds, quarters_safe = protect(sums, k, forced=forced)
        kinds = [""] * len(months)
        failing = set()
        for q, (_label, group) in enumerate(quarters):
            if quarter_kinds[q] == "shown":
                group_kinds, safe = protect([c for _m, c in group], k)
                kinds[starts[q] : starts[q] + len(group)] = group_kinds
                if not safe:
                    failing.add(q)
        if not failing:
            break
        forced |= failing
    pool = [
        starts[q] + n
        for q, (_l, group) in enumerate(quarters)
        if quarter_kinds[q] != "shown"
        for n in range(len(group))
    ]
    groups = [
        [pool.index(starts[q] + n) for n in range(len(group))]
        for q, (_l, group) in enumerate(quarters)
        if quarter_kinds[q] != "shown"
    ]
    pool_kinds, pool_safe = protect([months[i][1] for i in pool], k, must_hide=groups)
    for i, kind in zip(pool, pool_kinds, strict=True):
        kinds[i] = kind
    quarter_table = _table(
        [(label, total) for (label, _g), total in zip(quarters, sums, strict=True)], quarter_kinds, k
    )
    if sum(sums) < k:  # no total is known: nothing to protect against
        return quarter_table, _table(months, kinds, k)
    if not quarters_safe:  # no quarter total may be published, so no unit table either
        hidden = tuple(
            Cell(cell.label, None, cell.kind if cell.kind != "shown" else "hidden") for cell in quarter_table.cells
        )
        return Table(hidden, quarter_table.total), None
    return quarter_table, _table(months, kinds, k) if pool_safe else None


def month_key(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def quarter_key(moment: datetime) -> str:
    return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"


def window(now: datetime) -> list[tuple[str, list[str]]]:
    """The current quarter and the three before it, oldest first, each with its months
    up to the current month."""
    year, quarter = now.year, (now.month - 1) // 3
    result = []
    for _ in range(QUARTERS):
        months = [
            f"{year:04d}-{3 * quarter + m:02d}" for m in (1, 2, 3) if (year, 3 * quarter + m) <= (now.year, now.month)
        ]
        result.append((f"{year:04d}-Q{quarter + 1}", months))
        year, quarter = (year, quarter - 1) if quarter else (year - 1, 3)
    return result[::-1]


def figures_from_rows(
    rows: Iterable[CaseRow],
    categories: Sequence[tuple[str, str, str]],
    *,
    k: int,
    first_response_hours: int,
    now: datetime,
) -> Figures:
    """All published figures from case metadata; `categories` are (code, Indonesian, English)."""
    quarters = window(now)
    in_window = [row for row in rows if quarter_key(row.received_at) in {label for label, _m in quarters}]
    total = len(in_window)
    by_month = Counter(month_key(row.received_at) for row in in_window)
    quarter_table, per_month = nested_months(
        [(label, [(month, by_month[month]) for month in months]) for label, months in quarters], k
    )
    by_category = Counter(row.category for row in in_window)
    outcomes = Counter(row.status if row.status in OUTCOMES else IN_PROGRESS for row in in_window)
    answered = [row for row in in_window if row.first_response_at is not None]
    in_time = sum(
        (row.first_response_at - row.received_at).total_seconds() <= first_response_hours * 3600
        for row in answered
        if row.first_response_at is not None
    )
    closed = [
        (row.closed_at - row.received_at).total_seconds() / 86400
        for row in in_window
        if row.closed_at is not None and row.status in CaseStatus.CONCLUDED
    ]
    per_category = suppress([(code, by_category[code]) for code, _i, _e in categories], k)
    retaliation = next(
        (cell for cell in (per_category.cells if per_category else ()) if cell.label == RETALIATION), None
    )
    units: dict[str, Counter[str]] = {label: Counter() for label, _m in quarters}
    for row in in_window:
        units[quarter_key(row.received_at)][row.opd] += 1
    return Figures(
        min_cell=k,
        since=quarters[0][1][0],
        total=total if total >= k or total == 0 else None,
        per_month=per_month,
        per_category=per_category,
        outcomes=suppress([(status, outcomes[status]) for status in (*OUTCOMES, IN_PROGRESS)], k),
        answered_share=round(100 * in_time / len(answered)) if len(answered) >= k else None,
        median_days_to_close=round(statistics.median(closed), 1) if len(closed) >= k else None,
        quarters=quarter_table,
        opd_quarters=tuple(
            (cell.label, opd_table(units[cell.label], k) if cell.kind == "shown" else None)
            for cell in reversed(quarter_table.cells)
            if cell.value != 0
        ),
        category_names={code: (name_id, name_en) for code, name_id, name_en in categories},
        retaliation=retaliation,
    )


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """A naive UTC time as naive wall time in `zone`."""
    return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def day_start(now: datetime, zone: tzinfo = WIB) -> datetime:
    """The start of the day `now` (naive UTC) falls on in `zone`, as naive UTC."""
    local = now.replace(tzinfo=UTC).astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def compute(session: Session, *, k: int, first_response_hours: int, now: datetime, zone: tzinfo = WIB) -> Figures:
    """The published figures at `now` (naive UTC): over cases received before the start of
    `now`'s day in `zone`, with months and quarters of that zone."""
    rows = session.execute(
        select(Case.received_at, Case.first_response_at, Case.closed_at, Case.status, Category.code, Opd.name)
        .join(Category, Category.id == Case.category_id)
        .join(Opd, Opd.id == Case.opd_id)
        .where(Case.received_at < day_start(now, zone))
    ).all()
    categories = session.execute(
        select(Category.code, Category.name_id, Category.name_en).order_by(Category.position, Category.id)
    ).all()
    return figures_from_rows(
        (
            CaseRow(
                _local(row.received_at, zone),
                None if row.first_response_at is None else _local(row.first_response_at, zone),
                None if row.closed_at is None else _local(row.closed_at, zone),
                row.status,
                row.code,
                row.name,
            )
            for row in rows
        ),
        [(row.code, row.name_id, row.name_en) for row in categories],
        k=k,
        first_response_hours=first_response_hours,
        now=_local(now, zone),
    )
