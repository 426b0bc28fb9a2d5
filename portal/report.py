"""The 5W2H report form and the one-time receipt page."""

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError

from cases.evidence.errors import FileRefused
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.errors import RecoveryKeyMissing, UnknownChoice
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.web.app import db_session
from cases.web.ratelimit import configured, limiter, spend_globally

from .forms import ReportForm, parse_rupiah
from .uploads import limits, prepare_uploads, refusal_message

bp = Blueprint("report", __name__)


def _with_choices(form: ReportForm) -> ReportForm:
    session = db_session()
    english = str(get_locale()) == "en"
    form.category.choices = [(c.id, c.name_en if english else c.name_id) for c in active_categories(session)]
    form.opd.choices = [(o.id, o.name) for o in active_opds(session)]
    return form


@bp.app_errorhandler(CSRFError)
def expired_form(_error: CSRFError) -> tuple[str, int]:
    """An expired or missing CSRF token must not cost a reporter what they wrote."""
    if request.endpoint == "visit.my_report":
        from .visit import kept_reply

        return kept_reply()
    if request.endpoint != "report.new_report":
        return render_template("error.html", code=400), 400
    form = _with_choices(ReportForm(meta={"csrf": True}))
    form.validate()
    return render_template("report.html", form=form, problem="expired"), 400


@bp.app_errorhandler(429)
def too_many(_error: Exception) -> tuple[str, int]:
    """Slow down, without losing what was typed."""
    if request.endpoint == "report.new_report":
        form = _with_choices(ReportForm())
        return render_template("report.html", form=form, problem="busy"), 429
    if request.endpoint == "visit.my_report":
        from .visit import kept_reply

        return kept_reply(busy=True)
    return render_template("error.html", code=429), 429


@bp.route("/lapor", methods=["GET", "POST"])
@limiter.limit(configured("limit_submit"), methods=["POST"], scope="submit-visit")
def new_report() -> tuple[str, int] | str:
    form = _with_choices(ReportForm())
    if not form.validate_on_submit():
        return render_template("report.html", form=form), (400 if form.is_submitted() else 200)
    spend_globally("submit-all", "limit_submit_global")  # well-formed submissions only: junk cannot fill it
    config: Config = current_app.extensions["kanal.config"]
    prepared, file_errors = prepare_uploads(request.files.getlist("evidence"))
    if file_errors:
        return render_template("report.html", form=form, file_errors=file_errors), 400
    content = ReportContent(
        what=form.what.data or "",
        who=form.who.data or "",
        when=form.when.data or "",
        where=form.where.data or "",
        how=form.how.data or "",
        amount_rupiah=parse_rupiah(form.amount.data or ""),
        contact=form.contact.data or "",
    )
    try:
        submitted = submit_report(
            db_session(),
            category_id=form.category.data,
            opd_id=form.opd.data,
            content=content,
            receipt_key=config.receipt_key_bytes,
            first_response_hours=config.first_response_hours,
            files=prepared,
            limits=limits(),
        )
    except FileRefused as refused:
        return render_template("report.html", form=form, file_errors=[refusal_message(refused)]), 400
    except UnknownChoice:
        return render_template("report.html", form=form, problem="choice"), 400
    except RecoveryKeyMissing:
        current_app.logger.error("submission refused: no recovery key is installed")
        return render_template("report.html", form=form, problem="unavailable"), 503
    # Rendered directly from the POST: the receipt never appears in a URL or redirect.
    return render_template("receipt.html", receipt=submitted.receipt, files=submitted.files)
