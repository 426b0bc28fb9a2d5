"""What the installation trusts that the database cannot change (DESIGN.md §4, docs/INSTALL.md).

Two things live outside the database, in the configuration kept with the other
secrets:

- the *roots of trust* of the team roster: the signing-key fingerprints of the
  founding key holders and the fingerprint of the organisation recovery key;
- the *audit key*, which keys the audit chain and the anchor file, so a
  database writer can neither recompute the chain nor forge an anchor.

Both reach the domain code through the session factory (`session.info`), so
every operation that seals a key or records an event finds them without a
view handing secrets down.
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crypto.signing import normalise_fingerprint


class RootsError(ValueError):
    """The roots text is malformed; the message says which line."""


class TrustNotConfigured(RuntimeError):
    """A session was made without the installation's trust (a programming error)."""


@dataclass(frozen=True)
class Roots:
    founders: frozenset[str] = frozenset()
    recovery: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> "Roots":
        """Lines `founder <fingerprint>` and `recovery <fingerprint>`; `#` starts a comment."""
        founders: set[str] = set()
        recovery: set[str] = set()
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            kind, _, value = line.partition(" ")
            try:
                fingerprint = normalise_fingerprint(value)
            except ValueError:
                raise RootsError(f"line {number}: a fingerprint is 64 hex digits") from None
            if kind == "founder":
                founders.add(fingerprint)
            elif kind == "recovery":
                recovery.add(fingerprint)
            else:
                raise RootsError(f"line {number}: expected 'founder' or 'recovery', not {kind!r}")
        return cls(frozenset(founders), frozenset(recovery))

    def text(self) -> str:
        lines = [f"founder {fp}" for fp in sorted(self.founders)]
        lines += [f"recovery {fp}" for fp in sorted(self.recovery)]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Trust:
    """The audit key and the roots of trust. Roots come from configuration text
    (KANAL_ROSTER_ROOTS) and/or a roots file, which is re-read when it changes,
    so a ceremony that adds a founder needs no restart."""

    audit_key: bytes
    roots_text: str = ""
    roots_file: Path | None = None
    anchor_path: Path | None = None
    # Per process: the parsed roots file and the verified roster per head (cases.team.roster).
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def roots(self) -> Roots:
        roots = Roots.parse(self.roots_text)
        if self.roots_file is None:
            return roots
        try:
            stat = self.roots_file.stat()
        except FileNotFoundError:
            return roots
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self.cache.get("roots_file")
        if cached is None or cached[0] != stamp:
            cached = (stamp, Roots.parse(self.roots_file.read_text(encoding="utf-8")))
            self.cache["roots_file"] = cached
        from_file: Roots = cached[1]
        return Roots(roots.founders | from_file.founders, roots.recovery | from_file.recovery)

    def add_roots(self, *, founders: Iterable[str] = (), recovery: Iterable[str] = ()) -> bool:
        """Append fingerprints to the roots file (the installation ceremony). False when roots
        come only from the environment: the operator must add them there."""
        if self.roots_file is None:
            return False
        current = self.roots()
        lines = [f"founder {fp}" for fp in founders if fp not in current.founders]
        lines += [f"recovery {fp}" for fp in recovery if fp not in current.recovery]
        if lines:
            self.roots_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.roots_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
        return True

    def __repr__(self) -> str:  # the audit key never reaches a log or a traceback
        return f"Trust(roots_file={str(self.roots_file)!r})"


def trust_of(session: Session) -> Trust:
    trust = session.info.get("trust")
    if not isinstance(trust, Trust):
        raise TrustNotConfigured("this session was made without the installation's trust (make_session_factory)")
    return trust
