"""Login (passphrase, then TOTP), first-login activation, TOTP enrolment, step-up, logout.

Each step's session can reach only that step (review/__init__.py); every step
up to a full session issues a new session token, so no token ever gains rights.
"""

from urllib.parse import urlparse

import segno
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response

from cases.accountability import anchors, audit
from cases.platform.config import Config
from cases.team import roster
from cases.team.accounts import activate, authenticate
from cases.team.errors import AccountLocked, LoginFailed, PassphraseRejected
from cases.team.grants import regrant_from
from cases.team.login_throttle import clear_failures, reserve_attempt
from cases.team.second_factor import (
    check_code,
    enrolment_details,
    enrolment_secret,
    finish_enrolment,
    start_enrolment,
    use_backup_code,
)
from cases.team.sessions import (
    SigningKey,
    end_all_sessions,
    end_session,
    mark_stepped_up,
    open_session,
    session_keypair,
    session_signing_key,
)
from cases.web.app import db_session, keep_on_error
from cases.web.ratelimit import configured, everyone, limiter

from .forms import ActivateForm, CodeForm, LoginForm, LogoutForm

bp = Blueprint("auth", __name__)

_POLICY_MESSAGES = {
    "too_short": _l("Use at least 15 characters."),
    "too_long": _l("Use at most 1,024 characters."),
    "too_guessable": _l("That passphrase is common or too easy to guess. Try four or five unrelated words."),
}


def _config() -> Config:
    config: Config = current_app.extensions["kanal.config"]
    return config


def _server_secret() -> bytes:
    return _config().review_secret_key.encode()


def _switch(reviewer_session_purpose: str, *, stepped_up: bool = False) -> None:
    """Replace the current session with a new one (new token) of the given purpose."""
    keypair = session_keypair(g.session_row, token=g.session_token)
    signing = session_signing_key(g.session_row, token=g.session_token)
    reviewer = g.reviewer
    end_session(db_session(), token=g.session_token)
    session.clear()
    session["sid"] = open_session(
        db_session(),
        reviewer=reviewer,
        keypair=keypair,
        signing=signing,
        purpose=reviewer_session_purpose,
        stepped_up=stepped_up,
    )


def _locked_message(error: AccountLocked) -> str:
    return str(
        _(
            "Too many attempts. This account accepts the next attempt after %(time)s.",
            time=format_time(error.until, "HH:mm:ss"),
        )
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured("limit_login_global"), key_func=everyone, methods=["POST"], scope="login-all")
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), (400 if form.is_submitted() else 200)
    keep_on_error()  # failed attempts and their audit events must be kept
    try:
        outcome = authenticate(
            db_session(), username=form.username.data or "", passphrase=form.passphrase.data or "", kdf=_config().kdf
        )
    except AccountLocked as locked:
        return render_template("login.html", form=form, failed=_locked_message(locked)), 429
    except LoginFailed:
        audit.record(db_session(), action="login.fail")
        failed = _("That name and passphrase do not match an account.")
        return render_template("login.html", form=form, failed=failed), 401
    session.clear()  # a fresh session id at every step: no fixation
    if outcome.needs_activation:
        purpose, target = "activation", "auth.activate"
    elif outcome.needs_code:
        purpose, target = "second_factor", "auth.code"
    else:
        purpose, target = "enrol", "auth.enrol"
    session["sid"] = open_session(
        db_session(), reviewer=outcome.reviewer, keypair=outcome.keypair, signing=outcome.signing, purpose=purpose
    )
    return redirect(url_for(target))


@bp.route("/login/code", endpoint="code", methods=["GET", "POST"])
def second_factor() -> Response | str | tuple[str, int]:
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("code.html", form=form), (400 if form.is_submitted() else 200)
    reviewer = g.reviewer
    keep_on_error()
    try:
        reserve_attempt(db_session(), reviewer=reviewer)
    except AccountLocked as locked:
        return render_template("code.html", form=form, failed=_locked_message(locked)), 429
    code = form.code.data or ""
    if not (
        check_code(reviewer=reviewer, code=code, server_secret=_server_secret())
        or use_backup_code(db_session(), reviewer=reviewer, code=code)
    ):
        audit.record(db_session(), action="login.fail", actor_id=reviewer.id, detail="second factor")
        return render_template("code.html", form=form, failed=_("That code is not valid (or was already used).")), 401
    clear_failures(reviewer)
    audit.record(db_session(), action="login", actor_id=reviewer.id)
    anchors.check_at_login(
        db_session(),
        signer_id=reviewer.id,  # anchors the head; problems reach admins
        signing_key=_bound_signing_key(),
    )
    _switch("full", stepped_up=True)
    _regrant()
    return redirect(url_for("cases.case_list"))


def _bound_signing_key() -> SigningKey | None:
    """The signing key for the login anchor, when the signed roster binds it (not yet, for an account
    made before the roster: its anchor goes unsigned rather than signed by a key nobody vouches for)."""
    key = session_signing_key(g.session_row, token=g.session_token)
    member = roster.verified(db_session()).member(g.reviewer.id)
    return key if key is not None and member is not None and member.signing_key == key.public else None


def _regrant() -> None:
    """Seal the keys this reviewer holds to approved colleagues who lack them (bounded)."""
    keypair = session_keypair(g.session_row, token=g.session_token) if "session_row" in g else None
    if keypair is not None:
        regrant_from(db_session(), holder=g.reviewer, private_key=keypair.private)


@bp.route("/activate", endpoint="activate", methods=["GET", "POST"])
def activate_account() -> Response | str | tuple[str, int]:
    form = ActivateForm()
    if not form.validate_on_submit():
        return render_template("activate.html", form=form), (400 if form.is_submitted() else 200)
    reviewer = g.reviewer
    try:
        keypair, signing = activate(
            db_session(),
            reviewer=reviewer,
            new_passphrase=form.passphrase.data or "",
            kdf=_config().kdf,
            signing=session_signing_key(g.session_row, token=g.session_token),
        )
    except PassphraseRejected as rejected:
        return render_template("activate.html", form=form, problem=_POLICY_MESSAGES[rejected.reason]), 400
    end_all_sessions(db_session(), reviewer_id=reviewer.id)
    session.clear()
    session["sid"] = open_session(db_session(), reviewer=reviewer, keypair=keypair, signing=signing, purpose="enrol")
    return redirect(url_for("auth.enrol"))


@bp.route("/enrol", endpoint="enrol", methods=["GET", "POST"])
def enrol_totp() -> Response | str | tuple[str, int]:
    reviewer = g.reviewer
    if reviewer.totp_enabled:
        # Never show an enrolled secret again: a stolen session must not yield the second factor.
        return redirect(url_for("cases.case_list"))
    form = CodeForm()
    secret = enrolment_secret(reviewer=reviewer, server_secret=_server_secret())
    if secret is None or (request.method == "GET" and not reviewer.totp_enabled and request.args.get("new")):
        secret = start_enrolment(reviewer=reviewer, server_secret=_server_secret())
    if form.validate_on_submit():
        codes = finish_enrolment(
            db_session(), reviewer=reviewer, code=form.code.data or "", server_secret=_server_secret()
        )
        if codes is not None:
            anchors.check_at_login(db_session(), signer_id=reviewer.id, signing_key=_bound_signing_key())
            _switch("full", stepped_up=True)
            _regrant()
            return render_template("backup_codes.html", codes=codes)
        form.code.errors = [_("That code does not match. Check the time on your phone and try the newest code.")]
    details = enrolment_details(reviewer=reviewer, secret=secret)
    # Generated here from our own URI (no user input), so it may be inserted as markup.
    svg = segno.make(details.uri, error="m").svg_inline(scale=5, dark="#000000", light="#ffffff")
    # Our own SVG of our own URI: no user input reaches it.
    qr_svg = Markup(svg)  # noqa: S704  # nosec B704
    status = 400 if form.is_submitted() else 200
    return render_template("enrol.html", form=form, qr_svg=qr_svg, secret=details.secret_text), status


@bp.route("/step-up", endpoint="step_up", methods=["GET", "POST"])
def step_up() -> Response | str | tuple[str, int]:
    """Re-enter a TOTP code before an admin action (valid for 5 minutes)."""
    form = CodeForm()
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        target = url_for("cases.case_list")
    if not form.validate_on_submit():
        return render_template("step_up.html", form=form), (400 if form.is_submitted() else 200)
    keep_on_error()
    try:
        reserve_attempt(db_session(), reviewer=g.reviewer)
    except AccountLocked as locked:
        return render_template("step_up.html", form=form, failed=_locked_message(locked)), 429
    if not check_code(reviewer=g.reviewer, code=form.code.data or "", server_secret=_server_secret()):
        failed = _("That code is not valid (or was already used).")
        return render_template("step_up.html", form=form, failed=failed), 401
    clear_failures(g.reviewer)
    mark_stepped_up(g.session_row)
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        audit.record(db_session(), action="logout", actor_id=g.reviewer.id)
        end_session(db_session(), token=g.session_token)
        session.clear()
        flash(_("You are logged out."))
    return redirect(url_for("auth.login"))
