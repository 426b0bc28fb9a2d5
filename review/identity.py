"""The reporter's confidential identity, seen from the team (issue 20, docs/IDENTITY.md): asking for it,
the custodians' request queue and decisions, the protection checklist, and appointing custodians."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.errors import CaseNotFound
from cases.identity.custodians import confirm_custodian, custodians, propose_custodian, revoke_custodian
from cases.identity.disclosure import custodian_queue, decide, request_identity
from cases.identity.errors import CustodianRefused, IdentityRefused
from cases.identity.panel import identity_panel
from cases.identity.protection import STEPS, complete_step
from cases.models import Reviewer
from cases.platform.reference_lists import all_categories, all_opds
from cases.team import roster
from cases.web.app import db_session

from .access import admin_only, step_up_required
from .forms import ButtonForm, IdentityDecisionForm, IdentityRequestForm, ProtectionStepForm

bp = Blueprint("identity", __name__)
MAX_ID_CHARS = 32

REFUSALS = {
    "no_identity": _l("This case holds no identity."),
    "withdrawn": _l("The reporter withdrew their identity."),
    "disclosed": _l("The identity has already been disclosed."),
    "pending": _l("You have already asked for this identity."),
    "reason_required": _l("Write the reason for this decision."),
    "too_long": _l("That is too long."),
    "not_custodian": _l("Only a custodian of this case's unit can decide."),
    "self": _l("A custodian cannot decide their own request: another custodian must."),
    "decided": _l("This has already been decided."),
    "not_reader": _l("The requester cannot read this case any more, so the identity cannot be disclosed to them."),
    "unverified": _l("This request is not in the audit log: it was not made through the app. Refused."),
    "not_requested": _l("No such request."),
    "no_key": _l("You hold no key for this identity."),
    "no_protection": _l("The reporter did not ask for protection."),
    "unknown_step": _l("No such step."),
}
CUSTODIAN_REFUSALS = {
    "own": _l("Nobody proposes or confirms themselves."),
    "same": _l("Another key holder must confirm."),
    "not_holder": _l("Only a key holder can do that."),
    "not_admin": _l("Only a key-holding admin can propose a custodian."),
    "subject": _l("Only an approved key holder can be a custodian."),
    "reviewer": _l("A custodian cannot have the reviewer role: whoever keeps identities does not read cases."),
    "already": _l("Already a custodian."),
    "none": _l("No such proposal or custodian."),
}
STEP_LABELS = {
    "rights_informed": _l("Inform the reporter of their rights (sends them the standard text)"),
    "lpsk_referred": _l("Refer to LPSK (Witness and Victim Protection Agency)"),
    "measures_recorded": _l("Record the protection measures taken"),
}


def identity_context(case_id: str, **forms: object) -> dict[str, object]:
    """What the case page needs for its identity panel."""
    panel = identity_panel(db_session(), actor=g.actor, case_id=case_id)
    return {
        "identity": panel,
        "identity_form": forms.get("identity_form") or IdentityRequestForm(formdata=None),
        "step_forms": {step: ProtectionStepForm(formdata=None, prefix=step) for step in STEPS},
        "step_labels": STEP_LABELS,
    }


@bp.app_context_processor
def custodian_nav() -> dict[str, object]:
    """The request queue in the navigation, for custodians only."""
    if "actor" not in g or g.actor.purpose != "full":
        return {}
    return {"is_custodian": roster.verified(db_session()).custodian(g.actor.id)}


def _back(case_id: str) -> Response:
    return redirect(url_for("cases.case_view", case_id=case_id, _anchor="identity"))


@bp.post("/cases/<case_id>/identity/request")
def ask(case_id: str) -> Response | tuple[str, int]:
    case_id = case_id[:MAX_ID_CHARS]
    form = IdentityRequestForm()
    if not form.validate_on_submit():
        from .cases import _case_page

        return _case_page(case_id, status=400, identity_form=form)
    try:
        request_identity(db_session(), actor=g.actor, case_id=case_id, reason=form.reason.data or "")
    except CaseNotFound:
        abort(404)
    except IdentityRefused as refused:
        flash(str(REFUSALS[refused.reason]))
        return _back(case_id)
    flash(_("Request sent to the custodians."))
    return _back(case_id)


@bp.post("/cases/<case_id>/protection/<step>")
def protection_step(case_id: str, step: str) -> Response:
    case_id = case_id[:MAX_ID_CHARS]
    if step not in STEPS:
        abort(404)
    form = ProtectionStepForm(prefix=step)
    if not form.validate_on_submit():
        flash(_("Write a note first."))
        return _back(case_id)
    try:
        complete_step(db_session(), actor=g.actor, case_id=case_id, step=step, note=form.note.data or "")
    except CaseNotFound:
        abort(404)
    except IdentityRefused as refused:
        flash(str(REFUSALS[refused.reason]))
        return _back(case_id)
    flash(_("Step recorded."))
    return _back(case_id)


def _queue_page(status: int = 200, **forms: IdentityDecisionForm) -> tuple[str, int]:
    session = db_session()
    try:
        entries = custodian_queue(session, actor=g.actor)
    except IdentityRefused:
        abort(403)
    return render_template(
        "identity_requests.html",
        entries=entries,
        forms={
            e.request.id: forms.get(e.request.id) or IdentityDecisionForm(formdata=None, prefix=e.request.id)
            for e in entries
        },
        categories={c.id: c for c in all_categories(session)},
        opds={o.id: o.name for o in all_opds(session)},
    ), status


@bp.get("/identity-requests")
def queue() -> tuple[str, int]:
    return _queue_page()


@bp.post("/identity-requests/<request_id>")
def decide_request(request_id: str) -> Response | tuple[str, int]:
    request_id = request_id[:MAX_ID_CHARS]
    form = IdentityDecisionForm(prefix=request_id)
    if not form.validate_on_submit():
        return _queue_page(400, **{request_id: form})
    try:
        decide(
            db_session(),
            actor=g.actor,
            request_id=request_id,
            grant=form.decision.data == "grant",
            reason=form.reason.data or "",
        )
    except CaseNotFound:
        abort(404)
    except IdentityRefused as refused:
        flash(str(REFUSALS[refused.reason]))
        return redirect(url_for("identity.queue"))
    flash(_("Identity disclosed to the requester.") if form.decision.data == "grant" else _("Request refused."))
    return redirect(url_for("identity.queue"))


def custodian_context() -> dict[str, object]:
    """The team page's custodian section."""
    return {"custodians": custodians(db_session())}


def _reviewer(reviewer_id: str) -> Reviewer:
    reviewer = db_session().get(Reviewer, reviewer_id[:MAX_ID_CHARS])
    if reviewer is None:
        abort(404)
    return reviewer


@bp.post("/team/<reviewer_id>/custodian")
@admin_only
@step_up_required("admin.team_page")
def propose(reviewer_id: str) -> Response:
    if ButtonForm().validate_on_submit():
        try:
            propose_custodian(db_session(), actor=g.actor, reviewer=_reviewer(reviewer_id))
            flash(_("Custodian proposed. Another key holder must confirm it on this page."))
        except CustodianRefused as refused:
            flash(str(CUSTODIAN_REFUSALS[refused.reason]))
    return redirect(url_for("admin.team_page", _anchor="custodians"))


@bp.post("/team/custodians/<proposal_id>/confirm")
@step_up_required("admin.team_page")
def confirm(proposal_id: str) -> Response:
    if ButtonForm().validate_on_submit():
        try:
            confirm_custodian(db_session(), actor=g.actor, proposal_id=proposal_id[:MAX_ID_CHARS])
            flash(_("Custodian appointed."))
        except CustodianRefused as refused:
            flash(str(CUSTODIAN_REFUSALS[refused.reason]))
    return redirect(url_for("admin.team_page", _anchor="custodians"))


@bp.post("/team/<reviewer_id>/custodian/revoke")
@admin_only
@step_up_required("admin.team_page")
def revoke(reviewer_id: str) -> Response:
    if ButtonForm().validate_on_submit():
        try:
            removed = revoke_custodian(db_session(), actor=g.actor, reviewer=_reviewer(reviewer_id))
            flash(_("Custodian role revoked; %(n)d identity keys were removed.", n=removed))
        except CustodianRefused as refused:
            flash(str(CUSTODIAN_REFUSALS[refused.reason]))
    return redirect(url_for("admin.team_page", _anchor="custodians"))
