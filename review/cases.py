"""Case list, case view, replies to the reporter, evidence downloads."""

from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.conversation import EmptyMessage, team_replies
from cases.custody import session_keypair
from cases.errors import CaseNotFound
from cases.reading import download_attachment, list_cases, read_case
from cases.web import db_session, session_factory

from .forms import ReplyForm

bp = Blueprint("cases", __name__)
MAX_ID_CHARS = 32


def _private_key() -> bytes:
    keypair = session_keypair(g.session_row, token=g.session_token)
    if keypair is None:
        abort(404)
    return keypair.private


@bp.get("/")
def case_list() -> str:
    return render_template("case_list.html", cases=list_cases(db_session(), reviewer=g.reviewer))


def _case_page(case_id: str, form: ReplyForm) -> str:
    if len(case_id) > MAX_ID_CHARS:
        abort(404)
    try:
        detail = read_case(db_session(), reviewer=g.reviewer, case_id=case_id, private_key=_private_key())
    except CaseNotFound:
        abort(404)
    return render_template("case_view.html", case=detail, form=form)


@bp.get("/cases/<case_id>")
def case_view(case_id: str) -> str:
    return _case_page(case_id, ReplyForm())


@bp.post("/cases/<case_id>/reply")
def reply(case_id: str) -> Response | tuple[str, int]:
    form = ReplyForm()
    if not form.validate_on_submit():
        return _case_page(case_id, form), 400
    try:
        team_replies(db_session(), reviewer=g.reviewer, case_id=case_id[:MAX_ID_CHARS], private_key=_private_key(),
                     text=form.text.data or "")
    except CaseNotFound:
        abort(404)
    except EmptyMessage:
        return _case_page(case_id, form), 400
    flash(_("Reply sent to the reporter."))
    return redirect(url_for("cases.case_view", case_id=case_id))


@bp.get("/cases/<case_id>/files/<attachment_id>")
def download(case_id: str, attachment_id: str) -> Response:
    if len(case_id) > MAX_ID_CHARS or len(attachment_id) > MAX_ID_CHARS:
        abort(404)
    try:
        file = download_attachment(db_session(), sessions=session_factory(current_app), reviewer=g.reviewer,
                                   case_id=case_id, attachment_id=attachment_id, private_key=_private_key())
    except CaseNotFound:
        abort(404)
    # Never rendered by the browser: a download, of an opaque type, in a sandbox.
    ascii_name = file.info.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response = Response(file.chunks, mimetype="application/octet-stream", direct_passthrough=True)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file.info.name)}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Length"] = str(file.info.size)
    return response
