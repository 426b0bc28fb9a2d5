"""Management dashboard: SLA, backlog, workload, OPDs and categories, with CSV.

Only for readers (approved key holders), and only over the cases sealed to them:
anyone else gets the 404 a case they cannot read gives."""

from collections.abc import Sequence
from datetime import date

from flask import Blueprint, abort, current_app, g, render_template
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.accountability.figures import ManagementTable, as_csv, management_tables
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.team.grants import is_reader
from cases.web.app import db_session
from cases.web.charts import CHART_TEMPLATES, BarChart, ColumnChart, bar_chart, column_chart
from cases.web.i18n import STATUS_LABELS
from cases.web.ratelimit import SCOPES, breach_counts

bp = Blueprint("management", __name__, template_folder=str(CHART_TEMPLATES))


@bp.before_request
def readers_only() -> None:
    if not is_reader(db_session(), g.reviewer):
        abort(404)


@bp.app_template_global("reads_figures")
def reads_figures() -> bool:
    """Whether the signed-in account sees figures (the navigation offers the page only then)."""
    return "reviewer" in g and is_reader(db_session(), g.reviewer)


def _tables() -> dict[str, ManagementTable]:
    config: Config = current_app.extensions["kanal.config"]
    return management_tables(
        db_session(), viewer=g.reviewer, first_response_hours=config.first_response_hours, now=utc_now()
    )


@bp.app_template_global("management_bars")
def management_bars(title: str, table: ManagementTable) -> BarChart:
    """The table's chart column by its first column (a status code named in the reader's language)."""
    return bar_chart(
        title,
        [
            (
                str(STATUS_LABELS.get(str(row[0]), row[0])) if table.name == "backlog" else str(row[0]),
                int(row[table.chart_column]),
            )
            for row in table.rows
        ],
    )


@bp.app_template_global("management_months")
def management_months(title: str, months: Sequence[str], values: Sequence[int]) -> ColumnChart:
    """Columns per month ("YYYY-MM"), abbreviated per locale; the year under the first and each January."""
    points = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        first = date(int(month[:4]), int(month[5:7]), 1)
        points.append(
            (str(format_date(first, "MMM")), str(first.year) if index == 0 or first.month == 1 else "", value)
        )
    return column_chart(title, points)


SCOPE_LABELS = {
    "submit-visit": _l("Reports, per visit"),
    "submit-all": _l("Reports, everyone"),
    "status-visit": _l("Receipt checks, per visit"),
    "status-all": _l("Receipt checks, everyone"),
    "reply-visit": _l("Reporter replies, per visit"),
    "reply-all": _l("Reporter replies, everyone"),
    "upload-visit": _l("File uploads, per visit's share of the hour"),
    "login-all": _l("Team logins, everyone"),
    "login-device": _l("Team logins, per trusted device"),
}


@bp.get("/management")
def management_page() -> str:
    config: Config = current_app.extensions["kanal.config"]
    return render_template(
        "management.html",
        tables=_tables(),
        breaches=breach_counts(config),
        breach_scopes=SCOPES,
        scope_labels=SCOPE_LABELS,
    )


@bp.get("/management/<name>.csv")
def management_csv(name: str) -> Response:
    table = _tables().get(name)
    if table is None:
        abort(404)
    return Response(
        "\ufeff" + as_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="kanal-{name}.csv"', "Cache-Control": "no-store"},
    )
