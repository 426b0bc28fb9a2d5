"""Login, first-login activation, logout."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.accounts import activate, authenticate
from cases.config import Config
from cases.custody import end_all_sessions, end_session, open_session
from cases.errors import LoginFailed, PassphraseRejected
from cases.web import db_session

from .forms import ActivateForm, LoginForm, LogoutForm

bp = Blueprint("auth", __name__)

_POLICY_MESSAGES = {
    "too_short": _l("Use at least 15 characters."),
    "too_long": _l("Use at most 1,024 characters."),
    "too_guessable": _l("That passphrase is too easy to guess. Try a few unrelated words."),
}


def _config() -> Config:
    config: Config = current_app.extensions["kanal.config"]
    return config


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), (400 if form.is_submitted() else 200)
    try:
        outcome = authenticate(
            db_session(), username=form.username.data or "", passphrase=form.passphrase.data or "", kdf=_config().kdf
        )
    except LoginFailed:
        return render_template("login.html", form=form, failed=True), 401
    session.clear()  # a fresh session id at every login: no fixation
    purpose = "activation" if outcome.needs_activation else "full"
    session["sid"] = open_session(db_session(), reviewer=outcome.reviewer, keypair=outcome.keypair, purpose=purpose)
    return redirect(url_for("auth.activate" if outcome.needs_activation else "cases.case_list"))


@bp.route("/activate", endpoint="activate", methods=["GET", "POST"])
def activate_account() -> Response | str | tuple[str, int]:
    form = ActivateForm()
    if g.session_row.purpose != "activation":
        return redirect(url_for("cases.case_list"))
    if not form.validate_on_submit():
        return render_template("activate.html", form=form), (400 if form.is_submitted() else 200)
    reviewer = g.reviewer
    try:
        keypair = activate(db_session(), reviewer=reviewer, new_passphrase=form.passphrase.data or "",
                           kdf=_config().kdf)
    except PassphraseRejected as rejected:
        return render_template("activate.html", form=form, problem=_POLICY_MESSAGES[rejected.reason]), 400
    end_all_sessions(db_session(), reviewer_id=reviewer.id)
    session.clear()
    session["sid"] = open_session(db_session(), reviewer=reviewer, keypair=keypair)
    flash(_("Your passphrase is set and your encryption keys are ready."))
    return redirect(url_for("cases.case_list"))


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        end_session(db_session(), token=g.session_token)
        session.clear()
    return redirect(url_for("auth.login"))
