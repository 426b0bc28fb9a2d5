"""Errors of the identity room; views map `reason` to a message."""

from cases.errors import DomainError


class IdentityRefused(DomainError):
    """An identity operation was refused; `reason` says why (a message key of the views):

    no_identity, withdrawn, disclosed, pending, reason_required, not_custodian, self, decided,
    not_reader, unverified, empty, too_long, not_requested, no_key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CustodianRefused(DomainError):
    """Appointing or revoking a custodian was refused: own, same, not_holder, not_admin, subject,
    reviewer, already, none."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
