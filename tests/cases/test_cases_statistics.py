"""Small-cell suppression of the public statistics: no published number below the
threshold, and no difference of published figures isolates a hidden cell."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.statistics import Table, opd_table, suppress

K = 5
tables = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12)


def published_numbers(table: Table) -> list[int]:
    return [cell.value for cell in table.cells if cell.value is not None] + (
        [table.total] if table.total is not None else [])


def check(table: Table, counts: list[int], k: int) -> None:
    # no published number from 1 to k-1 (0 is published: it is nobody)
    assert all(n == 0 or n >= k for n in published_numbers(table))
    # hidden cells are exactly the small ones plus complements; shown values are true
    hidden = [count for cell, count in zip(table.cells, counts, strict=True) if cell.value is None]
    for cell, count in zip(table.cells, counts, strict=True):
        assert cell.value is None or cell.value == count
        assert cell.kind != "small" or 0 < count < k
    # differencing the published total by the published cells yields only the sum of
    # two or more hidden cells, and that sum is at least k: no hidden cell is isolated
    if table.total is not None and hidden:
        assert table.total - sum(c.value for c in table.cells if c.value is not None) == sum(hidden)
        assert len(hidden) >= 2 and sum(hidden) >= k
    # a total below k is never published
    assert table.total is None or table.total >= k


@settings(max_examples=100, deadline=None, derandomize=True)
@given(tables, st.integers(min_value=2, max_value=10))
def test_suppression_holds_for_any_table(counts: list[int], k: int) -> None:
    table = suppress([(f"c{i}", count) for i, count in enumerate(counts)], k)
    check(table, counts, k)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from([f"OPD {n}" for n in range(15)]), st.integers(1, 3)), max_size=60))
def test_units_are_named_only_with_at_least_k_reports(reports: list[tuple[str, int]]) -> None:
    counts: Counter[str] = Counter()
    for name, weight in reports:
        counts[name] += weight
    table = opd_table(counts, K)
    for cell in table.cells:
        if cell.label:  # a named unit
            assert counts[cell.label] >= K
    check(table, [counts[c.label] if c.label else sum(v for v in counts.values() if v < K) for c in table.cells], K)


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    table = suppress([("a", 20), ("b", 3), ("c", 7), ("d", 0)], K)
    assert [c.kind for c in table.cells] == ["shown", "small", "hidden", "shown"]
    assert [c.value for c in table.cells] == [20, None, None, 0] and table.total == 30


def test_two_small_cells_summing_below_k_take_more() -> None:
    table = suppress([("a", 1), ("b", 1), ("c", 9), ("d", 30)], K)
    assert [c.kind for c in table.cells] == ["small", "small", "hidden", "shown"]


def test_a_table_of_only_small_counts_publishes_no_total() -> None:
    table = suppress([("a", 2), ("b", 1)], K)
    assert table.total is None and all(c.value is None for c in table.cells)
