"""The sandbox's child: cleans files it reads from a pipe, confined, and answers on a pipe.

Started by cases/evidence/sandbox.py (posix_spawn of `python -E -s -c ... ROOT LIMITS`, calling
`main`) with an empty environment (no secrets), stdin and stdout as pipes, stderr to /dev/null
and no other descriptor. It imports Pillow and pikepdf and cleans one tiny sample of every kind (so
every lazy import and plug-in is loaded), then confines itself for good:

- a new user and network namespace where the kernel allows one (no interface but a
  down loopback); where it does not (systemd's RestrictNamespaces=, some containers), the
  descriptor limit below still leaves no room for a socket;
- RLIMIT_NOFILE = 0 (soft and hard): stdin, stdout, stderr and two /proc/self files opened
  for its own memory peak are all it has, and it can open no file and no socket, even after
  closing one of those; RLIMIT_FSIZE = 0: it can write no file; RLIMIT_NPROC = 0: it
  can start no process (not enforced for root); RLIMIT_CORE = 0: a killed child leaves no
  core dump (which would hold a reporter's file); no new privileges; not dumpable;
- RLIMIT_AS (address space) and RLIMIT_CPU (per job: the soft limit is moved to the CPU
  time used so far plus the allowance before each job).

Protects against: a decoder bug or a bomb in Pillow, qpdf or zlib taking the portal's worker
(its memory, its time, its keys) with it. A file's content never leaves the pipes.
"""

import ctypes
import io
import json
import math
import os
import resource
import struct
import sys
import warnings
import zipfile
from collections.abc import Mapping
from typing import cast

from PIL import Image

from cases.evidence.scrub import Scrubbed, scrub
from cases.evidence.sniff import FileKind

_HEADER = struct.Struct(">IQ")  # JSON length, data length
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_SIGKILL = 9


def _read_exact(fd: int, size: int) -> bytes | None:
    # Into one buffer: a file is held once, not twice, in the child's limited memory.
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        count = os.readv(fd, [view[done:]])
        if not count:
            return None
        done += count
    view.release()
    # Every cleaner reads it through BytesIO, zipfile or qpdf, which take a bytearray alike.
    return cast(bytes, buffer)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> tuple[dict[str, object], bytes] | None:
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    json_size, data_size = _HEADER.unpack(head)
    meta = _read_exact(fd, json_size)
    data = _read_exact(fd, data_size)
    if meta is None or data is None:
        return None
    return json.loads(meta), data


def frame(meta: Mapping[str, object], data: bytes) -> bytes:
    encoded = json.dumps(meta).encode()
    return _HEADER.pack(len(encoded), len(data)) + encoded + data


def _samples() -> list[tuple[bytes, FileKind]]:
    """One tiny file of every cleanable kind, to load every plug-in before confinement."""
    samples = []
    for fmt, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")):
        out = io.BytesIO()
        Image.new("RGB", (2, 2)).save(out, fmt)
        samples.append((out.getvalue(), FileKind(mime, "", "image", "")))
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    pdf += b"trailer<</Root 1 0 R/Size 3>>\n%%EOF\n"
    samples.append((pdf, FileKind("application/pdf", "", "pdf", "")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("docProps/core.xml", "<x/>")
    samples.append((out.getvalue(), FileKind("", "", "ooxml", "")))
    samples.append((out.getvalue(), FileKind("", "", "odf", "")))
    return samples


def _prctl(libc: ctypes.CDLL, option: int, value: int) -> None:
    libc.prctl(option, value, 0, 0, 0)


def confine(*, memory_bytes: int, cpu_seconds: int) -> dict[str, bool]:
    """Confine this process for good; what held (the namespace may be refused by the kernel).

    The descriptor limit is 0: no file or socket can be opened afterwards, whatever number it
    would get (a limit just above the highest open descriptor let a compromised decoder close one
    and open a file or socket in its place); those already open stay usable."""
    libc = ctypes.CDLL(None, use_errno=True)
    _prctl(libc, _PR_SET_PDEATHSIG, _SIGKILL)  # the worker dies: so does its child
    _prctl(libc, _PR_SET_NO_NEW_PRIVS, 1)
    _prctl(libc, _PR_SET_DUMPABLE, 0)
    network_namespace = libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    for limit, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_NOFILE, 0),
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds),
    ):
        # prlimit, not setrlimit: systemd's SystemCallFilter=~@resources (our units) forbids
        # the setrlimit system call but allows prlimit64.
        resource.prlimit(0, limit, (value, value))
    return {"network_namespace": network_namespace}


def _cpu_used() -> int:
    """CPU seconds used so far, rounded up (limits are whole seconds)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return math.ceil(usage.ru_utime + usage.ru_stime)


class _Peak:
    """This process's peak resident memory, per job: VmHWM, reset through clear_refs (both opened
    before confinement; ru_maxrss would include the worker's peak, inherited across exec)."""

    def __init__(self) -> None:
        self._status = os.open("/proc/self/status", os.O_RDONLY)
        self._reset = os.open("/proc/self/clear_refs", os.O_WRONLY)

    def reset(self) -> None:
        os.write(self._reset, b"5")

    def bytes(self) -> int:
        for line in os.pread(self._status, 8192, 0).decode().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0


def serve(limits: dict[str, int]) -> None:
    per_job = limits["cpu_seconds"]
    Image.MAX_IMAGE_PIXELS = limits["max_pixels"]
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    for data, kind in _samples():
        scrub(data, kind)
    # The hard CPU limit covers every job this child will ever do; each job gets its share
    # through the soft limit (SIGXCPU ends the child when it is reached).
    total = _cpu_used() + per_job * limits["jobs"] + 1
    peak = _Peak()
    held = confine(memory_bytes=limits["memory_bytes"], cpu_seconds=total)
    _write_all(1, frame({"ready": True, **held}, b""))
    while (job := read_frame(0)) is not None:
        meta, data = job
        resource.prlimit(0, resource.RLIMIT_CPU, (min(_cpu_used() + per_job, total), total))
        kind = FileKind(str(meta["mime"]), "", str(meta["cleaner"]), "")
        peak.reset()
        try:
            result = scrub(data, kind, max_pixels=limits["max_pixels"])
        except MemoryError:
            result = Scrubbed(b"", "not_cleaned", "too_complex", "memory")
        del data
        # qpdf turns a failed allocation into "damaged"; a job that came near the limit (an
        # allocation of the rest failed) tells the truth.
        job_peak = peak.bytes()
        refusal = result.refusal
        if result.outcome == "not_cleaned" and not refusal and job_peak > limits["memory_bytes"] * 0.25:
            refusal = "memory"
        cleaned = result.outcome == "cleaned"
        answer = {
            "outcome": result.outcome,
            "caveat": "too_complex" if refusal else result.caveat,
            "refusal": refusal,
            "peak_mb": job_peak // (1024 * 1024),
            # A child that once held half its limit gives the memory back by being replaced.
            "retire": refusal == "memory" or job_peak > limits["memory_bytes"] // 2,
        }
        try:
            _write_all(1, frame(answer, result.data if cleaned else b""))
        except MemoryError:
            _write_all(1, frame({"outcome": "not_cleaned", "caveat": "too_complex", "refusal": "memory"}, b""))
            return
        if answer["retire"]:
            return


def main() -> None:
    # Nothing but stdin, stdout and stderr: any other descriptor a library left inheritable goes.
    os.closerange(3, 65536)
    serve(json.loads(sys.argv[2]))
