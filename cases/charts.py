"""Geometry of server-drawn SVG bar charts (no script, no inline style: CSP).

`bar_chart` lays out a horizontal bar chart from (label, value) pairs; a value of
None draws no bar and shows `blanks[i]` (e.g. "< 5" or "—") instead. The SVG itself
is written by the template `_svg_bars.html` (autoescaped; no Markup built in Python),
role="img" with a <title>; callers also print the same numbers as a table.
"""

from collections.abc import Sequence
from dataclasses import dataclass

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 130
LABEL_CHARS = 26


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
