"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class ExportRefused(DomainError):
    """`problem` is "reason" (no export reason), "contact_reason" (contact
    details asked for without a reason), "unknown_item" (a message or file
    that is not part of this case), "tampered" (a selected part, or the report
    when it or the contact details are asked for, failed its integrity check) or
    "redaction_tampered" (a redaction of the case failed its checks, so what to
    withhold is unknown)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class ExportChanged(DomainError):
    """An evidence file read differently while streaming than when it was hashed."""


class RedactionRefused(DomainError):
    """`problem` is "empty" (no phrase and no file), "phrase" (a phrase too short, too long, or found
    in the mark "[disamarkan]" itself), "too_many" (more phrases than one redaction holds),
    "unknown_item" (a file, or a redaction to lift, that is not part of this case), "lifted"
    (already lifted), "own" (a reviewer may not lift their own redaction) or "tampered"."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class RedactionTampered(DomainError):
    """A redaction or lift of the case failed its integrity check, or one the audit log records is
    missing or names another author: an export would not know what to withhold, so it is refused."""

    def __init__(self, seq: int) -> None:
        super().__init__(seq)
        self.seq = seq
