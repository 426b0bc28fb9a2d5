"""A reporter checks their case with the receipt (POST only: never in a URL)."""

from flask import Blueprint, current_app, render_template

from cases.config import Config
from cases.errors import ReceiptNotRecognised
from cases.reporter_status import open_status
from cases.web import db_session

from .forms import StatusForm

bp = Blueprint("status", __name__)


@bp.route("/status", methods=["GET", "POST"])
def check_status() -> tuple[str, int] | str:
    form = StatusForm()
    if not form.validate_on_submit():
        return render_template("status.html", form=form), (400 if form.is_submitted() else 200)
    config: Config = current_app.extensions["kanal.config"]
    try:
        view = open_status(db_session(), receipt_text=form.receipt.data or "", receipt_key=config.receipt_key_bytes)
    except ReceiptNotRecognised:
        view = None
    form.receipt.data = ""  # never echo the receipt back into the page
    return render_template("status.html", form=StatusForm(formdata=None), view=view, checked=True)
