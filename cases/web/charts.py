"""Geometry of server-drawn SVG bar charts (no script, no inline style: CSP).

`bar_chart` lays out a horizontal bar chart from (label, value) pairs, `column_chart`
columns over time from (label, sublabel, value); a value of
None draws no bar and shows `blanks[i]` (e.g. "< 5" or "—") instead. The SVG itself
is written by the templates `_svg_bars.html` and `_svg_columns.html` in CHART_TEMPLATES
(shared by both apps through their blueprints' template folders; autoescaped, no
Markup built in Python),
role="img" with a <title>; callers also print the same numbers as a table.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CHART_TEMPLATES = Path(__file__).parent / "chart_templates"

ROW = 22
LABEL_WIDTH = 160
BAR_WIDTH = 120
LABEL_CHARS = 23  # about 145 px at the 11 px label size: clear of the bars


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the number, or the blank shown instead
    y: int  # text baseline; the bar is drawn from y - 11
    width: float | None  # None: no bar


@dataclass(frozen=True)
class BarChart:
    title: str
    height: int
    bars: tuple[Bar, ...]
    label_width: int = LABEL_WIDTH


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(title: str, pairs: Sequence[tuple[str, int | None]], blanks: Sequence[str] = ()) -> BarChart:
    top = max((value for _label, value in pairs if value), default=1)
    bars = []
    for index, (label, value) in enumerate(pairs):
        y = index * ROW + 16
        if value:
            bars.append(Bar(_short(label), str(value), y, max(round(value / top * BAR_WIDTH, 1), 1.0)))
        else:
            blank = "0" if value == 0 else (blanks[index] if index < len(blanks) else "—")
            bars.append(Bar(_short(label), blank, y, None))
    return BarChart(title=title, height=len(pairs) * ROW + 4, bars=tuple(bars))


COLUMN_WIDTH = 30
COLUMN_HEIGHT = 110
COLUMN_TOP = 16  # room for the number above the tallest column


@dataclass(frozen=True)
class Column:
    label: str  # e.g. the month
    sublabel: str  # e.g. the year, under the first column and under each January; or ""
    text: str  # the number, or the blank shown instead
    x: int  # left edge
    height: float | None  # None: no column


@dataclass(frozen=True)
class ColumnChart:
    """Vertical columns over time; the baseline is at y = COLUMN_TOP + COLUMN_HEIGHT."""

    title: str
    width: int
    columns: tuple[Column, ...]
    column_width: int = COLUMN_WIDTH - 6
    base: int = COLUMN_TOP + COLUMN_HEIGHT
    height: int = COLUMN_TOP + COLUMN_HEIGHT + 32


def column_chart(title: str, points: Sequence[tuple[str, str, int | None]], blanks: Sequence[str] = ()) -> ColumnChart:
    """A column per (label, sublabel, value); a value of None draws no column and shows
    `blanks[i]` instead (as `bar_chart`)."""
    top = max((value for _l, _s, value in points if value), default=1)
    columns = []
    for index, (label, sublabel, value) in enumerate(points):
        x = index * COLUMN_WIDTH
        if value:
            columns.append(Column(label, sublabel, str(value), x, max(round(value / top * COLUMN_HEIGHT, 1), 1.0)))
        else:
            blank = "0" if value == 0 else (blanks[index] if index < len(blanks) else "—")
            columns.append(Column(label, sublabel, blank, x, None))
    return ColumnChart(title=title, width=max(len(points), 1) * COLUMN_WIDTH, columns=tuple(columns))
