"""Bar chart geometry: bars scaled to the largest value, blanks for hidden values."""

from cases.web.charts import bar_chart, column_chart


def test_bar_chart_scales_bars_and_shows_blanks() -> None:
    chart = bar_chart("Reports", [("a", 10), ("small", None), ("none", 0), ("half", 5), ("x" * 40, None)], ["", "< 5"])
    assert [bar.width for bar in chart.bars] == [120.0, None, None, 60.0, None]
    assert [bar.text for bar in chart.bars] == ["10", "< 5", "0", "5", "—"]
    assert chart.bars[4].label.endswith("…") and len(chart.bars[4].label) == 23
    assert chart.height == 5 * 22 + 4


def test_bar_chart_of_only_hidden_values_has_no_bars() -> None:
    assert all(bar.width is None for bar in bar_chart("t", [("x", None), ("y", None)]).bars)


def test_column_chart_scales_columns_and_marks_years() -> None:
    chart = column_chart(
        "Per month", [("Des", "2025", 4), ("Jan", "2026", None), ("Feb", "", 8), ("Mar", "", 0)], ["", "< 5"]
    )
    assert [column.height for column in chart.columns] == [55.0, None, 110.0, None]
    assert [column.text for column in chart.columns] == ["4", "< 5", "8", "0"]
    assert [column.x for column in chart.columns] == [0, 30, 60, 90] and chart.width == 4 * 30
    assert [column.sublabel for column in chart.columns] == ["2025", "2026", "", ""]
