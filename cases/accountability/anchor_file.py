"""The anchor file: the newest heads someone saw, kept outside the database.

A database writer can rewrite every row, anchors included, but not this file
(KANAL_ANCHOR_FILE, next to the other secrets' files, writable only by the
apps' user), and cannot forge one: its contents carry an HMAC under the audit
key. It holds the heads (newest audit event id and hash, roster head), where
the login sweep goes on next, and what the last login check found.

Writes take an exclusive lock on a sibling `.lock` file, so two workers never
interleave, and replace the file atomically (temporary file, fsync,
os.replace, mode 0600). Heads only move forward: an update with an older head
keeps the newer one (`advance`); only an operator's `audit accept-restore`
replaces a newer head with an older one (`replace`).
"""

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from crypto.derive import encode_fields

_LABEL = b"kanal-integritas/v1/anchor-file"
_FORMAT = 1


class AnchorFileInvalid(ValueError):
    """The file is there but unreadable, malformed, or its MAC does not verify."""


@dataclass(frozen=True)
class Heads:
    """The newest audit event (id 0 and 32 zero bytes when empty) and the roster head (the same when empty)."""

    event_id: int
    event_hash: bytes
    roster_seq: int
    roster_hash: bytes

    def encode(self) -> bytes:
        """What an anchor signature covers."""
        return encode_fields(
            b"kanal-integritas/v1/anchor",
            str(self.event_id).encode(),
            self.event_hash,
            str(self.roster_seq).encode(),
            self.roster_hash,
        )

    def describe(self) -> str:
        return (
            f"event {self.event_id} ({self.event_hash.hex()[:16]}...), "
            f"roster entry {self.roster_seq} ({self.roster_hash.hex()[:16]}...)"
        )

    def newest(self, other: "Heads") -> "Heads":
        """Each head moved forward as far as either goes; a tie keeps ours (a different hash at the
        same id is for verification to report, not for a writer to settle)."""
        event = (
            (other.event_id, other.event_hash) if other.event_id > self.event_id else (self.event_id, self.event_hash)
        )
        roster = (
            (other.roster_seq, other.roster_hash)
            if other.roster_seq > self.roster_seq
            else (self.roster_seq, self.roster_hash)
        )
        return Heads(event[0], event[1], roster[0], roster[1])


EMPTY = Heads(0, bytes(32), 0, bytes(32))


@dataclass(frozen=True)
class AnchorState:
    heads: Heads
    # The login sweep re-verifies the chain a slice at a time; this is where the next slice starts.
    sweep_from: int = 0
    # What the last login check found; empty when it was clean.
    problems: tuple[str, ...] = ()


def _mac(key: bytes, body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, _LABEL + encode_fields(canonical), hashlib.sha256).hexdigest()


def _body(state: AnchorState) -> dict[str, object]:
    return {
        "format": _FORMAT,
        "event_id": state.heads.event_id,
        "event_hash": state.heads.event_hash.hex(),
        "roster_seq": state.heads.roster_seq,
        "roster_hash": state.heads.roster_hash.hex(),
        "sweep_from": state.sweep_from,
        "problems": list(state.problems),
    }


def _parse(key: bytes, text: str) -> AnchorState:
    try:
        document = json.loads(text)
        mac = document.pop("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, document)):
            raise AnchorFileInvalid("its MAC does not verify (edited, or written under another audit key)")
        if document["format"] != _FORMAT:
            raise AnchorFileInvalid(f"unknown format {document['format']!r}")
        heads = Heads(
            int(document["event_id"]),
            bytes.fromhex(document["event_hash"]),
            int(document["roster_seq"]),
            bytes.fromhex(document["roster_hash"]),
        )
        return AnchorState(heads, int(document["sweep_from"]), tuple(str(p) for p in document["problems"]))
    except AnchorFileInvalid:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AnchorFileInvalid("it is not a well-formed anchor file") from None


def read(path: Path, key: bytes) -> AnchorState | None:
    """The verified state, or None when there is no file yet; AnchorFileInvalid otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        raise AnchorFileInvalid("it cannot be read") from None
    return _parse(key, text)


def stamp(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is replaced (for caches)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write(path: Path, key: bytes, state: AnchorState) -> None:
    body = _body(state)
    body["mac"] = _mac(key, body)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, sort_keys=True, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def update(path: Path, key: bytes, change: Callable[[AnchorState | None], AnchorState | None]) -> bool:
    """Under the lock: read the current state, let `change` compute the next one, write it.

    A file that does not verify is never overwritten here (it is evidence, and
    verification reports it); `change` returning None leaves the file as it is.
    False when nothing was written."""
    with _locked(path):
        try:
            current = read(path, key)
        except AnchorFileInvalid:
            return False
        new = change(current)
        if new is None or new == current:
            return False
        _write(path, key, new)
        return True


def advance(
    path: Path, key: bytes, heads: Heads, *, sweep_from: int | None = None, problems: tuple[str, ...] | None = None
) -> bool:
    """Move the heads forward (never back), and set the sweep position and verdict when given."""

    def change(current: AnchorState | None) -> AnchorState:
        base = current or AnchorState(EMPTY)
        return replace(
            base,
            heads=base.heads.newest(heads),
            sweep_from=base.sweep_from if sweep_from is None else sweep_from,
            problems=base.problems if problems is None else problems,
        )

    return update(path, key, change)


def set_problems(path: Path, key: bytes, problems: tuple[str, ...]) -> bool:
    """Record what a check found, leaving the heads where they are."""
    return update(path, key, lambda current: replace(current or AnchorState(EMPTY), problems=problems))


def replace_state(path: Path, key: bytes, state: AnchorState) -> None:
    """Overwrite whatever is there, an unverifiable or newer file included (`audit accept-restore`)."""
    with _locked(path):
        _write(path, key, state)
