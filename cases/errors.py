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


class ItemTampered(DomainError):
    """An item failed its integrity check: its ciphertext, or a column bound to it (author, kind,
    key kind, seq, the attachment pointing at it), was changed in the database. `seq` is the
    number the row claims."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"item {seq} failed its integrity check")
        self.seq = seq
