""" "Saya mengalami pembalasan": a retaliation report from the reporter's page (issue 20, point 4).

The visit already holds the reporter's case, so no receipt is typed again. The form works like the
report form (one-time form token, CSRF, limits that keep the text, no JavaScript); the answer is the
new report's receipt page, rendered from the POST.
"""

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _

from cases.evidence.errors import FileRefused
from cases.platform.config import Config
from cases.platform.seed import choice_lists
from cases.reporting.errors import FormAlreadySent, RecoveryKeyMissing, UnknownChoice
from cases.reporting.report_content import ReportContent
from cases.reporting.report_forms import (
    SentBefore,
    claim_form,
    is_form_token,
    new_form_token,
    purge_stale_forms_hourly,
    seal_receipt,
    sent_before,
)
from cases.reporting.retaliation import report_retaliation
from cases.web.app import db_session
from cases.web.ratelimit import configured, limiter, spend_globally

from .forms import RetaliationForm
from .report import receipt_page, sent_again
from .uploads import limits, prepare_uploads, refusal_message
from .visit import visit_required

bp = Blueprint("retaliation", __name__)


def _with_units(form: RetaliationForm) -> RetaliationForm:
    form.opd.choices = [("", _("— choose —"))] + list(choice_lists(db_session()).opds)
    return form


def _chosen_files() -> bool:
    return any(storage.filename for storage in request.files.getlist("evidence"))


def retaliation_page(form: RetaliationForm, status: int, **context: object) -> tuple[str, int]:
    """The form (again): also for an expired form or too many reports, with the text kept."""
    if form.is_submitted() and _chosen_files() and "file_errors" not in context:
        context["file_errors"] = [str(_("The files you chose could not be kept: choose them again."))]
    return render_template("retaliation.html", form=form, **context), status


def kept_retaliation(problem: str, status: int) -> tuple[str, int]:
    """For the error handlers (portal/report.py): the form as sent, with a fresh CSRF token."""
    form = _with_units(RetaliationForm())
    form.validate()
    return retaliation_page(form, status, problem=problem)


@bp.route("/laporan-saya/pembalasan", methods=["GET", "POST"])
@limiter.limit(configured("limit_submit"), methods=["POST"], scope="submit-visit")
@visit_required
def retaliation_report() -> tuple[str, int]:
    form = _with_units(RetaliationForm())
    session = db_session()
    if not form.is_submitted():
        if any(opd_id == g.visit.case.opd_id for opd_id, _name in form.opd.choices[1:]):
            form.opd.data = g.visit.case.opd_id  # the original's unit, unless the reporter names another
        return retaliation_page(form, 200)
    token = form.form_token.data
    if not is_form_token(token):
        form.form_token.data = token = new_form_token()
    else:
        again = sent_before(session, token)
        if again is not None:
            return sent_again(again)
    if not form.validate():
        return retaliation_page(form, 400)
    spend_globally("submit-all", "limit_submit_global")
    prepared, file_errors = prepare_uploads(request.files.getlist("evidence"))
    if file_errors:
        return retaliation_page(form, 400, file_errors=file_errors)
    config: Config = current_app.extensions["kanal.config"]
    content = ReportContent(what=form.what.data or "", who=form.who.data or "", when=form.when.data or "")
    try:
        with session.begin_nested():
            claimed = claim_form(session, token)
            submitted = report_retaliation(
                session,
                original=g.visit.case,
                opd_id=form.opd.data,
                content=content,
                receipt_key=config.receipt_key_bytes,
                first_response_hours=config.first_response_hours,
                files=prepared,
                limits=limits(),
                identity=form.identity() if form.gives_identity() else None,
                protection=bool(form.identity_protection.data),
            )
            seal_receipt(claimed, token, receipt=submitted.receipt, files=submitted.files)
    except FormAlreadySent:
        return sent_again(sent_before(session, token) or SentBefore(None))
    except FileRefused as refused:
        return retaliation_page(form, 400, file_errors=[refusal_message(refused)])
    except UnknownChoice:
        return retaliation_page(form, 400, problem="choice")
    except RecoveryKeyMissing:
        current_app.logger.error("submission refused: no recovery key is installed")
        return retaliation_page(form, 503, problem="unavailable")
    purge_stale_forms_hourly(session)
    return receipt_page(submitted.receipt, submitted.files, retaliation=True), 200
