"""Login (passphrase, then TOTP), first-login activation, TOTP enrolment, step-up, logout.

Each step's session can reach only that step (review/__init__.py); every step
up to a full session issues a new session token, so no token ever gains rights.
"""

from urllib.parse import urlparse

import segno
from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response

from cases.platform.config import Config
from cases.team import login as steps
from cases.team.account_recovery import request_recovery
from cases.team.errors import AccountLocked, LoginFailed, NotActivated, PassphraseRejected
from cases.web.app import db_session, keep_on_error
from cases.web.ratelimit import spend, spend_globally

from .forms import ActivateForm, ChangePassphraseForm, CodeForm, ForgotForm, LoginForm, LogoutForm

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


def _enter(step: steps.Step) -> None:
    """The cookie carries the new step's token only (a fresh session id at every step: no fixation);
    a full login from a browser not yet trusted also sets the trusted-device cookie."""
    session.clear()
    session["sid"] = step.token
    if step.device_token:
        after_this_request(lambda response: _set_device_cookie(response, step.device_token))


def _device_cookie_name() -> str:
    return "__Host-kanal_device" if _config().secure_cookies else "kanal_device"


def _device_token() -> str:
    """The trusted-device cookie (cases.team.trusted_devices); kept apart from the session cookie,
    which every login step clears."""
    return request.cookies.get(_device_cookie_name(), "")


def _set_device_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        _device_cookie_name(),
        token,
        max_age=_config().trusted_device_days * 86400,
        path="/",
        secure=_config().secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    return response


_NEXT = {"activation": "auth.activate", "second_factor": "auth.code", "enrol": "auth.enrol", "full": "cases.case_list"}


def _locked_message(error: AccountLocked) -> str:
    return str(
        _(
            "Too many attempts. This account accepts the next attempt after %(time)s.",
            time=format_time(error.until, "HH:mm:ss"),
        )
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), (400 if form.is_submitted() else 200)
    # Well-formed attempts only: a reviewer's trusted device has a bucket of its own, so a flood of
    # guesses filling the global one cannot lock the team out either.
    device = steps.login_bucket(db_session(), username=form.username.data or "", device_token=_device_token())
    if device is None:
        spend_globally("login-all", "limit_login_global")
    else:
        spend("login-device", limit=_config().limit_login_device, key=device)
    keep_on_error()  # failed attempts and their audit events must be kept
    try:
        step = steps.start(
            db_session(),
            username=form.username.data or "",
            passphrase=form.passphrase.data or "",
            kdf=_config().kdf,
            server_secret=_server_secret(),
            device_token=_device_token(),
        )
    except AccountLocked as locked:
        return render_template("login.html", form=form, failed=_locked_message(locked)), 429
    except LoginFailed:
        failed = _("That name and passphrase do not match an account.")
        return render_template("login.html", form=form, failed=failed), 401
    _enter(step)
    return redirect(url_for(_NEXT[step.purpose]))


@bp.route("/login/code", endpoint="code", methods=["GET", "POST"])
def second_factor() -> Response | str | tuple[str, int]:
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("code.html", form=form), (400 if form.is_submitted() else 200)
    keep_on_error()
    try:
        step = steps.second_factor(
            db_session(),
            actor=g.actor,
            code=form.code.data or "",
            server_secret=_server_secret(),
            device_token=_device_token(),
            device_days=_config().trusted_device_days,
        )
    except AccountLocked as locked:
        return render_template("code.html", form=form, failed=_locked_message(locked)), 429
    except LoginFailed:
        return render_template("code.html", form=form, failed=_("That code is not valid (or was already used).")), 401
    _enter(step)
    return redirect(url_for(_NEXT[step.purpose]))


@bp.route("/activate", endpoint="activate", methods=["GET", "POST"])
def activate_account() -> Response | str | tuple[str, int]:
    form = ActivateForm()
    if not form.validate_on_submit():
        return render_template("activate.html", form=form), (400 if form.is_submitted() else 200)
    try:
        step = steps.activation(
            db_session(),
            actor=g.actor,
            new_passphrase=form.passphrase.data or "",
            kdf=_config().kdf,
            server_secret=_server_secret(),
        )
    except PassphraseRejected as rejected:
        return render_template("activate.html", form=form, problem=_POLICY_MESSAGES[rejected.reason]), 400
    _enter(step)
    return redirect(url_for(_NEXT[step.purpose]))


@bp.route("/enrol", endpoint="enrol", methods=["GET", "POST"])
def enrol_totp() -> Response | str | tuple[str, int]:
    details = steps.enrolment_page(actor=g.actor, server_secret=_server_secret())
    if details is None:  # enrolled already: the secret is never shown again
        return redirect(url_for("cases.case_list"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            step = steps.enrolment(
                db_session(),
                actor=g.actor,
                code=form.code.data or "",
                server_secret=_server_secret(),
                device_days=_config().trusted_device_days,
            )
        except LoginFailed:
            step = None
        if step is not None:
            _enter(step)
            return render_template("backup_codes.html", codes=step.backup_codes)
        form.code.errors = [_("That code does not match. Check the time on your phone and try the newest code.")]
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
        steps.step_up(
            db_session(),
            actor=g.actor,
            code=form.code.data or "",
            server_secret=_server_secret(),
            device_token=_device_token(),
        )
    except AccountLocked as locked:
        return render_template("step_up.html", form=form, failed=_locked_message(locked)), 429
    except LoginFailed:
        failed = _("That code is not valid (or was already used).")
        return render_template("step_up.html", form=form, failed=failed), 401
    return redirect(target)


@bp.route("/login/forgot", endpoint="forgot", methods=["GET", "POST"])
def forgot_passphrase() -> str | tuple[str, int]:
    """ "Lupa frasa sandi?": the request is recorded and the account waits for recovery; the answer is
    the same whether or not the name is an account (cases.team.account_recovery)."""
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("forgot.html", form=form), (400 if form.is_submitted() else 200)
    spend_globally("login-all", "limit_login_global")  # the login's budget: no flood of requests either
    request_recovery(db_session(), username=form.username.data or "")
    return render_template("forgot.html", form=None, requested=True)


@bp.route("/me/passphrase", endpoint="change_passphrase", methods=["GET", "POST"])
def change_passphrase() -> Response | str | tuple[str, int]:
    """One's own passphrase, changed: the same keys re-wrapped, every other session ended."""
    form = ChangePassphraseForm()
    if not form.validate_on_submit():
        return render_template("change_passphrase.html", form=form), (400 if form.is_submitted() else 200)
    problem = None
    status = 400
    try:
        step = steps.change_passphrase(
            db_session(),
            actor=g.actor,
            old_passphrase=form.current.data or "",
            new_passphrase=form.passphrase.data or "",
            code=form.code.data or "",
            kdf=_config().kdf,
            server_secret=_server_secret(),
            device_days=_config().trusted_device_days,
        )
    except PassphraseRejected as rejected:
        problem = _POLICY_MESSAGES[rejected.reason]
    except NotActivated:
        problem = _("This session holds no keys: sign in again first.")
    except AccountLocked as locked:
        keep_on_error()  # the count that locked it stays
        problem, status = _locked_message(locked), 429
    except LoginFailed:
        keep_on_error()  # a wrong passphrase or code counts like a failed login, and is audited
        problem, status = _("The current passphrase or the code is not right. Nothing was changed."), 401
    else:
        _enter(step)
        flash(_("Your passphrase is changed. Your other sessions have ended."))
        return redirect(url_for("admin.team_page"))
    return render_template("change_passphrase.html", form=form, problem=problem), status


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        steps.logout(db_session(), actor=g.actor)
        session.clear()
        flash(_("You are logged out."))
    return redirect(url_for("auth.login"))
