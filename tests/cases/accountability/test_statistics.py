"""Small-cell suppression of the public statistics: no published number below the
threshold, and no difference of published figures (within a table or across the
page) isolates or pins down a hidden cell."""

from collections import Counter
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.accountability.statistics import (
    IN_PROGRESS,
    OTHER_UNITS,
    CaseRow,
    Figures,
    Table,
    figures_from_rows,
    nested_months,
    opd_table,
    suppress,
    window,
)
from cases.models import CaseStatus
from cases.platform.config import load_config

K = 5
NOW = datetime(2026, 11, 15, 10)
CATEGORIES = [("bribery", "Suap", "Bribery"), ("fees", "Pungli", "Illegal fees"), ("other", "Lainnya", "Other")]
UNITS = [f"Dinas {n}" for n in range(6)]
STATUSES = [status.value for status in CaseStatus]
tables = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=10)
thresholds = st.integers(min_value=3, max_value=10)


def published_numbers(table: Table) -> list[int]:
    return [cell.value for cell in table.cells if cell.value is not None] + (
        [table.total] if table.total is not None else []
    )


def feasible_values(table: Table, counts: list[int], k: int, index: int) -> set[int]:
    """Brute force, independent of the module: every value hidden cell `index` can take
    given the published total, the published cells, the marks ("< k" is 1..k-1, "—" is a
    cell of at least k but no larger than the smallest non-zero cell still shown)."""
    hidden = [i for i, cell in enumerate(table.cells) if cell.value is None]
    known_sum = sum(counts[i] for i in hidden)
    ceiling = min((c.value for c in table.cells if c.value), default=known_sum)
    ranges = {i: range(1, k) if table.cells[i].kind == "small" else range(k, ceiling + 1) for i in hidden}
    sums = {0}  # sums the other hidden cells can make
    for i in hidden:
        if i != index:
            sums = {s + v for s in sums for v in ranges[i] if s + v <= known_sum}
    return {v for v in ranges[index] if known_sum - v in sums}


def check(table: Table | None, counts: list[int], k: int) -> None:
    if table is None:  # withheld: no suppression would protect it
        assert sum(counts) >= k  # only a table whose total is known needs withholding
        return
    # no published number from 1 to k-1 (0 is published: it points at nobody)
    assert all(n == 0 or n >= k for n in published_numbers(table))
    hidden = [count for cell, count in zip(table.cells, counts, strict=True) if cell.value is None]
    for cell, count in zip(table.cells, counts, strict=True):
        assert cell.value is None or cell.value == count  # shown values are true
        assert (cell.kind == "small") == (0 < count < k)  # exactly the small counts are "< k"
    assert table.total is None or table.total == sum(counts)
    # the published total minus the published cells is the sum of two or more hidden
    # cells, at least k; and no small cell can be narrowed down to a single value
    if table.total is not None and hidden:
        assert len(hidden) >= 2 and sum(hidden) >= k
        for index, cell in enumerate(table.cells):
            if cell.kind == "small":
                assert len(feasible_values(table, counts, k, index)) >= 2
    assert table.total is None or table.total == 0 or table.total >= k


@settings(max_examples=100, deadline=None, derandomize=True)
@given(tables, thresholds)
def test_suppression_holds_for_any_table(counts: list[int], k: int) -> None:
    check(suppress([(f"c{i}", count) for i, count in enumerate(counts)], k), counts, k)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from([f"OPD {n}" for n in range(15)]), st.integers(1, 3)), max_size=60))
def test_units_are_named_only_with_at_least_k_reports(reports: list[tuple[str, int]]) -> None:
    counts: Counter[str] = Counter()
    for name, weight in reports:
        counts[name] += weight
    table = opd_table(counts, K)
    for cell in table.cells:
        if cell.label != OTHER_UNITS:
            assert counts[cell.label] >= K
    check(table, [counts[c.label] if c.label else sum(v for v in counts.values() if v < K) for c in table.cells], K)


def rank(rows: list[list[Fraction]]) -> int:
    matrix, result = [row[:] for row in rows], 0
    columns = len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((r for r in range(result, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[result], matrix[pivot] = matrix[pivot], matrix[result]
        for r in range(len(matrix)):
            if r != result and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[result][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[result], strict=True)]
        result += 1
    return result


def relations(figures: Figures) -> list[tuple[Table, list[int]]]:
    """Every sum a reader knows: cells of one table adding up to a known number. All
    tables share one total; a quarter's total is known when its OPD table is shown."""
    result: list[tuple[Table, list[int]]] = []
    if figures.total is not None:
        for table in (figures.per_month, figures.per_category, figures.outcomes):
            if table is not None:
                result.append((table, list(range(len(table.cells)))))
    months = [cell.label for cell in figures.per_month.cells] if figures.per_month is not None else []
    for quarter, units in figures.opd_quarters:
        if units is not None:
            if figures.per_month is not None:
                result.append(
                    (figures.per_month, [i for i, label in enumerate(months) if window_quarter(label) == quarter])
                )
            result.append((units, list(range(len(units.cells)))))
    return result


def window_quarter(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def assert_no_hidden_cell_is_determined(figures: Figures) -> None:
    """Linear algebra over all the page's sum relations: no hidden cell's value follows."""
    known = relations(figures)
    variables = list(
        dict.fromkeys((id(table), i) for table, cells in known for i in cells if table.cells[i].value is None)
    )
    if not variables:
        return
    matrix = [
        [Fraction(int(table_id == id(table) and i in cells)) for table_id, i in variables] for table, cells in known
    ]
    base = rank(matrix)
    for position in range(len(variables)):
        unit = [Fraction(int(i == position)) for i in range(len(variables))]
        assert rank([*matrix, unit]) > base, "a hidden cell follows from the published sums"


case_rows = st.lists(
    st.tuples(
        st.integers(0, 13),
        st.integers(0, 2),
        st.integers(0, 5),
        st.integers(0, 5),
        st.one_of(st.none(), st.integers(1, 60)),
    ),
    max_size=120,
)


def make_rows(raw: list[tuple[int, int, int, int, int | None]]) -> list[CaseRow]:
    rows = []
    for months_ago, category, unit, status, response_hours in raw:
        year, month = NOW.year, NOW.month - months_ago
        while month < 1:
            year, month = year - 1, month + 12
        received = datetime(year, month, 1 + months_ago % 27, 9)
        closed = received + timedelta(days=3 + months_ago) if STATUSES[status] in CaseStatus.CONCLUDED else None
        responded = received + timedelta(hours=response_hours) if response_hours is not None else None
        rows.append(CaseRow(received, responded, closed, STATUSES[status], CATEGORIES[category][0], UNITS[unit]))
    return rows


@settings(max_examples=100, deadline=None, derandomize=True)
@given(case_rows, thresholds)
def test_the_whole_page_publishes_no_small_number_and_no_recoverable_cell(
    raw: list[tuple[int, int, int, int, int | None]], k: int
) -> None:
    rows = make_rows(raw)
    figures = figures_from_rows(rows, CATEGORIES, k=k, first_response_hours=24, now=NOW)
    first = datetime.strptime(figures.since, "%Y-%m")
    shown = [row for row in rows if row.received_at >= first]
    total = len(shown)
    assert figures.total is None or figures.total == total
    assert figures.total is not None or 0 < total < k
    month_counts = Counter(f"{row.received_at:%Y-%m}" for row in shown)
    check(figures.per_category, [sum(r.category == code for r in shown) for code, _i, _e in CATEGORIES], k)
    outcome_counts = Counter(r.status if r.status in ("closed", "rejected", "referred") else IN_PROGRESS for r in shown)
    check(figures.outcomes, [outcome_counts[label] for label in ("closed", "rejected", "referred", IN_PROGRESS)], k)
    per_month = figures.per_month
    months = [month_counts[cell.label] for cell in per_month.cells] if per_month is not None else []
    if per_month is not None:
        assert all(n == 0 or n >= k for n in published_numbers(per_month))
        for cell, count in zip(per_month.cells, months, strict=True):
            assert cell.value in (None, count) and (cell.kind == "small") == (0 < count < k)
    for quarter, units in figures.opd_quarters:
        if units is not None:
            counts = Counter(r.opd for r in shown if window_quarter(f"{r.received_at:%Y-%m}") == quarter)
            assert sum(counts.values()) >= k  # a quarter is shown by unit only with at least k reports
            check(
                units,
                [counts[c.label] if c.label else sum(v for v in counts.values() if v < k) for c in units.cells],
                k,
            )
    # every sum relation on the page leaves two or more hidden cells adding up to at least k
    for table, cells in relations(figures):
        hidden = [i for i in cells if table.cells[i].value is None]
        if hidden and table is figures.per_month:
            assert len(hidden) >= 2 and sum(months[i] for i in hidden) >= k
    assert_no_hidden_cell_is_determined(figures)
    # a share or median over fewer than k cases is not published
    answered = [r for r in shown if r.first_response_at is not None]
    assert (figures.answered_share is None) == (len(answered) < k)
    concluded = [r for r in shown if r.closed_at is not None]
    assert (figures.median_days_to_close is None) == (len(concluded) < k)


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    table = suppress([("a", 20), ("b", 3), ("c", 7), ("d", 0)], K)
    assert table is not None
    assert [c.kind for c in table.cells] == ["shown", "small", "hidden", "shown"]
    assert [c.value for c in table.cells] == [20, None, None, 0] and table.total == 30


def test_two_small_cells_summing_below_k_take_more() -> None:
    table = suppress([("a", 1), ("b", 1), ("c", 9), ("d", 30)], K)
    assert table is not None
    assert [c.kind for c in table.cells] == ["small", "small", "hidden", "shown"]


def test_a_complement_pinned_by_the_next_shown_cell_takes_that_one_too() -> None:
    # hiding only 4 and one 5 would leave 9 = small + (a cell from 5 to 5): the small one is 4
    table = suppress([("a", 4), ("b", 5), ("c", 5)], K)
    assert table is not None
    assert [c.kind for c in table.cells] == ["small", "hidden", "hidden"] and table.total == 14


def test_a_table_of_only_small_counts_publishes_no_total() -> None:
    table = suppress([("a", 2), ("b", 1)], K)
    assert table is not None and table.total is None and all(c.value is None for c in table.cells)


def test_an_empty_table_publishes_zero() -> None:
    table = suppress([("a", 0), ("b", 0)], K)
    assert table is not None and table.total == 0


def test_a_table_that_would_pin_its_small_cells_is_withheld() -> None:
    # 8 reports, 4 and 4: with the total known, each "< 5" could only be 4
    assert suppress([("a", 4), ("b", 4), ("c", 0)], K) is None


def test_a_small_quarter_cannot_be_worked_out_from_the_others() -> None:
    # three full quarters and a new one with 3 reports: the 3 must not follow from
    # total minus the quarters whose unit tables add up
    quarters, months = nested_months(
        [
            ("Q1", [("01", 10), ("02", 10), ("03", 10)]),
            ("Q2", [("04", 8), ("05", 6), ("06", 9)]),
            ("Q3", [("07", 7), ("08", 7), ("09", 7)]),
            ("Q4", [("10", 2), ("11", 1)]),
        ],
        K,
    )
    assert [c.kind for c in quarters.cells] == ["shown", "shown", "hidden", "small"]
    assert months is not None
    hidden_months = [c.label for c in months.cells if c.value is None]
    assert {"10", "11"} <= set(hidden_months) and any(m in hidden_months for m in ("07", "08", "09"))


def test_the_window_is_the_current_quarter_and_three_before() -> None:
    assert [label for label, _m in window(NOW)] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert window(NOW)[-1][1] == ["2026-10", "2026-11"]
    assert [label for label, _m in window(datetime(2027, 2, 1))] == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]


def test_figures_leave_out_reports_before_the_window() -> None:
    rows = make_rows([(12, 0, 0, 0, None)] * 9 + [(0, 0, 0, 4, 2)] * 6)
    figures = figures_from_rows(rows, CATEGORIES, k=K, first_response_hours=24, now=NOW)
    assert figures.since == "2026-01" and figures.total == 6
    assert figures.outcomes is not None  # closed, rejected, referred, in progress:
    assert [c.value for c in figures.outcomes.cells] == [6, 0, 0, 0]
    assert figures.answered_share == 100 and figures.median_days_to_close == 3.0
    assert figures.opd_quarters[0][0] == "2026-Q4" and figures.opd_quarters[0][1] is not None


def test_the_threshold_is_read_from_the_environment_and_never_below_three(tmp_path: Path) -> None:
    # 0 is published, so "< 2" would mean exactly 1: the threshold is at least 3
    assert load_config({"KANAL_DATA_DIR": str(tmp_path)}).stats_min_cell == 5
    assert load_config({"KANAL_DATA_DIR": str(tmp_path), "KANAL_STATS_MIN_CELL": "8"}).stats_min_cell == 8
    assert load_config({"KANAL_DATA_DIR": str(tmp_path), "KANAL_STATS_MIN_CELL": "2"}).stats_min_cell == 3
