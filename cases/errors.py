"""Domain errors raised by `cases` operations; views map them to messages."""


class DomainError(Exception):
    """Base class: an operation refused what it was asked to do."""


class CaseNotFound(DomainError):
    """No such case, or the caller holds no key for it (indistinguishable on purpose)."""


class ReceiptNotRecognised(DomainError):
    """The receipt matches no case (or is malformed)."""


class UnknownChoice(DomainError):
    """A category or OPD that does not exist or is retired."""


class RecoveryKeyMissing(DomainError):
    """No organisation recovery key: a case sealed now could be lost forever."""


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
