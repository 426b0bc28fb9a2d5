"""Case export for referral: choose the parts, state a reason, download a ZIP.

Both the form and the download are step-up actions (a TOTP code from the last
5 minutes): an export takes a case outside the system, so a stolen session
cookie alone must not be enough. A reviewer without the case's keys (never
granted, or recused) gets 404, as everywhere else.
"""

from flask import Blueprint, abort, current_app, g, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.accountability.errors import ExportRefused
from cases.accountability.export import ExportSelection, export_case, export_choices
from cases.errors import CaseNotFound
from cases.web.app import db_session, session_factory

from .access import step_up_required
from .cases import MAX_ID_CHARS
from .forms import ExportForm

bp = Blueprint("export", __name__)

_PROBLEMS = {
    "reason": _l("Write the reason for this export."),
    "contact_reason": _l("Contact details are only included with a stated reason."),
    "unknown_item": _l("A selected message or file is not part of this case."),
    "tampered": _l("A selected part failed its integrity check and cannot be exported."),
    "redaction_tampered": _l(
        "A redaction of this case failed its integrity check: no export is possible until an administrator "
        "has looked at it."
    ),
}


def _page(case_id: str, form: ExportForm, *, status: int = 200, problem: str | None = None) -> tuple[str, int]:
    if len(case_id) > MAX_ID_CHARS:
        abort(404)
    try:
        choices = export_choices(db_session(), actor=g.actor, case_id=case_id)
    except CaseNotFound:
        abort(404)
    return render_template("case_export.html", choices=choices, form=form, problem=problem), status


@bp.get("/cases/<case_id>/export")
@step_up_required("export.export_form", with_view_args=True)
def export_form(case_id: str) -> tuple[str, int]:
    return _page(case_id, ExportForm())


@bp.post("/cases/<case_id>/export")
@step_up_required("export.export_form", with_view_args=True)
def export_download(case_id: str) -> Response | tuple[str, int]:
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(case_id, form, status=400)
    selection = ExportSelection(
        reason=form.reason.data or "",
        include_report=form.include_report.data,
        message_seqs=frozenset(form.messages.data or ()),
        attachment_seqs=frozenset(form.attachments.data or ()),
        include_history=form.include_history.data,
        include_notes=form.include_notes.data,
        include_contact=form.include_contact.data,
        contact_reason=form.contact_reason.data or "",
    )
    try:
        export = export_case(
            db_session(),
            sessions=session_factory(current_app),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            selection=selection,
        )
    except CaseNotFound:
        abort(404)
    except ExportRefused as refused:
        return _page(case_id, form, status=400, problem=str(_PROBLEMS[refused.problem]))
    # The audit event commits before the first byte streams (cases/web/ commits in after_request).
    response = Response(export.stream(), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
