"""A reporter enters the receipt (POST only: never in a URL) to open their case."""

import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from cases.platform.config import Config
from cases.reporting.errors import ReceiptNotRecognised
from cases.reporting.visits import start_reporter_session
from cases.web.app import db_session
from cases.web.ratelimit import configured, limiter, spend_globally

from .forms import StatusForm
from .fresh_pages import keepable, served

bp = Blueprint("status", __name__)


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(configured("limit_status"), methods=["POST"], scope="status-visit")
def check_status() -> Response | tuple[str, int] | str:
    if keepable():  # the empty form: kept per process, this request's CSRF token filled in
        key = ("status", str(get_locale()), request.path)
        return served(key, lambda: render_template("status.html", form=StatusForm()), {"csrf": generate_csrf()})
    form = StatusForm()
    if not form.validate_on_submit():
        return render_template("status.html", form=form), (400 if form.is_submitted() else 200)
    # Every well-formed check counts for everyone, whatever cookie it came with: dropping the cookie
    # resets only the per-visit count, so this ceiling is what bounds receipt guessing. Junk
    # (no valid CSRF token, malformed) never reaches it, so it cannot crowd out a genuine reporter.
    spend_globally("status-all", "limit_status_global")
    config: Config = current_app.extensions["kanal.config"]
    try:
        token = start_reporter_session(
            db_session(), receipt_text=form.receipt.data or "", receipt_key=config.receipt_key_bytes
        )
    except ReceiptNotRecognised:
        # Same page, same status code; the receipt is never echoed back.
        return render_template("status.html", form=StatusForm(formdata=None), not_recognised=True)
    session["visit"] = token
    session["visit_at"] = int(time.time())  # signed, in the reporter's own cookie only
    return redirect(url_for("visit.my_report"))
