"""The 5W2H report form and the one-time receipt page."""

from collections.abc import Sequence

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from cases.evidence.errors import FileRefused
from cases.evidence.store import AttachmentInfo, PreparedFile
from cases.models import Case
from cases.platform.config import Config
from cases.platform.seed import ChoiceLists, choice_lists
from cases.reporting.errors import (
    FormAlreadySent,
    KeptFilesGone,
    ReceiptNotRecognised,
    RecoveryKeyMissing,
    UnknownChoice,
)
from cases.reporting.report_content import ReportContent
from cases.reporting.report_forms import (
    SentBefore,
    claim_form,
    forget_kept_files,
    is_form_token,
    keep_files,
    kept_files,
    kept_for_sending,
    new_form_token,
    purge_stale_forms_hourly,
    remove_kept_files,
    seal_receipt,
    sent_before,
)
from cases.reporting.retaliation import earlier_report, report_retaliation
from cases.reporting.submission import submit_report
from cases.web.app import db_session, keep_on_error
from cases.web.ratelimit import configured, limiter, spend_globally

from .forms import ReportForm, parse_rupiah
from .fresh_pages import keepable, plain_request, served
from .uploads import limits, prepare_uploads, refusal_message

bp = Blueprint("report", __name__)


def _with_choices(form: ReportForm, lists: ChoiceLists | None = None) -> ReportForm:
    """The lists, each opening on an empty "— choose —": no answer is given for the reporter."""
    lists = lists or choice_lists(db_session())  # kept per process while the lists do not change
    english = str(get_locale()) == "en"
    empty = ("", _("— choose —"))
    form.category.choices = [empty] + [
        (cid, name_en if english else name_id) for cid, name_id, name_en in lists.categories
    ]
    form.opd.choices = [empty] + list(lists.opds)
    return form


def _chosen_files() -> bool:
    return any(storage.filename for storage in request.files.getlist("evidence"))


def _form_page(form: ReportForm, status: int, **context: object) -> tuple[str, int]:
    """The form again, with the files kept for it named (a new form has none). An earlier receipt is
    never shown back (a saved or shared page would hold a working receipt, review finding): the field
    comes back empty, asking for it again."""
    if form.is_submitted() and (form.earlier_receipt.data or "").strip():
        form.earlier_receipt.data = ""
        form.earlier_receipt.errors = [
            *form.earlier_receipt.errors,
            _("For your safety the code is not shown again: type it again if you still want to cite it."),
        ]
    token = form.form_token.data
    kept = kept_files(db_session(), token) if form.is_submitted() and is_form_token(token) else []
    return render_template("report.html", form=form, kept=kept, **context), status


def sent_again(again: SentBefore) -> tuple[str, int]:
    """The same form sent again (a refresh of the receipt page): its receipt page, never a second case."""
    if again.receipt is None:
        return render_template("received.html"), 200
    return receipt_page(again.receipt, again.files), 200


def receipt_page(receipt: str, files: Sequence[AttachmentInfo], *, retaliation: bool = False) -> str:
    """The receipt page. Without files it is the same page for everyone in a language but for the
    receipt and the CSRF token: kept per process like the fresh forms (portal/fresh_pages.py), the
    receipt replaced by a marker, so the kept copy never holds one (issue 21)."""

    def render() -> str:
        return render_template("receipt.html", receipt=receipt, files=files, retaliation=retaliation)

    if files or not plain_request():
        return render()
    key = ("receipt", str(get_locale()), request.path, "retaliation" if retaliation else "report")
    return served(key, render, {"receipt": receipt, "csrf": generate_csrf()})


def _keep_chosen(form: ReportForm, prepared: list[PreparedFile] | None = None) -> list[str]:
    """Keep the files chosen in this POST for the corrected form (kept even though the response is an
    error); the messages for those refused or not kept."""
    errors: list[str] = []
    if prepared is None:
        prepared, errors = prepare_uploads(request.files.getlist("evidence"))
    if prepared:
        not_kept = keep_files(db_session(), form.form_token.data, prepared, limits=limits())
        errors += [str(_("“%(name)s” could not be kept: choose it again.", name=name[:80])) for name in not_kept]
        keep_on_error()
    return errors


@bp.app_errorhandler(CSRFError)
def expired_form(_error: CSRFError) -> tuple[str, int]:
    """An expired or missing CSRF token must not cost a reporter what they wrote."""
    if request.endpoint in ("visit.my_report", "visit.give_identity_later"):
        from .visit import kept_reply

        return kept_reply()
    if request.endpoint == "retaliation.retaliation_report":
        from .retaliation import kept_retaliation

        return kept_retaliation("expired", 400)
    if request.endpoint != "report.new_report":
        return render_template("error.html", code=400), 400
    form = _with_choices(ReportForm(meta={"csrf": True}))
    form.validate()
    lost = [str(_("The files you chose could not be kept: choose them again."))] if _chosen_files() else []
    return _form_page(form, 400, problem="expired", file_errors=lost)


@bp.app_errorhandler(429)
def too_many(_error: Exception) -> tuple[str, int]:
    """Slow down, without losing what was typed."""
    if request.endpoint == "report.new_report":
        form = _with_choices(ReportForm())
        lost = [str(_("The files you chose could not be kept: choose them again."))] if _chosen_files() else []
        return _form_page(form, 429, problem="busy", file_errors=lost)
    if request.endpoint in ("visit.my_report", "visit.give_identity_later"):
        from .visit import kept_reply

        return kept_reply(busy=True)
    if request.endpoint == "retaliation.retaliation_report":
        from .retaliation import kept_retaliation

        return kept_retaliation("busy", 429)
    return render_template("error.html", code=429), 429


def _fresh_form() -> str:
    """A new, empty report form: kept per process once rendered, with this request's CSRF token and
    one-time form token filled in (portal/fresh_pages.py)."""
    lists = choice_lists(db_session())
    csrf, token = generate_csrf(), new_form_token()

    def render() -> str:
        form = _with_choices(ReportForm(), lists)
        form.form_token.data = token
        return _form_page(form, 200)[0]

    if not lists.token:
        return render()
    key = ("report", str(get_locale()), lists.token, request.path)
    return served(key, render, {"csrf": csrf, "form": token})


@bp.route("/lapor", methods=["GET", "POST"])
@limiter.limit(configured("limit_submit"), methods=["POST"], scope="submit-visit")
def new_report() -> tuple[str, int]:
    if keepable():
        return _fresh_form(), 200
    session = db_session()
    lists = choice_lists(session)  # read once: the form's choices and the submission's check (issue 21)
    form = _with_choices(ReportForm(), lists)
    if not form.is_submitted():
        return _form_page(form, 200)
    token = form.form_token.data
    if not is_form_token(token):
        form.form_token.data = token = new_form_token()
    else:
        again = sent_before(session, token)
        if again is not None:
            return sent_again(again)
        remove_kept_files(session, token, request.form.getlist("remove_kept"))
    if not form.validate():
        if _chosen_files():
            # Cleaning and keeping files is work: it is counted like a well-formed report, so that
            # invalid forms with files cannot run the cleaners past the global budget (review).
            spend_globally("submit-all", "limit_submit_global")
        return _form_page(form, 400, file_errors=_keep_chosen(form))
    spend_globally("submit-all", "limit_submit_global")  # well-formed submissions only: junk cannot fill it
    config: Config = current_app.extensions["kanal.config"]
    prepared, file_errors = prepare_uploads(request.files.getlist("evidence"))
    if file_errors:
        return _form_page(form, 400, file_errors=file_errors + _keep_chosen(form, prepared))
    original: Case | None = None
    if (form.earlier_receipt.data or "").strip():
        # A receipt check like the status page's: it counts in the same global ceiling on guesses.
        spend_globally("status-all", "limit_status_global")
        try:
            original = earlier_report(
                session, receipt_text=form.earlier_receipt.data or "", receipt_key=config.receipt_key_bytes
            )
        except ReceiptNotRecognised:
            form.earlier_receipt.errors = [str(_("This receipt code was not recognised."))]
            return _form_page(form, 400, problem="earlier_receipt", file_errors=_keep_chosen(form, prepared))
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
        with session.begin_nested():  # a refusal below takes the claim and the half-made case back
            claimed = claim_form(session, token)
            kept = kept_for_sending(session, token)
            identity = form.identity() if form.gives_identity() else None
            protection = bool(form.identity_protection.data)
            if original is not None:
                submitted = report_retaliation(
                    session,
                    original=original,
                    opd_id=form.opd.data,
                    content=content,
                    receipt_key=config.receipt_key_bytes,
                    first_response_hours=config.first_response_hours,
                    files=[*kept, *prepared],
                    limits=limits(),
                    identity=identity,
                    protection=protection,
                )
            else:
                submitted = submit_report(
                    session,
                    category_id=form.category.data,
                    opd_id=form.opd.data,
                    content=content,
                    receipt_key=config.receipt_key_bytes,
                    first_response_hours=config.first_response_hours,
                    files=[*kept, *prepared],
                    limits=limits(),
                    identity=identity,
                    protection=protection,
                    lists=lists,
                )
            seal_receipt(claimed, token, receipt=submitted.receipt, files=submitted.files)
            if kept:
                forget_kept_files(session, token)
    except FormAlreadySent:  # the same form, posted twice at the same moment: the first one made the case
        return sent_again(sent_before(session, token) or SentBefore(None))
    except FileRefused as refused:
        return _form_page(form, 400, file_errors=[refusal_message(refused)])
    except KeptFilesGone:
        forget_kept_files(session, token)
        keep_on_error()  # the broken kept files are forgotten; nothing else was made
        return _form_page(form, 400, file_errors=[str(_("The files you chose could not be kept: choose them again."))])
    except UnknownChoice:
        return _form_page(form, 400, problem="choice", file_errors=_keep_chosen(form, prepared))
    except RecoveryKeyMissing:
        current_app.logger.error("submission refused: no recovery key is installed")
        return _form_page(form, 503, problem="unavailable", file_errors=_keep_chosen(form, prepared))
    purge_stale_forms_hourly(session)
    # Rendered directly from the POST: the receipt never appears in a URL or redirect.
    return receipt_page(submitted.receipt, submitted.files, retaliation=original is not None), 200
