"""Case list and case view."""

from flask import Blueprint, abort, g, render_template

from cases.custody import session_keypair
from cases.errors import CaseNotFound
from cases.reading import list_cases, read_case
from cases.web import db_session

bp = Blueprint("cases", __name__)


@bp.get("/")
def case_list() -> str:
    return render_template("case_list.html", cases=list_cases(db_session(), reviewer=g.reviewer))


@bp.get("/cases/<case_id>")
def case_view(case_id: str) -> str:
    keypair = session_keypair(g.session_row, token=g.session_token)
    if keypair is None or len(case_id) > 32:
        abort(404)
    try:
        detail = read_case(db_session(), reviewer=g.reviewer, case_id=case_id, private_key=keypair.private)
    except CaseNotFound:
        abort(404)
    return render_template("case_view.html", case=detail)
