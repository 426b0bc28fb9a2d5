"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class TransitionNotAllowed(DomainError):
    pass


class ReasonRequired(DomainError):
    """`field` is "reason" (internal) or "outcome" (for the reporter)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class InvalidChoice(DomainError):
    pass
