"""Review app forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from cases.accounts import MAX_PASSPHRASE_CHARS, MIN_PASSPHRASE_CHARS


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    passphrase = PasswordField(_l("Passphrase"), validators=[DataRequired(), Length(max=MAX_PASSPHRASE_CHARS)])


class ActivateForm(FlaskForm):
    passphrase = PasswordField(_l("New passphrase"), validators=[
        DataRequired(), Length(min=MIN_PASSPHRASE_CHARS, max=MAX_PASSPHRASE_CHARS,
                               message=_l("Use between 15 and 1,024 characters."))])
    confirm = PasswordField(_l("Repeat the new passphrase"), validators=[
        DataRequired(), EqualTo("passphrase", message=_l("The two passphrases differ."))])


class LogoutForm(FlaskForm):
    """Empty: logout is a POST with a CSRF token."""


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply to the reporter"), validators=[
        DataRequired(message=_l("Write a reply first.")),
        Length(max=20000, message=_l("Please keep this under 20,000 characters."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app (or a backup code)"),
                       validators=[DataRequired(message=_l("Enter the code.")), Length(max=20)])
