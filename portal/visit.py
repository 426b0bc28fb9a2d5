"""The reporter's own case: report, status, thread, reply, add evidence, forget.

The visit lasts 30 minutes from the receipt being entered (absolute), checked
against the issue time signed into the reporter's cookie.
"""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.evidence.errors import FileRefused
from cases.platform.config import Config
from cases.reporting.conversation import reporter_adds
from cases.reporting.errors import CaseClosed, EmptyMessage, ReporterSessionGone
from cases.reporting.receipts import reporter_view
from cases.reporting.visits import ReporterAccess, end_reporter_session, resume_reporter_session
from cases.web.app import db_session

from .forms import ForgetForm, ReplyForm, StatusForm
from .uploads import limits, prepare_uploads, refusal_message

bp = Blueprint("visit", __name__)


def _access() -> ReporterAccess | None:
    config: Config = current_app.extensions["kanal.config"]
    token, issued = session.get("visit", ""), session.get("visit_at", 0)
    if not token or not isinstance(issued, int) or time.time() - issued > config.reporter_visit_minutes * 60:
        _forget(token)
        return None
    try:
        return resume_reporter_session(db_session(), token=token)
    except ReporterSessionGone:
        _forget(token)
        return None


def _forget(token: str) -> None:
    if token:
        end_reporter_session(db_session(), token=token)
    session.pop("visit", None)
    session.pop("visit_at", None)


def _ended() -> Response | tuple[str, int]:
    if request.method == "POST":
        return kept_reply()
    flash(_("Your visit has ended. Enter your receipt code again to continue."))
    return redirect(url_for("status.check_status"))


def kept_reply() -> tuple[str, int]:
    """A reply that cannot be sent now (visit over, form expired) is shown back, not lost."""
    return render_template(
        "status.html", form=StatusForm(formdata=None), ended=True, kept_text=request.form.get("text", "")[:20000]
    ), 400


def _page(access: ReporterAccess, form: ReplyForm, **extra: object) -> str:
    # Dates are calendar days in the deployment's time zone: never an hour (cases/reporting/receipts.py).
    view = reporter_view(db_session(), case=access.case, case_key=access.case_key, zone=get_timezone())
    return render_template("my_report.html", view=view, form=form, forget=ForgetForm(), **extra)


@bp.route("/laporan-saya", methods=["GET", "POST"])
def my_report() -> Response | str | tuple[str, int]:
    access = _access()
    if access is None:
        return _ended()
    form = ReplyForm()
    if request.method == "GET":
        return _page(access, form)
    if not form.validate_on_submit():
        return _page(access, form), 400
    prepared, file_errors = prepare_uploads(request.files.getlist("evidence"))
    if file_errors:
        return _page(access, form, file_errors=file_errors), 400
    try:
        reporter_adds(
            db_session(),
            case=access.case,
            case_key=access.case_key,
            text=form.text.data or "",
            files=prepared,
            limits=limits(),
        )
    except FileRefused as refused:
        return _page(access, form, file_errors=[refusal_message(refused)]), 400
    except EmptyMessage:
        return _page(access, form, problem="empty"), 400
    except CaseClosed:
        return _page(access, form, problem="closed"), 400
    flash(_("Sent. The team will see it in their case view."))
    return redirect(url_for("visit.my_report"))


@bp.post("/lupakan")
def forget() -> Response:
    if ForgetForm().validate_on_submit():
        _forget(session.get("visit", ""))
        flash(_("Done. This browser no longer has access to your report."))
    return redirect(url_for("pages.index"))
