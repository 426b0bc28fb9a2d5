"""Redaction before referral: withhold phrases and files from a case's exports, preview, lift.

Views only: the rules (team key, four eyes on lifting, audit) are in
cases/accountability/redaction.py. Works without JavaScript: a text area for
phrases, a checkbox per file, a preview page, a button per lift.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.accountability.errors import RedactionRefused, RedactionTampered
from cases.accountability.redaction import add_redaction, lift_redaction
from cases.accountability.redaction_preview import redaction_page, redaction_preview
from cases.errors import CaseNotFound
from cases.web.app import db_session

from .cases import MAX_ID_CHARS
from .forms import ButtonForm, RedactionForm

bp = Blueprint("redaction", __name__)

_PROBLEMS = {
    "empty": _l("Write a phrase or choose a file to withhold."),
    "phrase": _l("Each phrase must be at least 2 characters long, and not part of the mark [disamarkan]."),
    "too_many": _l("At most 50 phrases at a time."),
    "unknown_item": _l("That file or redaction is not part of this case."),
    "lifted": _l("That redaction was already lifted."),
    "own": _l("A redaction is lifted by another reviewer, not by the one who made it."),
    "tampered": _l("A redaction of this case failed its integrity check: tell the administrator."),
}
_FIELD_LABELS = {
    "what": _l("What happened"),
    "who": _l("Who is involved"),
    "when": _l("When"),
    "where": _l("Where"),
    "how": _l("How"),
}


def _case_id(case_id: str) -> str:
    if len(case_id) > MAX_ID_CHARS:
        abort(404)
    return case_id


def _page(case_id: str, form: RedactionForm, *, status: int = 200, problem: str | None = None) -> tuple[str, int]:
    try:
        page = redaction_page(db_session(), actor=g.actor, case_id=_case_id(case_id))
    except CaseNotFound:
        abort(404)
    return (
        render_template(
            "case_redact.html",
            page=page,
            form=form,
            button=ButtonForm(),
            problem=problem,
            me=g.reviewer.id,
            field_labels=_FIELD_LABELS,
        ),
        status,
    )


@bp.get("/cases/<case_id>/redact")
def redact_form(case_id: str) -> tuple[str, int]:
    return _page(case_id, RedactionForm(formdata=None))


@bp.post("/cases/<case_id>/redact")
def redact(case_id: str) -> Response | tuple[str, int]:
    form = RedactionForm()
    if not form.validate_on_submit():
        return _page(case_id, form, status=400)
    try:
        add_redaction(
            db_session(),
            actor=g.actor,
            case_id=_case_id(case_id),
            phrases=(form.phrases.data or "").splitlines(),
            file_seqs=frozenset(form.files.data or ()),
            paragraphs=frozenset(form.paragraphs.data or ()),
        )
    except CaseNotFound:
        abort(404)
    except RedactionRefused as refused:
        return _page(case_id, form, status=400, problem=str(_PROBLEMS[refused.problem]))
    flash(_("Redaction saved. Check the preview before you export."))
    return redirect(url_for("redaction.preview", case_id=case_id))


@bp.post("/cases/<case_id>/redact/<int:seq>/lift")
def lift(case_id: str, seq: int) -> Response | tuple[str, int]:
    if not ButtonForm().validate_on_submit():
        return _page(case_id, RedactionForm(formdata=None), status=400)
    try:
        lift_redaction(db_session(), actor=g.actor, case_id=_case_id(case_id), redaction_seq=seq)
    except CaseNotFound:
        abort(404)
    except RedactionRefused as refused:
        return _page(case_id, RedactionForm(formdata=None), status=400, problem=str(_PROBLEMS[refused.problem]))
    flash(_("Redaction lifted: the next export carries that text and those files again."))
    return redirect(url_for("redaction.redact_form", case_id=case_id))


@bp.get("/cases/<case_id>/redact/preview")
def preview(case_id: str) -> tuple[str, int]:
    try:
        shown = redaction_preview(db_session(), actor=g.actor, case_id=_case_id(case_id))
    except CaseNotFound:
        abort(404)
    except RedactionTampered:
        return _page(case_id, RedactionForm(formdata=None), status=409, problem=str(_PROBLEMS["tampered"]))
    return render_template("case_redact_preview.html", preview=shown), 200
