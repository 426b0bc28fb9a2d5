"""Bar chart geometry: bars scaled to the largest value, blanks for hidden values."""

from cases.charts import bar_chart


def test_bar_chart_scales_bars_and_shows_blanks() -> None:
    chart = bar_chart("Reports", [("a", 10), ("small", None), ("none", 0), ("half", 5), ("x" * 40, None)], ["", "< 5"])
    assert [bar.width for bar in chart.bars] == [130.0, None, None, 65.0, None]
    assert [bar.text for bar in chart.bars] == ["10", "< 5", "0", "5", "—"]
    assert chart.bars[4].label.endswith("…") and len(chart.bars[4].label) == 26
    assert chart.height == 5 * 22 + 4


def test_bar_chart_of_only_hidden_values_has_no_bars() -> None:
    assert all(bar.width is None for bar in bar_chart("t", [("x", None), ("y", None)]).bars)
