"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class CaseClosed(DomainError):
    """The case is concluded; the reporter can read but no longer add."""


class EmptyMessage(DomainError):
    """Nothing to send: no text and no file."""


class ReceiptNotRecognised(DomainError):
    """The receipt matches no case (or is malformed)."""


class UnknownChoice(DomainError):
    """A category or OPD that does not exist or is retired."""


class RecoveryKeyMissing(DomainError):
    """No organisation recovery key: a case sealed now could be lost forever."""


class ReporterSessionGone(DomainError):
    """Expired, forgotten, or never existed: enter the receipt again."""


class FormAlreadySent(DomainError):
    """This report form was sent before (cases.reporting.report_forms): it makes no second case."""


class KeptFilesGone(DomainError):
    """A file kept for a corrected report form was purged or does not open: it must be chosen again."""
