"""Domain errors raised by `cases` operations; views map them to messages."""


class DomainError(Exception):
    """Base class: an operation refused what it was asked to do."""


class CaseNotFound(DomainError):
    """No such case, or the caller holds no key for it (indistinguishable on purpose)."""


class ItemTampered(DomainError):
    """An item failed its integrity check: its ciphertext, or a column bound to it (author, kind,
    key kind, seq, the attachment pointing at it), was changed in the database. `seq` is the
    number the row claims."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"item {seq} failed its integrity check")
        self.seq = seq
