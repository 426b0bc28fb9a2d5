"""Metadata cleaners run in confined child processes, never in the portal's worker.

A small pool of children (cases/evidence/sandbox_child.py) is started lazily in each
worker process, on its first file (never in gunicorn's master), each with Pillow and
pikepdf already imported, and reused for `jobs_per_child` files. A file travels to the
child over a pipe and its cleaned version comes back over a pipe: nothing touches the disk.

The child's limits (address space, CPU seconds, no files, no sockets, no processes) are
set by the child itself before it reads its first file; the wall-time deadline is
enforced here: a child that has not answered in time is killed. A child that is killed,
crashes, runs out of memory or breaks the protocol is replaced, and its file is kept as
sent, marked not cleaned (`Scrubbed.refusal` says why), exactly like a format we cannot
clean: the reporter's text and file are never lost.

Protects against: decompression bombs and decoder bugs in Pillow, qpdf and zlib taking the
worker's memory, time or keys. Does not protect against: a child that is compromised by one
file and then tampers with a later file it is given to clean (`jobs_per_child` bounds that).
"""

import atexit
import json
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path

from cases.evidence.sandbox_child import frame
from cases.evidence.sandbox_limits import SandboxLimits
from cases.evidence.scrub import Scrubbed
from cases.evidence.sniff import FileKind

_ROOT = Path(__file__).resolve().parents[2]
_HEADER_SIZE = 12
# The child's first words: find this checkout's `cases` (argv[1]) and serve (argv[2]).
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from cases.evidence.sandbox_child import main; main()"
_START_SECONDS = 30.0  # a cold start on a loaded machine


_ANSWER_MARGIN = 1024 * 1024  # what a cleaned file may exceed twice its original by


class _ChildFailed(Exception):
    def __init__(self, refusal: str) -> None:
        super().__init__(refusal)
        self.refusal = refusal


class _Child:
    """One child, started with posix_spawn: no shell, no fork of the worker's memory, and no
    descriptor but its two pipes and /dev/null (the worker's own are close-on-exec, and the
    child closes any other before it reads a file)."""

    def __init__(self, limits: SandboxLimits) -> None:
        argument = {
            "memory_bytes": limits.memory_mb * 1024 * 1024,
            "cpu_seconds": limits.cpu_seconds,
            "max_pixels": limits.max_pixels,
            "jobs": limits.jobs_per_child,
        }
        child_in, self._in = os.pipe()
        self._out, child_out = os.pipe()
        try:
            self.pid = os.posix_spawn(
                sys.executable,
                [sys.executable, "-E", "-s", "-c", _BOOT, str(_ROOT), json.dumps(argument)],
                {},  # no secrets in the child's environment
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, child_in, 0),
                    (os.POSIX_SPAWN_DUP2, child_out, 1),
                    # a traceback could quote a file's bytes
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
            )
        except OSError:
            os.close(self._in)
            os.close(self._out)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self.returncode: int | None = None
        self.jobs = 0
        self.limits = limits
        self.answer_limit = limits.memory_mb * 1024 * 1024
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self.held: dict[str, object] = {}

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.returncode

    def started(self) -> None:
        meta, _ = self._receive(time.monotonic() + _START_SECONDS)
        if meta.get("ready") is not True:
            raise _ChildFailed("crashed")
        self.held = meta

    def run(self, data: bytes, kind: FileKind, until: float | None = None) -> tuple[dict[str, object], bytes]:
        self.jobs += 1
        # A cleaned file is never much larger than the file sent: a (compromised) child may not
        # answer more than twice it, plus a MiB, which the worker would otherwise have to hold.
        self.answer_limit = 2 * len(data) + _ANSWER_MARGIN
        deadline = time.monotonic() + self.limits.wall_seconds
        if until is not None:
            deadline = min(deadline, until)  # the request's cleaning budget ends first
        self._send(frame({"mime": kind.mime, "cleaner": kind.cleaner}, data), deadline)
        return self._receive(deadline)

    def _send(self, payload: bytes, deadline: float) -> None:
        view = memoryview(payload)
        while view:
            self._wait(self._in, deadline, writing=True)
            try:
                view = view[os.write(self._in, view) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise _ChildFailed(self._death()) from None

    def _receive(self, deadline: float) -> tuple[dict[str, object], bytes]:
        head = self._read(_HEADER_SIZE, deadline)
        json_size, data_size = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
        if json_size > 4096 or data_size > self.answer_limit:
            raise _ChildFailed("crashed")
        meta = json.loads(self._read(json_size, deadline))
        if not isinstance(meta, dict):
            raise _ChildFailed("crashed")
        return meta, self._read(data_size, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        parts, left = [], size
        while left:
            self._wait(self._out, deadline, writing=False)
            try:
                part = os.read(self._out, min(left, 1 << 20))
            except BlockingIOError:
                continue
            if not part:
                raise _ChildFailed(self._death())
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _wait(self, fd: int, deadline: float, *, writing: bool) -> None:
        # poll, not select: a worker may hold descriptors above FD_SETSIZE.
        poller = select.poll()
        poller.register(fd, select.POLLOUT if writing else select.POLLIN)
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            self.kill()
            raise _ChildFailed("wall")

    def _death(self) -> str:
        """Why the child stopped answering."""
        code = self.wait(5)
        if code is None:
            self.kill()
            return "crashed"
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            # SIGKILL: the kernel's hard CPU limit (ours is the wall deadline, which says "wall").
            return "cpu"
        return "crashed"  # a segfault, an abort (qpdf out of memory) or an uncaught MemoryError

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        self.close()

    def retire(self) -> None:
        self.close()  # end of input: the child's loop ends
        if self.wait(5) is None:
            self.kill()

    def close(self) -> None:
        for fd in (self._in, self._out):
            if fd >= 0:
                os.close(fd)
        self._in = self._out = -1


class SandboxPool:
    """Children for one process; safe to share between threads (one child per file at a time)."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self.started = 0  # children started, for tests and the bench
        self.peak_mb = 0  # the last child's peak memory, for tests and the bench

    def _take(self) -> _Child:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        child = _Child(self.limits)
        self.started += 1
        try:
            child.started()
        except BaseException:  # not only _ChildFailed: a garbled greeting must not leak the child
            child.kill()
            raise
        return child

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if child.jobs < self.limits.jobs_per_child and len(self._idle) < self.limits.pool_size:
                self._idle.append(child)
                return
        child.retire()

    def clean(self, data: bytes, kind: FileKind, until: float | None = None) -> Scrubbed:
        if until is not None and until - time.monotonic() < 1.0:
            return Scrubbed(data, "not_cleaned", "too_complex", "wall")  # the request's budget is spent
        try:
            child = self._take()
        except (OSError, _ChildFailed):
            return Scrubbed(data, "not_cleaned", "too_complex", "unavailable")
        try:
            meta, cleaned = child.run(data, kind, until)
        except _ChildFailed as failed:
            child.kill()
            return Scrubbed(data, "not_cleaned", "too_complex", failed.refusal)
        except (OSError, ValueError):  # a garbled answer (JSON) or a broken pipe
            child.kill()
            return Scrubbed(data, "not_cleaned", "too_complex", "crashed")
        outcome, caveat, refusal = meta.get("outcome"), str(meta.get("caveat", "")), str(meta.get("refusal", ""))
        self.peak_mb = int(str(meta.get("peak_mb", 0)))
        if meta.get("retire") is True:
            child.retire()
        else:
            self._give_back(child)
        if outcome == "cleaned":
            return Scrubbed(cleaned, "cleaned", caveat)
        if outcome == "no_metadata":
            return Scrubbed(data, "no_metadata", caveat)
        return Scrubbed(data, "not_cleaned", caveat or "damaged", refusal)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.retire()


_pools: dict[SandboxLimits, SandboxPool] = {}
_pools_pid = os.getpid()
_pools_lock = threading.Lock()
_abandoned: list[_Child] = []


def pool(limits: SandboxLimits) -> SandboxPool:
    """This process's pool for `limits`; a forked process starts its own (never the parent's children)."""
    global _pools_pid
    with _pools_lock:
        if _pools_pid != os.getpid():
            # Inherited through fork: those children answer to the parent. Forget them (closing
            # our copies of their pipes), so the parent's child still sees its end of input.
            for inherited in _pools.values():
                for child in inherited._idle:  # noqa: SLF001 - the pool's own module
                    child.close()
                    _abandoned.append(child)  # never waited for here: the parent reaps it
            _pools.clear()
            _pools_pid = os.getpid()
        if limits not in _pools:
            _pools[limits] = SandboxPool(limits)
        return _pools[limits]


def clean(data: bytes, kind: FileKind, *, limits: SandboxLimits, until: float | None = None) -> Scrubbed:
    """Clean `data` in a confined child; the original, marked not cleaned, if that fails or the
    request's cleaning budget (`until`, a time.monotonic() deadline) is spent."""
    if kind.mime == "text/plain":
        return Scrubbed(data, "no_metadata")
    if kind.cleaner is None:
        return Scrubbed(data, "not_cleaned", "unsupported")
    return pool(limits).clean(data, kind, until)


@atexit.register
def _close_pools() -> None:
    if _pools_pid == os.getpid():
        for each in list(_pools.values()):
            each.close()
