"""Errors raised by this room; views map them to messages."""

from datetime import datetime

from cases.errors import DomainError


class LoginFailed(DomainError):
    """Wrong name or passphrase (never says which)."""


class PassphraseRejected(DomainError):
    """A new passphrase does not meet the policy; `reason` is a message id."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AccountExists(DomainError):
    """A reviewer with that name already exists."""


class NotAKeyHolder(DomainError):
    """The signed roster does not show this account as a key holder allowed to do that."""


class InvalidEmail(DomainError):
    """Not a plausible e-mail address."""


class RecoveryMismatch(DomainError):
    """The secret given does not belong to any installed recovery key."""


class ApprovalRefused(DomainError):
    """`reason`: "self", "creator", "not_holder", "not_active", "already", "not_created", "changed" or "code"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RemovalRefused(DomainError):
    """`reason`: "own" (nobody removes their own), "same" (the proposer cannot confirm),
    "not_holder", "none" (no such affiliation) or "stale" (it changed since it was proposed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AccountLocked(DomainError):
    """Too many failed attempts; `until` says when the next one is accepted."""

    def __init__(self, until: datetime) -> None:
        super().__init__("locked")
        self.until = until


class NotActivated(DomainError):
    """The account has no keys yet: its holder has not activated it."""


class CodeRejected(DomainError):
    """A second-factor code (authenticator or backup) that is not valid, or was already used."""


class RecoverySecretUnreadable(DomainError):
    """What was typed does not rebuild a recovery master secret (too few shares, or mistyped)."""


class AccountActionRefused(DomainError):
    """An admin action on a colleague's account (issue 19: second factor reset, passphrase reset,
    re-enable) that is not allowed. `reason`: "self" (nobody does it to their own account),
    "not_holder" (only a key-holding admin in the signed roster), "step_up" (a fresh code first)
    or "state" (not for an account in that state)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
