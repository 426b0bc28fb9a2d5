"""Errors raised by this room; views map them to messages."""

from cases.errors import DomainError


class BackupRefused(DomainError):
    """Not a SQLite database, or the target already exists."""
