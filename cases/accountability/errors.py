"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class ExportRefused(DomainError):
    """`problem` is "reason" (no export reason), "contact_reason" (contact
    details asked for without a reason), "unknown_item" (a message or file
    that is not part of this case) or "tampered" (a selected part, or the report
    when it or the contact details are asked for, failed its integrity check)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class ExportChanged(DomainError):
    """An evidence file read differently while streaming than when it was hashed."""
