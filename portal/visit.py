"""The reporter's own case: report, status, thread, reply, add evidence, forget.

The visit lasts 30 minutes from the receipt being entered (absolute), checked
against the issue time signed into the reporter's cookie.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.evidence.errors import FileRefused
from cases.identity.disclosure import reporter_identity, withdraw_identity
from cases.identity.errors import IdentityRefused
from cases.identity.keeping import give_identity
from cases.identity.protection import reporter_steps
from cases.platform.config import Config
from cases.platform.db import forget_old_pages
from cases.reporting.conversation import reporter_adds
from cases.reporting.errors import CaseClosed, EmptyMessage, RecoveryKeyMissing, ReporterSessionGone
from cases.reporting.receipts import reporter_view
from cases.reporting.visits import end_reporter_session, open_visit
from cases.web.app import db_session
from cases.web.ratelimit import configured, limiter, spend_globally

from .forms import ForgetForm, IdentityForm, ReplyForm, StatusForm, WithdrawIdentityForm
from .uploads import limits, prepare_uploads, refusal_message

bp = Blueprint("visit", __name__)
P = ParamSpec("P")
R = TypeVar("R")


def visit_required(view: Callable[P, R]) -> Callable[P, R | Response | tuple[str, int]]:
    """The view runs with `g.visit` (cases.reporting.visits.Visit) for the reporter's cookie; a visit
    that is over (30 minutes, forgotten, unknown) goes back to the receipt form — a reply being sent
    is shown back, never lost."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response | tuple[str, int]:
        config: Config = current_app.extensions["kanal.config"]
        try:
            g.visit = open_visit(
                db_session(),
                token=session.get("visit", ""),
                issued_at=session.get("visit_at", 0),
                minutes=config.reporter_visit_minutes,
            )
        except ReporterSessionGone:
            _forget_cookie()
            return _ended()
        return view(*args, **kwargs)

    return wrapper


def _forget_cookie() -> None:
    session.pop("visit", None)
    session.pop("visit_at", None)


def _ended() -> Response | tuple[str, int]:
    if request.method == "POST":
        return kept_reply()
    flash(_("Your visit has ended. Enter your receipt code again to continue."))
    return redirect(url_for("status.check_status"))


def _kept_identity() -> str:
    """What was typed in the "give your identity" form (visit over, form expired, too many requests),
    a line a field, labelled as on the form: shown back to the reporter only, never stored or logged."""
    form = IdentityForm(formdata=request.form, meta={"csrf": False})
    fields = (form.identity_name, form.identity_nip, form.identity_unit, form.identity_contact)
    lines = [f"{field.label.text}: {value}" for field in fields if (value := (field.data or "").strip())]
    if form.identity_protection.data:
        lines.append(str(form.identity_protection.label.text))
    return "\n".join(lines)[:2000]


def kept_reply(*, busy: bool = False) -> tuple[str, int]:
    """A reply that cannot be sent now (visit over, form expired, too many replies) is shown back, not
    lost; so is an identity being given from the reporter's page."""
    if request.endpoint == "visit.give_identity_later":
        return render_template(
            "status.html", form=StatusForm(formdata=None), ended=not busy, busy=busy, kept_identity=_kept_identity()
        ), (429 if busy else 400)
    return render_template(
        "status.html",
        form=StatusForm(formdata=None),
        ended=not busy,
        busy=busy,
        # a reply's text, or a retaliation report's answers (portal/retaliation.py)
        kept_text=(
            request.form.get("text")
            or "\n\n".join(request.form.get(name, "") for name in ("what", "when", "who") if request.form.get(name))
        )[:20000],
    ), (429 if busy else 400)


def _page(form: ReplyForm, **extra: object) -> str:
    # Dates are calendar days in the deployment's time zone: never an hour (cases/reporting/receipts.py).
    session, zone = db_session(), get_timezone()
    view = reporter_view(session, visit=g.visit, zone=zone)
    extra.setdefault("identity_form", IdentityForm(formdata=None))
    extra.setdefault("withdraw_form", WithdrawIdentityForm(formdata=None))
    return render_template(
        "my_report.html",
        view=view,
        form=form,
        forget=ForgetForm(),
        identity=reporter_identity(session, case=g.visit.case, zone=zone),
        protection_steps=reporter_steps(session, case=g.visit.case, zone=zone),
        **extra,
    )


@bp.route("/laporan-saya", methods=["GET", "POST"])
@limiter.limit(configured("limit_reply"), methods=["POST"], scope="reply-visit")
@visit_required
def my_report() -> Response | str | tuple[str, int]:
    form = ReplyForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form), 400
    spend_globally("reply-all", "limit_reply_global")  # well-formed replies only
    prepared, file_errors = prepare_uploads(request.files.getlist("evidence"))
    if file_errors:
        return _page(form, file_errors=file_errors), 400
    try:
        reporter_adds(
            db_session(),
            visit=g.visit,
            text=form.text.data or "",
            files=prepared,
            limits=limits(),
        )
    except FileRefused as refused:
        return _page(form, file_errors=[refusal_message(refused)]), 400
    except EmptyMessage:
        return _page(form, problem="empty"), 400
    except CaseClosed:
        return _page(form, problem="closed"), 400
    flash(_("Sent. The team will see it in their case view."))
    # to the top, where this notice is (the form's #reply would otherwise carry over the redirect)
    return redirect(url_for("visit.my_report", _anchor="main"))


@bp.post("/laporan-saya/identitas")
@limiter.limit(configured("limit_reply"), scope="reply-visit")
@visit_required
def give_identity_later() -> Response | tuple[str, int]:
    """The reporter gives a confidential identity after the report (or again after withdrawing one)."""
    form = IdentityForm()
    if not form.validate_on_submit():
        return _page(ReplyForm(formdata=None), identity_form=form, identity_open=True), 400
    spend_globally("reply-all", "limit_reply_global")
    try:
        give_identity(
            db_session(),
            case=g.visit.case,
            content=form.identity(),
            protection=bool(form.identity_protection.data),
        )
    except IdentityRefused:
        return _page(ReplyForm(formdata=None), identity_form=form, identity_open=True, identity_problem=True), 400
    except RecoveryKeyMissing:
        current_app.logger.error("identity refused: no recovery key is installed")
        return _page(ReplyForm(formdata=None), identity_form=form, identity_open=True, identity_problem=True), 503
    flash(_("Your identity is saved, encrypted for the identity custodians only."))
    return redirect(url_for("visit.my_report", _anchor="identity"))


@bp.post("/laporan-saya/identitas/tarik")
@visit_required
def withdraw_identity_now() -> Response | tuple[str, int]:
    """Withdraw an identity that nobody was granted: deleted for good."""
    form = WithdrawIdentityForm()
    if not form.validate_on_submit():
        return _page(ReplyForm(formdata=None), withdraw_form=form), 400
    session = db_session()
    try:
        withdraw_identity(session, case=g.visit.case)
    except IdentityRefused:
        return _page(ReplyForm(formdata=None), withdraw_form=form, withdraw_refused=True), 400
    session.commit()  # then the log's old pages holding it go too (SQLite; PostgreSQL at VACUUM)
    forget_old_pages(session.get_bind())
    flash(_("Your identity was withdrawn and deleted. Nobody can open it any more."))
    return redirect(url_for("visit.my_report", _anchor="identity"))


@bp.post("/lupakan")
def forget() -> Response:
    if ForgetForm().validate_on_submit():
        end_reporter_session(db_session(), token=session.get("visit", ""))
        _forget_cookie()
        flash(_("Done. This browser no longer has access to your report."))
    return redirect(url_for("pages.index"))
