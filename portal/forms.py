"""Portal forms: the 5W2H report and the receipt check (Flask-WTF, CSRF on)."""

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, MultipleFileField, SelectField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from cases.identity.content import LIMITS as IDENTITY_LIMITS
from cases.identity.content import IdentityContent
from cases.reporting.report_content import FIELD_LIMITS
from cases.reporting.report_forms import new_form_token
from cases.web.textfields import LongTextField, TextField

_RUPIAH = re.compile(r"^(rp\.?)?\s*[0-9][0-9.,\s]{0,24}$", re.IGNORECASE)


def parse_rupiah(text: str) -> int | None:
    """'Rp 1.500.000' -> 1500000. Decimal cents are not used in Indonesia; separators are ignored."""
    text = text.strip()
    if not text:
        return None
    if not _RUPIAH.match(text):
        raise ValueError(text)
    digits = re.sub(r"[^0-9]", "", text)
    if not digits or len(digits) > 16:
        raise ValueError(text)
    return int(digits)


def _rupiah(_form: FlaskForm, field: Field) -> None:
    try:
        parse_rupiah(field.data or "")
    except ValueError:
        raise ValidationError(_l("Write the amount in rupiah using digits only, for example 1.500.000.")) from None


class MaxChars(Length):
    """A length limit that the page states next to the field (`flags.maxchars`) and the server
    enforces with a message, keeping the text. Not an HTML `maxlength`: a browser would cut a
    pasted report silently."""

    def __init__(self, limit: int) -> None:
        super().__init__(max=limit, message=_l("This is %(length)d characters; please keep it under %(max)d."))
        self.field_flags = {"maxchars": limit}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(self.message % {"length": length, "max": self.max})


def _max(name: str) -> MaxChars:
    return MaxChars(FIELD_LIMITS[name])


def _choice(value: object) -> int | None:
    """A select's value: None for the empty "— choose —" option (refused with the field's message)."""
    if value in (None, ""):
        return None
    return int(str(value))


class IdentityFields(FlaskForm):
    """The optional "Identitas (rahasia)" section (issue 20): sealed to custodians, never to the
    reviewers of the report (cases.identity.keeping)."""

    identity_name = TextField(_l("Full name"), validators=[Optional(), MaxChars(IDENTITY_LIMITS["name"])])
    identity_nip = TextField(
        _l("NIP (civil servant number)"), validators=[Optional(), MaxChars(IDENTITY_LIMITS["nip"])]
    )
    identity_unit = TextField(_l("Your unit and position"), validators=[Optional(), MaxChars(IDENTITY_LIMITS["unit"])])
    identity_contact = TextField(_l("Phone or e-mail"), validators=[Optional(), MaxChars(IDENTITY_LIMITS["contact"])])
    identity_protection = BooleanField(_l("I ask for protection as a reporter (for example through LPSK)."))

    def identity(self) -> IdentityContent:
        return IdentityContent(
            name=(self.identity_name.data or "").strip(),
            nip=(self.identity_nip.data or "").strip(),
            unit=(self.identity_unit.data or "").strip(),
            contact=(self.identity_contact.data or "").strip(),
        )

    def gives_identity(self) -> bool:
        return not self.identity().empty or bool(self.identity_protection.data)


class IdentityForm(IdentityFields):
    """Giving an identity later, from the reporter's page."""

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators=extra_validators):
            return False
        if not self.gives_identity():
            self.identity_name.errors = [str(_l("Fill in at least one field, or ask for protection."))]
            return False
        return True


class WithdrawIdentityForm(FlaskForm):
    understood = BooleanField(
        _l("I understand that my identity will be deleted and cannot be recovered by anyone."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


def _receipt_length(_form: FlaskForm, field: Field) -> None:
    """Like the status form's limit, without a `maxlength` that would cut a pasted text silently."""
    if len(field.data or "") > 64:
        raise ValidationError(_l("That is too long to be a receipt code."))


class _CategoryUnlessRetaliation:
    """A category is required, unless an earlier receipt makes this a retaliation report (which has
    its own category)."""

    field_flags = {"required": True}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data is None and not (form.earlier_receipt.data or "").strip():
            raise StopValidation(_l("Choose a category."))


class ReportForm(IdentityFields):
    # Both start on an empty "— choose —" option (portal/report.py): nothing is preselected.
    category = SelectField(_l("What kind of wrongdoing?"), coerce=_choice, validators=[_CategoryUnlessRetaliation()])
    opd = SelectField(
        _l("Which unit (OPD) is it about?"),
        coerce=_choice,
        validators=[DataRequired(message=_l("Choose the unit concerned."))],
    )
    # One-time token of this form (cases.reporting.report_forms): sent twice, it makes one case.
    form_token = HiddenField(default=new_form_token)
    what = LongTextField(
        _l("What happened?"),
        validators=[
            DataRequired(message=_l("Please describe what happened.")),
            Length(min=20, message=_l("Please describe what happened in at least 20 characters.")),
            _max("what"),
        ],
    )
    who = LongTextField(_l("Who is involved? (name / position)"), validators=[Optional(), _max("who")])
    when = TextField(_l("When did it happen?"), validators=[Optional(), _max("when")])
    where = TextField(_l("Where did it happen?"), validators=[Optional(), _max("where")])
    how = LongTextField(_l("How was it done?"), validators=[Optional(), _max("how")])
    amount = TextField(_l("How much money is involved? (rupiah)"), validators=[Optional(), _rupiah])
    contact = LongTextField(_l("Contact details (optional)"), validators=[Optional(), _max("contact")])
    evidence = MultipleFileField(_l("Evidence files (optional)"))
    # Issue 20, point 4: with the receipt of an earlier report, this one is a retaliation report linked
    # to it (cases.reporting.retaliation). Checked like the status check; never stored.
    earlier_receipt = TextField(
        _l("Receipt code of your earlier report (if this is a retaliation report)"),
        render_kw={"autocapitalize": "off", "spellcheck": "false"},
        validators=[Optional(), _receipt_length],
    )
    # Honeypot: hidden from people (CSS, aria-hidden, no tab stop); form-filling bots fill it.
    # A filled one is refused with a visible message, never dropped silently.
    homepage = TextField(
        _l("Leave this field empty"), validators=[Length(max=0, message=_l("Please leave the last field empty."))]
    )


class RetaliationForm(IdentityFields):
    """A retaliation report from the reporter's page: what happened, when, by whom (issue 20, point 4)."""

    opd = SelectField(
        _l("Which unit (OPD) did it come from?"),
        coerce=_choice,
        validators=[DataRequired(message=_l("Choose the unit concerned."))],
    )
    form_token = HiddenField(default=new_form_token)  # one case per form, as on the report form
    what = LongTextField(
        _l("What was done to you?"),
        validators=[
            DataRequired(message=_l("Please describe what happened.")),
            Length(min=20, message=_l("Please describe what happened in at least 20 characters.")),
            _max("what"),
        ],
    )
    when = TextField(_l("When did it happen?"), validators=[Optional(), _max("when")])
    who = LongTextField(_l("Who did it? (name / position)"), validators=[Optional(), _max("who")])
    evidence = MultipleFileField(_l("Evidence files (optional)"))


class StatusForm(FlaskForm):
    receipt = TextField(
        _l("Your receipt code"),
        render_kw={"autocapitalize": "off", "spellcheck": "false"},
        validators=[
            DataRequired(message=_l("Enter your receipt code.")),
            Length(max=64, message=_l("That is too long to be a receipt code.")),
        ],
    )


class ReplyForm(FlaskForm):
    text = LongTextField(
        _l("Your message or additional information"),
        validators=[Optional(), MaxChars(20000)],
    )
    evidence = MultipleFileField(_l("Add evidence files (optional)"))


class ForgetForm(FlaskForm):
    """Empty: ending a visit is a POST with a CSRF token."""
