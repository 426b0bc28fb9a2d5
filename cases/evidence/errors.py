"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class FileRefused(DomainError):
    """A file was not accepted; `reason` is "too_large", "type", "empty", "case_full", "too_many"
    or "busy" (the hourly total for everyone is used up)."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(reason)
        self.filename = filename
        self.reason = reason
