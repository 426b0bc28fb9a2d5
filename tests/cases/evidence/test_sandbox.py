"""cases.evidence.sandbox: the cleaners' child is confined, killed on its limits, and replaced."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cases.evidence import sandbox
from cases.evidence.sandbox import SandboxPool
from cases.evidence.sandbox_limits import SandboxLimits
from cases.evidence.sniff import sniff
from tests.cases.evidence import hostile

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def big_png() -> bytes:
    """An honest 25 Mpx photo of noise (under the pixel cap): seconds of CPU and ~250 MB to clean."""
    return hostile.noise_png()


def _clean_with(limits: SandboxLimits, data: bytes) -> tuple[str, str, bool, SandboxPool]:
    pool = SandboxPool(limits)
    kind = sniff(data[:4096], data)
    assert kind is not None
    try:
        result = pool.clean(data, kind)
    finally:
        pool.close()
    return result.outcome, result.refusal, result.data == data, pool


def test_wall_time_deadline_kills_the_child_and_keeps_the_file(big_png: bytes) -> None:
    outcome, refusal, kept, _ = _clean_with(SandboxLimits(wall_seconds=0.3, cpu_seconds=60), big_png)
    assert (outcome, refusal, kept) == ("not_cleaned", "wall", True)


def test_cpu_limit_stops_the_child_and_keeps_the_file(big_png: bytes) -> None:
    outcome, refusal, kept, _ = _clean_with(SandboxLimits(cpu_seconds=1, wall_seconds=120), big_png)
    assert (outcome, refusal, kept) == ("not_cleaned", "cpu", True)


def test_memory_limit_stops_the_decoder_and_keeps_the_file(big_png: bytes) -> None:
    outcome, refusal, kept, _ = _clean_with(SandboxLimits(memory_mb=200, wall_seconds=120), big_png)
    assert (outcome, refusal, kept) == ("not_cleaned", "memory", True)


def test_a_killed_child_is_replaced_and_the_next_file_is_cleaned(big_png: bytes) -> None:
    pool = SandboxPool(SandboxLimits(wall_seconds=0.3, cpu_seconds=60))
    photo = hostile.ordinary("jpg")
    try:
        assert pool.clean(big_png, sniff(big_png[:4096], big_png)).refusal == "wall"  # type: ignore[arg-type]
        assert pool.clean(photo, sniff(photo[:4096], photo)).outcome == "cleaned"  # type: ignore[arg-type]
    finally:
        pool.close()
    assert pool.started == 2


def test_no_child_is_started_for_text_or_formats_without_a_cleaner() -> None:
    limits = SandboxLimits(jobs_per_child=7)  # a pool of its own
    text = b"Teks biasa."
    mp3 = b"ID3\x04" + bytes(20)
    for data in (text, mp3):
        kind = sniff(data[:4096], data)
        assert kind is not None
        assert sandbox.clean(data, kind, limits=limits).data == data
    assert sandbox.pool(limits).started == 0


def _child_facts(pool: SandboxPool) -> dict[str, object]:
    child = pool._idle[0]  # noqa: SLF001 - looking at the running child from outside
    pid = child.pid
    proc = Path(f"/proc/{pid}")
    limits = {line[:26].strip(): line[26:].split()[:2] for line in (proc / "limits").read_text().splitlines()[1:]}
    return {
        "environ": (proc / "environ").read_bytes(),
        "fds": sorted(os.readlink(fd) for fd in (proc / "fd").iterdir()),
        "limits": limits,
        "held": child.held,
    }


def test_the_child_has_no_environment_no_files_and_hard_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a worker whose environment holds a secret
    monkeypatch.setenv("KANAL_RECEIPT_KEY", "rahasia-kanari")
    pool = SandboxPool(SandboxLimits(memory_mb=700, cpu_seconds=5, jobs_per_child=4))
    photo = hostile.ordinary("png")
    try:
        assert pool.clean(photo, sniff(photo[:4096], photo)).outcome == "cleaned"  # type: ignore[arg-type]
        facts = _child_facts(pool)
    finally:
        pool.close()
    # then the child inherited no environment (no secrets) and holds two pipes, /dev/null and its
    # own /proc status files only, with no room for another descriptor
    assert facts["environ"] == b""
    fds = facts["fds"]
    assert isinstance(fds, list)
    assert [fd.split("/")[-1].split(":")[0] for fd in fds] == ["null", "clear_refs", "status", "pipe", "pipe"]
    limits = facts["limits"]
    assert isinstance(limits, dict)
    assert limits["Max open files"] == ["0", "0"]
    assert limits["Max file size"] == ["0", "0"]
    assert limits["Max core file size"] == ["0", "0"]
    assert limits["Max processes"] == ["0", "0"]
    assert limits["Max address space"] == [str(700 * 1024 * 1024)] * 2
    assert int(limits["Max cpu time"][1]) <= 5 * 4 + 5  # the child's lifetime allowance


CONFINED = textwrap.dedent(
    """
    import json, os, socket, sys
    from cases.evidence.sandbox_child import confine
    report = os.dup(1)
    held = confine(memory_bytes=512 * 1024 * 1024, cpu_seconds=5)
    tried = {}
    for name, attempt in {
        "read_file": lambda: open("/etc/hostname", "rb").read(),
        "write_file": lambda: open("/tmp/kanal-sandbox-probe", "wb"),
        "socket": lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
        "unix_socket": lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
        "huge_allocation": lambda: bytearray(600 * 1024 * 1024),
        # a compromised decoder frees a descriptor number first: still nothing can be opened
        "read_file_after_a_close": lambda: (os.close(0), open("/etc/hostname", "rb").read()),
        "socket_after_a_close": lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
    }.items():
        try:
            attempt()
            tried[name] = "allowed"
        except (OSError, MemoryError) as error:
            tried[name] = type(error).__name__
    os.write(report, json.dumps({"held": held, "tried": tried}).encode())
    """
)


def test_confinement_refuses_files_sockets_and_memory() -> None:
    Path("/tmp/kanal-sandbox-probe").unlink(missing_ok=True)  # noqa: S108 - the probe's target
    # given a process that confines itself exactly as the child does (stdin, stdout and a
    # report descriptor open: the child itself has three, which leaves it none to open)
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed code
        [sys.executable, "-c", CONFINED],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    report = json.loads(result.stdout)
    # then it can open no file (not even to read), no socket of any kind, and cannot allocate past its limit
    assert report["tried"] == {
        "read_file": "OSError",
        "write_file": "OSError",
        "socket": "OSError",
        "unix_socket": "OSError",
        "huge_allocation": "MemoryError",
        "read_file_after_a_close": "OSError",
        "socket_after_a_close": "OSError",
    }
    assert not Path("/tmp/kanal-sandbox-probe").exists()  # noqa: S108 - the probe's target


def test_a_forked_process_gets_its_own_pool_and_leaves_the_parents_child_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limits = SandboxLimits(jobs_per_child=9)
    photo = hostile.ordinary("gif")
    kind = sniff(photo[:4096], photo)
    assert kind is not None
    assert sandbox.clean(photo, kind, limits=limits).outcome == "cleaned"
    parents = sandbox.pool(limits)
    child = parents._idle[0]  # noqa: SLF001
    # when this process looks like a forked one (gunicorn forks workers after importing the app)
    monkeypatch.setattr(sandbox, "_pools_pid", -1)
    mine = sandbox.pool(limits)
    # then it starts its own children; the parent's child is not killed (only our pipe copies closed)
    assert mine is not parents and mine.started == 0
    assert child.poll() is None
    child.kill()


def test_an_answer_larger_than_a_cleaned_file_can_be_is_refused_and_the_file_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a child whose answer is larger than the worker accepts (a compromised decoder could send
    # up to its memory limit): here the margin is made negative so an honest answer is "too large"
    photo = hostile.ordinary("jpg")
    kind = sniff(photo[:4096], photo)
    assert kind is not None
    monkeypatch.setattr(sandbox, "_ANSWER_MARGIN", -2 * len(photo))
    result = sandbox.clean(photo, kind, limits=SandboxLimits(jobs_per_child=3))
    # then the file is kept exactly as sent, not cleaned, and the child is gone
    assert result.outcome == "not_cleaned" and result.data == photo
