"""Form fields that read text only, for both apps.

Flask-WTF merges file parts into the form data, so a file sent under a text
field's name (a scanner, a forged multipart form) would reach the validators as
a FileStorage and crash them (TypeError → 500). These fields treat it as empty.
(NUL characters are dropped from every form value before this: cases.web.NulFreeRequest.)
"""

from typing import Any

from wtforms import Field, PasswordField, StringField, TextAreaField


class _TextOnly(Field):
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata([value for value in valuelist if isinstance(value, str)])


class TextField(_TextOnly, StringField):
    pass


class LongTextField(_TextOnly, TextAreaField):
    pass


class SecretField(_TextOnly, PasswordField):
    pass
