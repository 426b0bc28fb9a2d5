"""A whole reporter + reviewer scenario under gunicorn, as production runs it:
no canary text, user agent, client address or receipt in any log line, database
file or temporary file afterwards."""

import base64
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto.totp import current_code

ROOT = Path(__file__).resolve().parent.parent
CANARY = "KANARI-GUNICORN-5c1e"
AGENT = "KanariBrowser/9.9 (unique-agent-31337)"
PASSPHRASE = "kopi tubruk di pasar johar pagi hari"


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
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"User-Agent": AGENT, "Referer": self.base + path})
        with self.opener.open(request) as response:
            return str(response.read().decode())

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.get(path))
        assert match, path
        return match.group(1)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[str, str, Path, Path]]:
    data_dir, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "KANAL_DATA_DIR": str(data_dir), "KANAL_KDF_MEMORY_KIB": "1024",
           "KANAL_KDF_ITERATIONS": "1", "KANAL_KDF_LANES": "1", "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    setup = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
                           cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120)
    (logs / "setup.txt").write_text(setup.stdout)
    processes, bases = [], []
    for app in ("portal", "review"):
        port = free_port()
        log = (logs / f"{app}.log").open("w")
        processes.append((subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", f"wsgi:{app}"], cwd=ROOT, env=env, stdout=log, stderr=log), log))
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/static/portal.css", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
    try:
        yield bases[0], bases[1], data_dir, tmp_path
    finally:
        for process, log in processes:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def test_no_trace_of_the_reporter_anywhere(servers: tuple[str, str, Path, Path]) -> None:
    portal_url, review_url, data_dir, root = servers
    one_time = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", (root / "logs" / "setup.txt").read_text()).group(1)

    # The admin activates and sets up TOTP, as a person would.
    team = Browser(review_url)
    team.post("/login", {"csrf_token": team.csrf("/login"), "username": "admin", "passphrase": one_time})
    team.post("/activate", {"csrf_token": team.csrf("/activate"), "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    secret_text = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', team.get("/enrol")).group(1)
    compact = secret_text.replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    team.post("/enrol", {"csrf_token": team.csrf("/enrol"), "code": current_code(secret, now=time.time())})

    # The reporter reports with a canary everywhere, checks the status and replies.
    reporter = Browser(portal_url)
    form = reporter.get("/lapor")
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1),
        "category": re.search(r'name="category".*?<option value="(\d+)"', form, re.S).group(1),
        "opd": re.search(r'name="opd".*?<option value="(\d+)"', form, re.S).group(1),
        "what": f"{CANARY} apa: setoran bulanan", "who": f"{CANARY} siapa", "when": f"{CANARY} kapan",
        "where": f"{CANARY} di mana", "how": f"{CANARY} bagaimana", "contact": f"{CANARY} kontak",
    }
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', reporter.post("/lapor", fields)).group(1).strip()
    page = reporter.post("/status", {"csrf_token": reporter.csrf("/status"), "receipt": receipt})
    assert CANARY in page
    reporter.post("/laporan-saya", {"csrf_token": reporter.csrf("/laporan-saya"), "text": f"{CANARY} balasan"})

    # The team reads it.
    case_id = re.search(r'href="/cases/([0-9a-f]+)"', team.get("/")).group(1)
    assert CANARY in team.get(f"/cases/{case_id}")

    time.sleep(0.5)  # let the workers flush their logs
    haystack = b"".join(p.read_bytes() for p in (root / "logs").glob("*.log"))
    haystack += b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    haystack += b"".join(p.read_bytes() for p in (root / "tmp").rglob("*") if p.is_file())
    for needle in (CANARY, AGENT, "unique-agent-31337", receipt, receipt.replace("-", ""), "127.0.0.1"):
        assert needle.encode() not in haystack, f"{needle!r} left a trace"
    assert (data_dir / "kanal.db").exists()  # the database really was searched
