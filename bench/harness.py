"""What the bench/ scripts share: throw-away data dirs, gunicorn on loopback, a reporter client.

Plain urllib (no extra dependency): each reporter is a cookie jar that fetches a
form for its CSRF token and posts it, exactly as a browser without JavaScript
does. Nothing here is imported by the apps or by the test suite.
"""

import base64
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from crypto.totp import current_code  # noqa: E402
from tests.live import wait_until_serving  # noqa: E402,F401 - the bench scripts import it from here

PASS = "bench passphrase for a reviewer on loopback"  # noqa: S105 - a throw-away benchmark account
PG = "postgresql://postgres@127.0.0.1:5432"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt"[^>]*>([^<]+)<')
ONE_TIME = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")
# A load test is, by design, a flood: the per-visit and global limits are raised for it.
UNLIMITED = {
    "KANAL_LIMIT_SUBMIT": "1000000/hour",
    "KANAL_LIMIT_SUBMIT_GLOBAL": "1000000/minute",
    "KANAL_LIMIT_STATUS": "1000000/minute",
    "KANAL_LIMIT_STATUS_GLOBAL": "1000000/minute",
    "KANAL_LIMIT_LOGIN_GLOBAL": "1000000/minute",
    "KANAL_MAX_UPLOAD_MB_PER_HOUR": "1000000",
}
CHEAP_KDF = {"KANAL_KDF_MEMORY_KIB": "1024", "KANAL_KDF_ITERATIONS": "1", "KANAL_KDF_LANES": "1"}
BENCH_REDIS = os.environ.get("KANAL_BENCH_REDIS", "redis://127.0.0.1:6379/13")


def limits_storage() -> dict[str, str]:
    """Rate limits counted in Redis, as production counts them (a production start refuses without
    it), when a Redis answers at KANAL_BENCH_REDIS (set it empty to count in memory). The memory
    storage starts a thread for each hit: measured with it, every request pays that thread (issue 21)."""
    if not BENCH_REDIS:
        return {}
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            if not probe.recv(16).startswith(b"+PONG"):
                return {}
    except OSError:
        return {}
    return {"KANAL_REDIS_URL": BENCH_REDIS, "KANAL_REDIS_PREFIX": f"kanal-bench-{os.getpid()}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def request(
    client: urllib.request.OpenerDirector, url: str, fields: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str]:
    """(status, body); status 0 when the connection failed (refused, reset, timed out)."""
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    try:
        with client.open(urllib.request.Request(url, data=data), timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except OSError:
        return 0, ""


@dataclass(frozen=True)
class Choices:
    category: str
    opd: str


def form_choices(base: str) -> Choices:
    page = request(opener(), base + "/lapor")[1]
    category = re.search(r'name="category".*?<option value="(\d+)"', page, re.S)
    opd = re.search(r'name="opd".*?<option value="(\d+)"', page, re.S)
    assert category and opd, "no report form"
    return Choices(category.group(1), opd.group(1))


@dataclass(frozen=True)
class Submitted:
    status: int  # of the POST (or of the form GET when that failed)
    receipt: str | None
    page: str


def submit(base: str, canary: str, choices: Choices) -> Submitted:
    """One reporter: GET the form (CSRF token), POST the report. A receipt only from a 200 page."""
    client = opener()
    status, page = request(client, base + "/lapor")
    token = CSRF.search(page)
    if status != 200 or not token:
        return Submitted(status, None, page)
    status, page = request(
        client,
        base + "/lapor",
        {
            "csrf_token": token.group(1),
            "category": choices.category,
            "opd": choices.opd,
            "what": f"Setoran bulanan dari staf ke atasan setiap tanggal lima. {canary}",
        },
    )
    found = RECEIPT.search(page)
    return Submitted(status, found.group(1).strip() if status == 200 and found else None, page)


def verify(base: str, receipt: str, canary: str) -> bool:
    """The receipt opens the reporter's page, and it shows this submission's own canary."""
    client = opener()
    _status, page = request(client, base + "/status")
    token = CSRF.search(page)
    if not token:
        return False
    status, page = request(client, base + "/status", {"csrf_token": token.group(1), "receipt": receipt})
    return status == 200 and canary in page


def canaries(count: int) -> list[str]:
    return [f"KANARI-{n}-{secrets.token_hex(6)}" for n in range(count)]


@dataclass
class Deployment:
    """A throw-away data dir (and PostgreSQL database) with the schema, recovery key and an admin."""

    db: str
    tmp: Path
    env: dict[str, str]
    one_time_passphrase: str
    pg_name: str = "kanal_load"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.env["KANAL_DATA_DIR"]) / "kanal.db"

    def scalar(self, sql: str) -> int | str:
        if self.db == "sqlite":
            with sqlite3.connect(self.sqlite_path) as connection:
                value = connection.execute(sql).fetchone()[0]
                return value if isinstance(value, str) else int(value)
        out = subprocess.run(
            ["psql", f"{PG}/{self.pg_name}", "-tAc", sql],  # noqa: S603,S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return int(out) if out.lstrip("-").isdigit() else out

    def drop(self) -> None:
        """Remove the data dir (keep it with KANAL_BENCH_KEEP=1, e.g. to read the logs) and the database."""
        if not os.environ.get("KANAL_BENCH_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.db == "postgresql":
            subprocess.run(
                [  # noqa: S607
                    "psql",
                    f"{PG}/postgres",
                    "-qc",  # noqa: S603,S607
                    f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)",
                ],
                capture_output=True,
            )


def deploy(
    db: str, *, extra: dict[str, str] | None = None, prefix: str = "kanal-bench-", pg_name: str = "kanal_load"
) -> Deployment:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    (tmp / "tmp").mkdir()
    env = {
        **os.environ,
        "KANAL_DATA_DIR": str(tmp / "data"),
        "TMPDIR": str(tmp / "tmp"),
        **limits_storage(),
        **(extra or {}),
    }
    env.pop("DATABASE_URL", None)
    if db == "postgresql":
        for sql in (f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)", f"CREATE DATABASE {pg_name}"):
            subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)  # noqa: S603,S607
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    setup = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = ONE_TIME.search(setup.stdout)
    assert found, "dev-setup printed no one-time passphrase"
    return Deployment(db, tmp, env, found.group(1), pg_name)


class Server:
    """gunicorn with the shared gunicorn.conf.py on a loopback port."""

    def __init__(
        self,
        target: str,
        env: dict[str, str],
        log: Path,
        *,
        workers: int = 4,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("a")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and config
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--pythonpath",
                "bench",
                *extra_args,
                target,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, path: str = "/static/portal.css", seconds: float = 60) -> None:
        wait_until_serving(self.base, path, seconds)

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server has used so far: the master, its workers and their
        children (the cleaners' sandbox), and the children already reaped. Read from /proc, so it
        does not depend on how fast or slow the load-generating client is (issue 21)."""
        ticks = 0
        pending, seen = [self.process.pid], set()
        while pending:
            pid = pending.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue  # exited since it was listed
            # fields[11:15] are utime, stime, cutime, cstime (man 5 proc, fields 14-17)
            ticks += sum(int(value) for value in fields[11:15])
            pending += [int(child) for child in children]
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


INTEGRITY = {
    "cases without their report": 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
    "(SELECT 1 FROM case_item i WHERE i.case_id = c.id AND i.kind = 'report')",
    "cases without a recovery grant": 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
    "(SELECT 1 FROM key_grant g WHERE g.case_id = c.id AND g.recipient_kind = 'recovery')",
    "cases without a reporter grant": 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
    "(SELECT 1 FROM key_grant g WHERE g.case_id = c.id AND g.recipient_kind = 'reporter')",
    "items without their case": "SELECT count(*) FROM case_item i WHERE NOT EXISTS "
    '(SELECT 1 FROM "case" c WHERE c.id = i.case_id)',
    "grants without their case": "SELECT count(*) FROM key_grant g WHERE g.case_id IS NOT NULL AND NOT EXISTS "
    '(SELECT 1 FROM "case" c WHERE c.id = g.case_id)',
}


def integrity(deployment: Deployment) -> dict[str, int | str]:
    found = {name: deployment.scalar(sql) for name, sql in INTEGRITY.items()}
    if deployment.db == "sqlite":
        found["PRAGMA integrity_check"] = deployment.scalar("PRAGMA integrity_check")
        found["PRAGMA foreign_key_check rows"] = len(
            sqlite3.connect(deployment.sqlite_path).execute("PRAGMA foreign_key_check").fetchall()
        )
    return found


def integrity_ok(found: dict[str, int | str]) -> bool:
    return all(value in (0, "ok") for value in found.values())


def csrf(client: urllib.request.OpenerDirector, url: str) -> str:
    found = CSRF.search(request(client, url)[1])
    assert found, url
    return found.group(1)


def reviewer(review: str, one_time: str, passphrase: str = PASS) -> tuple[urllib.request.OpenerDirector, list[str]]:
    """Activate the admin, enrol TOTP: a fully logged-in reviewer client, and the backup codes."""
    client = opener()
    request(
        client,
        review + "/login",
        {"csrf_token": csrf(client, review + "/login"), "username": "admin", "passphrase": one_time},
    )
    request(
        client,
        review + "/activate",
        {"csrf_token": csrf(client, review + "/activate"), "passphrase": passphrase, "confirm": passphrase},
    )
    page = request(client, review + "/enrol")[1]
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert found, "no enrolment secret"
    compact = found.group(1).replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    token = CSRF.search(page)
    assert token
    page = request(
        client, review + "/enrol", {"csrf_token": token.group(1), "code": current_code(secret, now=time.time())}
    )[1]
    codes = re.findall(r"<li><code>([^<]+)</code></li>", page)
    assert codes, "no backup codes"
    return client, codes
