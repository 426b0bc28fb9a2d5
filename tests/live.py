"""Live servers for end-to-end tests: both apps under gunicorn on loopback,
with a throw-away data directory, exactly as `make run` starts them."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGENT = "KanariBrowser/9.9 (unique-agent-31337)"


def wait_until_serving(base: str, path: str = "/static/portal.css", seconds: float = 60) -> None:
    """Until a just-started server answers (any status); RuntimeError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + path, timeout=1)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {base}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + path, headers={"User-Agent": AGENT, "Referer": self.base + "/"})
        with self.opener.open(request) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"User-Agent": AGENT, "Referer": self.base + path}
        )
        with self.opener.open(request) as response:
            return str(response.read().decode())

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.get(path))
        assert match, path
        return match.group(1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path, Path]]:
    """One pair of servers per test module (starting them takes a few seconds)."""
    tmp_path = tmp_path_factory.mktemp("live")
    data_dir, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "KANAL_DATA_DIR": str(data_dir),
        "KANAL_KDF_MEMORY_KIB": "1024",
        "KANAL_KDF_ITERATIONS": "1",
        "KANAL_KDF_LANES": "1",
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    setup = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (logs / "setup.txt").write_text(setup.stdout)
    processes, bases = [], []
    for app in ("portal", "review"):
        port = free_port()
        log = (logs / f"{app}.log").open("w")
        processes.append(
            (
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        "gunicorn.conf.py",
                        "--workers",
                        "2",
                        "--bind",
                        f"127.0.0.1:{port}",
                        f"wsgi:{app}",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                ),
                log,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        wait_until_serving(base)
    try:
        yield bases[0], bases[1], data_dir, tmp_path
    finally:
        for process, log in processes:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def one_time_passphrase(root: Path) -> str:
    match = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", (root / "logs" / "setup.txt").read_text())
    assert match
    return match.group(1)
