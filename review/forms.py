"""Review app forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from cases.team.accounts import MAX_PASSPHRASE_CHARS, MIN_PASSPHRASE_CHARS
from cases.web.textfields import LongTextField, SecretField, TextField


class LoginForm(FlaskForm):
    username = TextField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    passphrase = SecretField(_l("Passphrase"), validators=[DataRequired(), Length(max=MAX_PASSPHRASE_CHARS)])


class ActivateForm(FlaskForm):
    passphrase = SecretField(
        _l("New passphrase"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSPHRASE_CHARS, max=MAX_PASSPHRASE_CHARS, message=_l("Use between 15 and 1,024 characters.")
            ),
        ],
    )
    confirm = SecretField(
        _l("Repeat the new passphrase"),
        validators=[DataRequired(), EqualTo("passphrase", message=_l("The two passphrases differ."))],
    )


class ChangePassphraseForm(FlaskForm):
    """One's own passphrase, changed (issue 19): the current one, the new one twice (the rules of
    activation), and a fresh code."""

    current = SecretField(_l("Current passphrase"), validators=[DataRequired(), Length(max=MAX_PASSPHRASE_CHARS)])
    passphrase = SecretField(
        _l("New passphrase"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSPHRASE_CHARS, max=MAX_PASSPHRASE_CHARS, message=_l("Use between 15 and 1,024 characters.")
            ),
        ],
    )
    confirm = SecretField(
        _l("Repeat the new passphrase"),
        validators=[DataRequired(), EqualTo("passphrase", message=_l("The two passphrases differ."))],
    )
    code = TextField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=12)])


class ForgotForm(FlaskForm):
    username = TextField(_l("User name"), validators=[DataRequired(), Length(max=80)])


class OpdForm(FlaskForm):
    name = TextField(_l("Name of the unit"), validators=[DataRequired(), Length(max=200)])


class CategoryForm(FlaskForm):
    name_id = TextField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=200)])
    name_en = TextField(_l("Name (English, optional)"), validators=[Optional(), Length(max=200)])


class LogoutForm(FlaskForm):
    """Empty: logout is a POST with a CSRF token."""


class ReplyForm(FlaskForm):
    text = LongTextField(
        _l("Reply to the reporter"),
        validators=[
            DataRequired(message=_l("Write a reply first.")),
            Length(max=20000, message=_l("Please keep this under 20,000 characters.")),
        ],
    )
    # "1" once the reviewer has seen exactly what the reporter will receive (the confirm page, or the
    # inline preview with JavaScript); without it the reply is shown back, never sent.
    confirmed = HiddenField()


class CodeForm(FlaskForm):
    code = TextField(
        _l("Code from your authenticator app (or a backup code)"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=20)],
    )


class ApproveForm(FlaskForm):
    # The fingerprints the approver was shown: the approval signs only these (a key bound in the
    # database between showing the page and approving is refused).
    signing_fp = HiddenField(validators=[DataRequired(), Length(max=80)])
    encryption_fp = HiddenField(validators=[DataRequired(), Length(max=80)])
    confirmed = BooleanField(
        _l(
            "I have read both fingerprints with the new reviewer (in person or by phone) "
            "and they match what their screen shows."
        ),
        validators=[DataRequired()],
    )
    code = TextField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=12)])


class StatusForm(FlaskForm):
    new_status = SelectField(_l("New status"), validators=[DataRequired()])
    reason = LongTextField(_l("Reason (internal, for the team)"), validators=[Length(max=20000)])
    outcome = LongTextField(_l("Outcome for the reporter (they will read this)"), validators=[Length(max=20000)])


class NoteForm(FlaskForm):
    text = LongTextField(
        _l("Internal note (never shown to the reporter)"),
        validators=[DataRequired(message=_l("Write a note first.")), Length(max=20000)],
    )


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assigned to"))


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"))


class LabelForm(FlaskForm):
    label = TextField(_l("Add a label"), validators=[DataRequired(), Length(max=40)])


class DuplicateForm(FlaskForm):
    original = TextField(_l("Duplicate of case (id)"), validators=[Length(max=32)])


class CreateReviewerForm(FlaskForm):
    username = TextField(
        _l("User name"),
        validators=[
            DataRequired(),
            Length(min=2, max=40),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message=_l("Use letters, digits, dots, dashes or underscores, starting with a letter or digit."),
            ),
        ],
    )
    display_name = TextField(_l("Full name"), validators=[Length(max=200)])
    is_admin = BooleanField(_l("Administrator"))
    is_reviewer = BooleanField(_l("Reviewer (reads cases)"), default=True)
    email = TextField(_l("E-mail for notifications (optional)"), validators=[Optional(), Length(max=254)])


class EmailForm(FlaskForm):
    """Where "there is new activity" mails go; empty turns them off."""

    email = TextField(_l("E-mail for notifications"), validators=[Optional(), Length(max=254)])


def _choice(value: object) -> int | None:
    """A select's value: None for the empty "— choose —" option (refused with the field's message)."""
    if value in (None, ""):
        return None
    return int(str(value))


class AffiliationForm(FlaskForm):
    # Opens on an empty "— choose —" (review/admin.py): a recusal or membership is never one click
    # away from a unit chosen for the admin.
    opd = SelectField(_l("Unit (OPD)"), coerce=_choice, validators=[DataRequired(message=_l("Choose a unit first."))])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("member", _l("works in this unit")),
            SelectChoice("conflict", _l("conflict of interest")),
        ],
    )


class ButtonForm(FlaskForm):
    """A POST with only a CSRF token (approve, disable, remove)."""


class ExportForm(FlaskForm):
    """What goes into a case export. Messages and files are item numbers (`seq`) of the case."""

    reason = LongTextField(
        _l("Reason for this export (recorded in the audit log)"),
        validators=[
            DataRequired(message=_l("Write the reason for this export.")),
            Length(max=300, message=_l("Please keep this under 300 characters.")),
        ],
    )
    include_report = BooleanField(_l("The report"), default=True)
    # Checked against the case by cases.accountability.export (a number that is not one of its items is refused).
    messages = SelectMultipleField(_l("Messages"), coerce=int, validate_choice=False)
    attachments = SelectMultipleField(_l("Evidence files"), coerce=int, validate_choice=False)
    include_history = BooleanField(_l("Status history and outcome"), default=True)
    include_notes = BooleanField(_l("Internal notes and status reasons (team only)"))
    include_contact = BooleanField(_l("Include the reporter's contact details"))
    contact_reason = LongTextField(
        _l("Why the contact details must be included"),
        validators=[Length(max=300, message=_l("Please keep this under 300 characters."))],
    )


class IdentityRequestForm(FlaskForm):
    """A reader asks for a case's identity (issue 20): the reason goes to the custodians."""

    reason = LongTextField(
        _l("Why do you need the reporter's identity?"),
        validators=[DataRequired(message=_l("Write the reason for this decision.")), Length(max=500)],
    )


class IdentityDecisionForm(FlaskForm):
    """A custodian grants or refuses a request, with a reason (sealed to the requester)."""

    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("", "—"),
            SelectChoice("grant", _l("Grant: disclose to the requester, for this case only")),
            SelectChoice("refuse", _l("Refuse")),
        ],
        validators=[DataRequired(message=_l("Choose grant or refuse."))],
    )
    reason = LongTextField(
        _l("Reason (the requester reads it)"),
        validators=[DataRequired(message=_l("Write the reason for this decision.")), Length(max=500)],
    )


class ProtectionStepForm(FlaskForm):
    """One protection step done, with what was done (kept as an internal note)."""

    note = LongTextField(
        _l("What was done"), validators=[DataRequired(message=_l("Write a note first.")), Length(max=2000)]
    )


class RedactionForm(FlaskForm):
    """Phrases (one per line) and files (item numbers) to withhold from the case's exports."""

    phrases = LongTextField(
        _l("Phrases to withhold, one per line (names, places, anything that could identify the reporter)"),
        validators=[Length(max=20000, message=_l("Please keep this under 20,000 characters."))],
    )
    # Keys "field:n" of the report's paragraphs, checked by cases.accountability.redaction.
    paragraphs = SelectMultipleField(_l("Paragraphs of the report to withhold whole"), validate_choice=False)
    # Checked against the case by cases.accountability.redaction (a number that is not one of its files is refused).
    files = SelectMultipleField(_l("Evidence files to withhold"), coerce=int, validate_choice=False)
