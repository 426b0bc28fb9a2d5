"""Management dashboard: SLA, backlog, workload, OPDs and categories, with CSV."""

from flask import Blueprint, abort, current_app, render_template
from werkzeug.wrappers import Response

from cases.clock import utc_now
from cases.config import Config
from cases.management import ManagementTable, as_csv, management_tables
from cases.web import db_session

bp = Blueprint("management", __name__)


def _tables() -> dict[str, ManagementTable]:
    config: Config = current_app.extensions["kanal.config"]
    return management_tables(db_session(), first_response_hours=config.first_response_hours, now=utc_now())


@bp.get("/management")
def management_page() -> str:
    return render_template("management.html", tables=_tables())


@bp.get("/management/<name>.csv")
def management_csv(name: str) -> Response:
    table = _tables().get(name)
    if table is None:
        abort(404)
    return Response("\ufeff" + as_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="kanal-{name}.csv"',
                             "Cache-Control": "no-store"})
