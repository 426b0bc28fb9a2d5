"""Case list, dashboard, case view, and what the team does on a case."""

from collections.abc import Callable
from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.errors import CaseNotFound, DomainError, ItemTampered
from cases.platform.config import Config
from cases.platform.reference_lists import all_categories, all_opds
from cases.reporting.conversation import may_reply, team_replies
from cases.reporting.errors import EmptyMessage
from cases.team.grants import is_reader, unreadable_cases, waiting_for_keys
from cases.team.membership import pending_approvals
from cases.triage.case_list import CaseFilter, dashboard, first_response_overdue
from cases.triage.deadlines import DeadlineRules
from cases.triage.errors import ReasonRequired, TransitionNotAllowed
from cases.triage.reading import download_attachment, read_case
from cases.triage.retention import purge_soon
from cases.triage.search import MAX_QUERY_CHARS, find_cases
from cases.triage.workflow import (
    PRIORITIES,
    add_label,
    add_note,
    assign,
    change_status,
    mark_duplicate,
    remove_label,
    set_priority,
)
from cases.web.app import db_session, session_factory
from cases.web.filters import small_int
from cases.web.i18n import PRIORITY_LABELS, STATUS_LABELS

from .forms import AssignForm, ButtonForm, DuplicateForm, LabelForm, NoteForm, PriorityForm, ReplyForm, StatusForm
from .identity import identity_context

bp = Blueprint("cases", __name__)
MAX_ID_CHARS = 32


def _rules() -> DeadlineRules:
    config: Config = current_app.extensions["kanal.config"]
    return DeadlineRules(first_response_hours=config.first_response_hours)


def _retention_days() -> int:
    config: Config = current_app.extensions["kanal.config"]
    return config.retention_days


def _int(name: str) -> int | None:
    return small_int(request.args.get(name, ""))


@bp.get("/")
def case_list() -> str:
    filters = CaseFilter(
        statuses=tuple(request.args.getlist("status")),
        category_id=_int("category"),
        opd_id=_int("opd"),
        assignee=request.args.get("assignee") or None,
        label=request.args.get("label") or None,
        overdue=request.args.get("overdue") == "1",
        sort=request.args.get("sort", "urgency"),
        page=_int("page") or 1,  # search results only; the list pages by cursor (validated in case_list)
        after=request.args.get("after") or None,
        before=request.args.get("before") or None,
    )
    session = db_session()
    # The search term stays in this request: it is not logged (docs/SECURITY.md, "Previews and search").
    page = find_cases(session, actor=g.actor, filters=filters, query=request.args.get("q", ""))
    waiting = waiting_for_keys(session, g.reviewer)  # None: not a reader yet
    return render_template(
        "case_list.html",
        page=page,
        waiting=waiting,
        late_first=first_response_overdue(session, viewer=g.reviewer) if waiting is not None else 0,
        categories=all_categories(db_session()),  # retired ones too: their cases stay (issue 19)
        opds=all_opds(db_session()),
        statuses=STATUS_LABELS,
        max_query=MAX_QUERY_CHARS,
    )


@bp.get("/dashboard")
def dashboard_view() -> str:
    session = db_session()
    figures = dashboard(session, viewer=g.reviewer) if is_reader(session, g.reviewer) else None
    extra = {}
    if g.reviewer.is_admin:
        extra = {
            "unreadable": unreadable_cases(session),
            "pending": pending_approvals(session),
            "purge_soon": purge_soon(session, retention_days=_retention_days()),
        }
    return render_template("dashboard.html", figures=figures, statuses=STATUS_LABELS, **extra)


def _case_page(case_id: str, *, status: int = 200, **forms: object) -> tuple[str, int]:
    if len(case_id) > MAX_ID_CHARS:
        abort(404)
    try:
        detail = read_case(db_session(), actor=g.actor, case_id=case_id)
    except CaseNotFound:
        abort(404)
    status_form = forms.get("status_form") or StatusForm()
    # No default: a status change is always a deliberate choice.
    status_form.new_status.choices = [("", "—")] + [  # type: ignore[attr-defined]
        (t.status, str(STATUS_LABELS[t.status])) for t in detail.transitions
    ]
    assign_form = AssignForm(assignee=detail.summary.assigned_to_id or "")
    assign_form.assignee.choices = [("", _("nobody"))] + detail.assignable
    priority_form = PriorityForm(priority=detail.summary.priority)
    priority_form.priority.choices = [(p, str(PRIORITY_LABELS[p])) for p in PRIORITIES]
    context = {
        "case": detail,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "status_form": status_form,
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": assign_form,
        "priority_form": priority_form,
        "label_form": LabelForm(formdata=None),
        "button": ButtonForm(),
        "duplicate_form": DuplicateForm(formdata=None, original=detail.summary.duplicate_of_id or ""),
        "problem": forms.get("problem"),
        **identity_context(detail.summary.id, identity_form=forms.get("identity_form")),
    }
    return render_template("case_view.html", **context), status


@bp.get("/cases/<case_id>")
def case_view(case_id: str) -> tuple[str, int]:
    return _case_page(case_id)


def _act(case_id: str, action: Callable[[], None], done: str) -> Response:
    """Run one case action; 404 for a case the reviewer cannot read."""
    try:
        action()
    except CaseNotFound:
        abort(404)
    flash(done)
    return redirect(url_for("cases.case_view", case_id=case_id))


@bp.post("/cases/<case_id>/reply")
def reply(case_id: str) -> Response | tuple[str, int]:
    form = ReplyForm()
    if not form.validate_on_submit():
        return _case_page(case_id, status=400, reply_form=form)
    if request.form.get("edit"):
        return _case_page(case_id, reply_form=form)  # back to the case page, the text kept
    if form.confirmed.data != "1":
        # What the reporter will receive, to be confirmed: only this text, nothing else of the case.
        try:
            may_reply(db_session(), actor=g.actor, case_id=case_id[:MAX_ID_CHARS])
        except CaseNotFound:
            abort(404)
        return render_template("reply_confirm.html", case_id=case_id[:MAX_ID_CHARS], form=form), 200
    try:
        team_replies(
            db_session(),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            text=form.text.data or "",
            rules=_rules(),
        )
    except CaseNotFound:
        abort(404)
    except EmptyMessage:
        return _case_page(case_id, status=400, reply_form=form)
    flash(_("Reply sent to the reporter."))
    return redirect(url_for("cases.case_view", case_id=case_id))


@bp.post("/cases/<case_id>/status")
def status(case_id: str) -> Response | tuple[str, int]:
    form = StatusForm()
    form.new_status.choices = [(code, code) for code in STATUS_LABELS]
    if not form.validate_on_submit():
        return _case_page(case_id, status=400, status_form=form)
    try:
        change_status(
            db_session(),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            new_status=form.new_status.data or "",
            reason=form.reason.data or "",
            outcome=form.outcome.data or "",
            rules=_rules(),
        )
    except CaseNotFound:
        abort(404)
    except TransitionNotAllowed:
        return _case_page(case_id, status=400, status_form=form, problem=_("That status change is not allowed."))
    except ReasonRequired as missing:
        message = (
            _("Write the reason for this decision.")
            if missing.field == "reason"
            else _("Write the outcome the reporter will read.")
        )
        return _case_page(case_id, status=400, status_form=form, problem=message)
    flash(_("Status changed."))
    return redirect(url_for("cases.case_view", case_id=case_id))


@bp.post("/cases/<case_id>/notes")
def note(case_id: str) -> Response | tuple[str, int]:
    form = NoteForm()
    if not form.validate_on_submit():
        return _case_page(case_id, status=400, note_form=form)
    return _act(
        case_id,
        lambda: add_note(
            db_session(),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            text=form.text.data or "",
        ),
        _("Note added."),
    )


@bp.post("/cases/<case_id>/assign")
def assign_case(case_id: str) -> Response | tuple[str, int]:
    if not ButtonForm().validate_on_submit():
        abort(400)
    assignee = request.form.get("assignee", "")[:MAX_ID_CHARS] or None
    try:
        return _act(
            case_id,
            lambda: assign(
                db_session(),
                actor=g.actor,
                case_id=case_id[:MAX_ID_CHARS],
                assignee_id=assignee,
            ),
            _("Assignment saved."),
        )
    except DomainError:
        return _case_page(case_id, status=400, problem=_("That person cannot read this case."))


@bp.post("/cases/<case_id>/priority")
def priority(case_id: str) -> Response | tuple[str, int]:
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        return _act(
            case_id,
            lambda: set_priority(
                db_session(),
                actor=g.actor,
                case_id=case_id[:MAX_ID_CHARS],
                priority=request.form.get("priority", ""),
            ),
            _("Priority saved."),
        )
    except DomainError:
        return _case_page(case_id, status=400, problem=_("Unknown priority."))


@bp.post("/cases/<case_id>/labels")
def label(case_id: str) -> Response | tuple[str, int]:
    form = LabelForm()
    if not form.validate_on_submit():
        return _case_page(case_id, status=400, problem=_("Write a label of at most 40 characters."))
    return _act(
        case_id,
        lambda: add_label(
            db_session(),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            label=form.label.data or "",
        ),
        _("Label added."),
    )


@bp.post("/cases/<case_id>/labels/remove")
def unlabel(case_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _act(
        case_id,
        lambda: remove_label(
            db_session(),
            actor=g.actor,
            case_id=case_id[:MAX_ID_CHARS],
            label=request.form.get("label", ""),
        ),
        _("Label removed."),
    )


@bp.post("/cases/<case_id>/duplicate")
def duplicate(case_id: str) -> Response | tuple[str, int]:
    form = DuplicateForm()
    if not form.validate_on_submit():
        abort(400)
    original = (form.original.data or "").strip()[:MAX_ID_CHARS] or None
    try:
        return _act(
            case_id,
            lambda: mark_duplicate(
                db_session(),
                actor=g.actor,
                case_id=case_id[:MAX_ID_CHARS],
                original_id=original,
            ),
            _("Duplicate link saved."),
        )
    except DomainError:
        return _case_page(case_id, status=400, problem=_("That case cannot be linked."))


@bp.get("/cases/<case_id>/files/<attachment_id>")
def download(case_id: str, attachment_id: str) -> Response:
    if len(case_id) > MAX_ID_CHARS or len(attachment_id) > MAX_ID_CHARS:
        abort(404)
    try:
        file = download_attachment(
            db_session(),
            sessions=session_factory(current_app),
            actor=g.actor,
            case_id=case_id,
            attachment_id=attachment_id,
        )
    except CaseNotFound:
        abort(404)
    except ItemTampered:  # the case page shows which item failed
        flash(_("This file failed its integrity check and cannot be downloaded."))
        return redirect(url_for("cases.case_view", case_id=case_id))
    # Never rendered by the browser: a download, of an opaque type, in a sandbox.
    ascii_name = file.info.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response = Response(file.chunks, mimetype="application/octet-stream", direct_passthrough=True)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file.info.name)}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Length"] = str(file.info.size)
    return response
