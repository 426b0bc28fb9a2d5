"""The team page (accounts, approvals, affiliations) and the audit log.

Creating and disabling accounts and setting affiliations are admin actions
behind a fresh TOTP code (step-up). Approving a new reviewer is *not* an admin
power: any key-holding reviewer other than the account's creator may do it.
Any reviewer may declare their own conflict of interest.
"""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.accountability.audit import recent_events
from cases.models import Reviewer
from cases.platform.reference_lists import all_opds
from cases.team.account_recovery import reenable_reviewer, reset_passphrase, reset_second_factor
from cases.team.accounts import create_reviewer
from cases.team.errors import (
    AccountActionRefused,
    AccountExists,
    ApprovalRefused,
    InvalidEmail,
    NotAKeyHolder,
    RemovalRefused,
)
from cases.team.membership import (
    KeysToConfirm,
    add_affiliation,
    approve_reviewer,
    confirm_removal,
    disable_reviewer,
    keys_to_confirm,
    pending_removals,
    propose_removal,
    session_fingerprints,
    team,
)
from cases.team.notifications import set_email
from cases.web.app import db_session
from cases.web.filters import small_int

from .access import admin_only, step_up_required
from .forms import AffiliationForm, ApproveForm, ButtonForm, CreateReviewerForm, EmailForm
from .identity import custodian_context

bp = Blueprint("admin", __name__)

_APPROVAL_MESSAGES = {
    "self": _l("You cannot approve your own account."),
    "creator": _l("The person who created an account cannot approve it: ask another reviewer."),
    "not_holder": _l("Only a reviewer who already holds case keys can approve."),
    "not_active": _l("This account has not set its passphrase yet."),
    "already": _l("This account is already approved."),
    "not_created": _l(
        "This account has no signed creation in the roster: it cannot be approved. Create it again from the team page."
    ),
    "code": _l("That code is not valid (or was already used). Approval needs a fresh code."),
    "changed": _l("The keys of this account changed after the page was shown. Read the fingerprints again."),
}

_STATE_LABELS = {
    "pending": _l("waiting for activation"),
    "active": _l("active"),
    "disabled": _l("disabled"),
}

_REMOVAL_MESSAGES = {
    "own": _l("Nobody removes their own affiliation or conflict: another key holder must propose it."),
    "same": _l("A second key holder, not the one who proposed it, must confirm."),
    "not_holder": _l("Only a key holder in the signed roster can do that."),
    "none": _l("That affiliation no longer exists."),
    "stale": _l("The affiliation changed after it was proposed. Propose the removal again."),
}


def _reviewer(reviewer_id: str) -> Reviewer:
    reviewer = db_session().get(Reviewer, reviewer_id[:32])
    if reviewer is None:
        abort(404)
    return reviewer


def _team_page(status: int = 200, **extra: object) -> tuple[str, int]:
    affiliation_form = AffiliationForm(formdata=None)
    affiliation_form.opd.choices = _opd_choices()
    create_form = extra.pop("create_form", None) or CreateReviewerForm(formdata=None)
    members = team(db_session())
    names = {m.reviewer.id: m.reviewer.display_name for m in members}
    opds = {o.id: o.name for o in all_opds(db_session())}
    return render_template(
        "team.html",
        members=members,
        create_form=create_form,
        affiliation_form=affiliation_form,
        button=ButtonForm(),
        own_keys=session_fingerprints(g.actor),
        removals=pending_removals(db_session()),
        names=names,
        opds=opds,
        state_labels=_STATE_LABELS,
        email_form=EmailForm(formdata=None, email=g.reviewer.email or ""),
        **custodian_context(),
        **extra,
    ), status


@bp.get("/team")
def team_page() -> tuple[str, int]:
    return _team_page()


@bp.post("/team/create")
@admin_only
@step_up_required("admin.team_page")
def create() -> Response | tuple[str, int]:
    form = CreateReviewerForm()
    if not form.validate_on_submit():
        return _team_page(400, create_form=form)
    try:
        reviewer, one_time = create_reviewer(
            db_session(),
            username=form.username.data or "",
            display_name=form.display_name.data or "",
            is_admin=form.is_admin.data,
            is_reviewer=form.is_reviewer.data,
            creator=g.actor,
            email=form.email.data or "",
        )
    except NotAKeyHolder:
        return _team_page(
            403,
            create_form=form,
            problem=_("Only an administrator who is a key holder in the signed roster can create accounts."),
        )
    except AccountExists:
        return _team_page(400, create_form=form, problem=_("An account with that name already exists."))
    except InvalidEmail:
        return _team_page(400, create_form=form, problem=_("That is not an e-mail address."))
    # Shown once, in this response only; never stored, never in a cookie.
    return _team_page(created=(reviewer.username, one_time))


@bp.route("/team/<reviewer_id>/approve", methods=["GET", "POST"])
def approve(reviewer_id: str) -> Response | tuple[str, int]:
    """Four eyes: the approver confirms the new reviewer's fingerprints out of band and enters a fresh code."""
    reviewer = _reviewer(reviewer_id)
    keys = keys_to_confirm(db_session(), reviewer)
    form = ApproveForm()
    if keys is not None and request.method == "GET":
        form.signing_fp.data, form.encryption_fp.data = keys.signing, keys.encryption
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("approve.html", reviewer=reviewer, keys=keys, form=form), status
    config = current_app.extensions["kanal.config"]
    try:
        approve_reviewer(
            db_session(),
            approver=g.actor,
            reviewer=reviewer,
            code=form.code.data or "",
            server_secret=config.review_secret_key.encode(),
            shown=KeysToConfirm(signing=form.signing_fp.data or "", encryption=form.encryption_fp.data or ""),
        )
    except ApprovalRefused as refused:
        return render_template(
            "approve.html", reviewer=reviewer, keys=keys, form=form, problem=_APPROVAL_MESSAGES[refused.reason]
        ), 400
    flash(_("Approved. They receive case keys when a key holder is next active."))
    return redirect(url_for("admin.team_page"))


@bp.post("/team/<reviewer_id>/disable")
@admin_only
@step_up_required("admin.team_page")
def disable(reviewer_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    reviewer = _reviewer(reviewer_id)
    if reviewer.id == g.reviewer.id:
        flash(_("You cannot disable your own account."))
    else:
        try:
            disable_reviewer(db_session(), actor=g.actor, reviewer=reviewer)
            flash(_("Account disabled; its sessions and case keys are gone."))
        except NotAKeyHolder:
            flash(str(_REMOVAL_MESSAGES["not_holder"]))
    return redirect(url_for("admin.team_page"))


_ACCOUNT_MESSAGES = {
    "self": _l("Nobody does this to their own account: ask another administrator who holds keys."),
    "not_holder": _l("Only an administrator who is a key holder in the signed roster can do that."),
    "step_up": _l("Please confirm with a fresh code, then repeat the action."),
    "state": _l("That is not possible for an account in this state."),
}


@bp.post("/team/<reviewer_id>/second-factor/reset")
@admin_only
@step_up_required("admin.team_page")
def reset_factor(reviewer_id: str) -> Response:
    """A colleague lost their authenticator: they enrol a new one at their next login."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        reset_second_factor(db_session(), actor=g.actor, reviewer=_reviewer(reviewer_id))
        flash(_("Authenticator reset: its codes and backup codes no longer work. A new one is set up at next login."))
    except AccountActionRefused as refused:
        flash(str(_ACCOUNT_MESSAGES[refused.reason]))
    return redirect(url_for("admin.team_page"))


@bp.post("/team/<reviewer_id>/passphrase/reset")
@admin_only
@step_up_required("admin.team_page")
def reset_forgotten(reviewer_id: str) -> Response | tuple[str, int]:
    """A forgotten passphrase: the account starts over with a one-time passphrase, shown once here."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    reviewer = _reviewer(reviewer_id)
    try:
        one_time = reset_passphrase(db_session(), actor=g.actor, reviewer=reviewer)
    except AccountActionRefused as refused:
        flash(str(_ACCOUNT_MESSAGES[refused.reason]))
        return redirect(url_for("admin.team_page"))
    return _team_page(reset=(reviewer.username, one_time))


@bp.post("/team/<reviewer_id>/enable")
@admin_only
@step_up_required("admin.team_page")
def enable(reviewer_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        reenable_reviewer(db_session(), actor=g.actor, reviewer=_reviewer(reviewer_id))
        flash(_("Account enabled again. It receives no case keys until another key holder approves it."))
    except AccountActionRefused as refused:
        flash(str(_ACCOUNT_MESSAGES[refused.reason]))
    return redirect(url_for("admin.team_page"))


def _opd_choices() -> list[tuple[object, str]]:
    """The units, after an empty "— choose —" that is selected until the admin picks one."""
    retired = str(_("retired"))
    return [("", str(_("— choose —")))] + [
        (o.id, o.name if o.active else f"{o.name} ({retired})") for o in all_opds(db_session())
    ]


def _affiliation_form() -> AffiliationForm:
    form = AffiliationForm()
    form.opd.choices = _opd_choices()
    return form


@bp.post("/team/<reviewer_id>/affiliations")
@admin_only
@step_up_required("admin.team_page")
def affiliate(reviewer_id: str) -> Response:
    form = _affiliation_form()
    if form.validate_on_submit():
        try:
            removed = add_affiliation(
                db_session(),
                actor=g.actor,
                reviewer=_reviewer(reviewer_id),
                opd_id=form.opd.data,
                kind=form.kind.data or "member",
            )
        except NotAKeyHolder:
            flash(str(_REMOVAL_MESSAGES["not_holder"]))
            return redirect(url_for("admin.team_page"))
        flash(_("Affiliation saved; %(n)d case keys for that unit were removed.", n=removed))
    else:
        flash(_("Choose a unit first."))
    return redirect(url_for("admin.team_page"))


@bp.post("/team/<reviewer_id>/affiliations/remove")
@admin_only
@step_up_required("admin.team_page")
def unaffiliate(reviewer_id: str) -> Response:
    """Propose lifting a recusal or removing an affiliation: a second key holder must confirm."""
    opd_id = small_int(request.form.get("opd", ""))
    if ButtonForm().validate_on_submit() and opd_id is not None:
        try:
            propose_removal(db_session(), actor=g.actor, reviewer=_reviewer(reviewer_id), opd_id=opd_id)
            flash(_("Removal proposed. Another key holder must confirm it on this page."))
        except RemovalRefused as refused:
            flash(str(_REMOVAL_MESSAGES[refused.reason]))
    return redirect(url_for("admin.team_page"))


@bp.post("/team/removals/<proposal_id>/confirm")
@step_up_required("admin.team_page")
def confirm_unaffiliate(proposal_id: str) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        confirm_removal(db_session(), actor=g.actor, proposal_id=proposal_id[:32])
        flash(_("Affiliation removed. Key holders pass on that unit's cases at their next visit."))
    except RemovalRefused as refused:
        flash(str(_REMOVAL_MESSAGES[refused.reason]))
    return redirect(url_for("admin.team_page"))


@bp.post("/me/conflicts")
def declare_conflict() -> Response:
    """A reviewer recuses themself from a unit's cases (no admin needed)."""
    form = _affiliation_form()
    if form.validate_on_submit():
        removed = add_affiliation(
            db_session(),
            actor=g.actor,
            reviewer=g.reviewer,
            opd_id=form.opd.data,
            kind="conflict",
        )
        flash(_("Conflict declared; %(n)d case keys for that unit were removed from your account.", n=removed))
    else:
        flash(_("Choose a unit first."))
    return redirect(url_for("admin.team_page"))


def _save_email(reviewer: Reviewer) -> None:
    form = EmailForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_email(db_session(), actor_id=g.reviewer.id, reviewer=reviewer, email=form.email.data or "")
        flash(_("Notification address saved.") if form.email.data else _("Notifications turned off."))
    except InvalidEmail:
        flash(_("That is not an e-mail address."))


@bp.post("/team/<reviewer_id>/email")
@admin_only
@step_up_required("admin.team_page")
def reviewer_email(reviewer_id: str) -> Response:
    _save_email(_reviewer(reviewer_id))
    return redirect(url_for("admin.team_page"))


@bp.post("/me/email")
@step_up_required("admin.team_page")
def own_email() -> Response:
    """Any reviewer sets (or clears) their own notification address (a fresh code first: ASVS 7.5.1)."""
    _save_email(g.reviewer)
    return redirect(url_for("admin.team_page"))


@bp.get("/audit")
@admin_only
def audit_log() -> str:
    actor = request.args.get("actor", "")[:32] or None
    case_id = request.args.get("case", "")[:32] or None
    page = small_int(request.args.get("page", ""), 10**6) or 1
    events = recent_events(db_session(), actor_id=actor, case_id=case_id, page=page)
    reviewers = {r.reviewer.id: r.reviewer.display_name for r in team(db_session())}
    return render_template("audit.html", events=events, reviewers=reviewers, actor=actor, case_id=case_id, page=page)
