"""Public statistics page: figures without any that could point at a reporter."""

import time
from datetime import date, datetime

from flask import Blueprint, current_app, render_template
from flask_babel import format_date, format_decimal, get_timezone
from flask_babel import gettext as _

from cases.accountability.statistics import WIB, Figures, Table, compute, day_start
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.web.app import db_session
from cases.web.charts import CHART_TEMPLATES, BarChart, ColumnChart, bar_chart, column_chart
from cases.web.i18n import STATUS_LABELS

bp = Blueprint("statistics", __name__, template_folder=str(CHART_TEMPLATES))
CACHE_SECONDS = 600


def _figures() -> Figures:
    """Computed at most every ten minutes per process, and afresh when a new day begins (the
    cache key is nothing a client sends). Cases of the current day never count (compute)."""
    cache: dict[str, tuple[float, datetime, Figures]] = current_app.extensions.setdefault("kanal.statistics", {})
    cached = cache.get("figures")
    now, zone = utc_now(), get_timezone() or WIB
    if cached is None or cached[0] < time.monotonic() or cached[1] != day_start(now, zone):
        config: Config = current_app.extensions["kanal.config"]
        figures = compute(
            db_session(),
            k=config.stats_min_cell,
            first_response_hours=config.first_response_hours,
            now=now,
            zone=zone,
        )
        cached = cache["figures"] = (time.monotonic() + CACHE_SECONDS, day_start(now, zone), figures)
    return cached[2]


def _first_of(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


@bp.app_template_filter("month")
def month_label(value: str) -> str:
    return str(format_date(_first_of(value), "MMM yyyy"))


@bp.app_template_filter("one_decimal")
def one_decimal(value: float) -> str:
    return str(format_decimal(value, format="#,##0.0"))


@bp.app_template_filter("quarter")
def quarter_label(value: str) -> str:
    year, number = value.split("-Q")
    return str(_("Quarter %(number)s %(year)s", number=number, year=year))


@bp.app_template_filter("category_label")
def category_label(code: str, names: dict[str, tuple[str, str]], english: bool) -> str:
    name_id, name_en = names.get(code, (code, code))
    return name_en if english else name_id


@bp.app_template_filter("status_name")
def status_name(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


@bp.app_template_filter("unit_label")
def unit_label(name: str) -> str:
    return name or str(_("Other units"))


@bp.app_template_filter("outcome_name")
def outcome_name(code: str) -> str:
    return str(STATUS_LABELS.get(code, code)) if code else str(_("Still being handled"))


def _blanks(table: Table, k: int) -> list[str]:
    return [f"< {k}" if cell.kind == "small" else "—" for cell in table.cells]


@bp.app_template_global("table_chart")
def table_chart(table: Table, labels: list[str], title: str, k: int) -> BarChart:
    """The SVG chart of a suppressed table: no bar for a hidden cell, "< k" or a dash instead."""
    return bar_chart(
        title, [(label, cell.value) for label, cell in zip(labels, table.cells, strict=True)], _blanks(table, k)
    )


@bp.app_template_global("month_chart")
def month_chart(table: Table, title: str, k: int) -> ColumnChart:
    """Columns per month, the month abbreviated per locale, the year under the first
    column and under each January."""
    points = []
    for index, cell in enumerate(table.cells):
        first = _first_of(cell.label)
        year = str(first.year) if index == 0 or first.month == 1 else ""
        points.append((str(format_date(first, "MMM")), year, cell.value))
    return column_chart(title, points, _blanks(table, k))


@bp.get("/statistik")
def statistics_page() -> str:
    return render_template("statistics.html", figures=_figures())
