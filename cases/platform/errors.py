"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class BackupRefused(DomainError):
    """Not a SQLite database, or the target already exists."""


class ListEditRefused(DomainError):
    """An edit of the category or OPD list that is not allowed. `reason`: "not_admin", "step_up"
    (a fresh code first), "unknown" (no such entry), "exists" (that name is taken), "empty" (a name
    is needed), "protected" (the "don't know / other" unit stays as it is), "last" (the report
    form needs at least one category) or "affiliated" (a unit someone belongs to or is recused from
    is neither renamed nor retired: cases.platform.reference_lists)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
