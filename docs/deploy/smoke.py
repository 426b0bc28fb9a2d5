"""Production smoke test on loopback, with the recipes in this directory.

    make smoke        (or: .venv/bin/python docs/deploy/smoke.py)

PostgreSQL database `kanal_smoke` (dropped first and afterwards), Redis database 14
(flushed), production mode with fresh secrets and the production KDF; `db upgrade`,
seed, recovery key and a reviewer from the CLI; `prod-check`; both apps under gunicorn
with their production configs (portal: 4 workers) plus the onion portal (plain HTTP,
KANAL_SECURE_COOKIES=0, KANAL_ONION=1); nginx with a rendered copy of nginx.conf (TLS,
throw-away certificate); `tor --verify-config` on torrc; `systemd-analyze verify` on
the units. Every gunicorn runs with the kernel's write-xor-execute memory rule (what
the units' MemoryDenyWriteExecute=yes asks) and, where strace exists, under strace,
to compare the system calls it makes with the units' SystemCallFilter.

The scenario: portal home and headers, a report (CSRF form), the receipt, the status
page with it, the reviewer's first login (activation + TOTP enrolment) and a second
full login (passphrase + TOTP), the case read in the review app, a report over the
onion portal with a fake v3 .onion Host. Then the logs of nginx and gunicorn, the
database (pg_dump) and Redis are searched for the client address, the unique user
agent, the canary in the report text and the receipt. PASS/FAIL per step; exit 1 if
any step fails.
"""

import base64
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from crypto.totp import current_code  # noqa: E402
from tests.live import free_port  # noqa: E402
from tests.test_deploy_recipes import render_nginx, under_mdwe  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "kanal_smoke"
REDIS_URL = "redis://127.0.0.1:6379/14"
AGENT = "SmokeAgent/1.0 (unique-" + secrets.token_hex(6) + ")"
CANARY = "KANARI-SMOKE-" + secrets.token_hex(8)
# A syntactically valid v3 onion name (56 base32 characters); tor itself is only config-checked.
ONION_HOST = base64.b32encode(secrets.token_bytes(35)).decode().lower() + ".onion"
NGINX, TOR = "/usr/sbin/nginx", "/usr/sbin/tor"
T = TypeVar("T")


class Steps:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool]] = []

    def record(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok))
        print(f"{'PASS' if ok else 'FAIL'}  {name}{(' — ' + detail) if detail else ''}", flush=True)  # noqa: T201
        return ok

    def skip(self, name: str, why: str) -> None:
        print(f"SKIP  {name} — {why}", flush=True)  # noqa: T201

    def run(self, name: str, check: Callable[[], T]) -> T | None:
        """`check` returns a truthy value (or a (ok, detail) pair); an exception is a failure."""
        try:
            value = check()
        except Exception as error:  # noqa: BLE001 - a smoke test reports every failure and goes on
            frame = traceback.extract_tb(error.__traceback__)[-1]
            self.record(name, False, f"{type(error).__name__}: {error} (line {frame.lineno})")
            return None
        if isinstance(value, tuple):
            self.record(name, bool(value[0]), str(value[1]))
        else:
            self.record(name, bool(value))
        return value


class Client:
    """A browser: cookies, a fixed user agent, the Referer of the page it is on."""

    def __init__(self, base: str, host: str | None = None, context: ssl.SSLContext | None = None) -> None:
        self.base, self.host = base, host
        if context is None:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the throw-away certificate
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), urllib.request.HTTPSHandler(context=context)
        )

    def request(
        self, path: str, fields: dict[str, str] | None = None, extra: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        origin = f"{self.base.split('://')[0]}://{self.host}" if self.host else self.base
        headers = {"User-Agent": AGENT, "Referer": origin + path, **(extra or {})}
        if self.host:
            headers["Host"] = self.host
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310 - http(s) only
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.request(path)[2])
        assert match, f"no CSRF token on {path}"
        return match.group(1)


# --- the scenario ---------------------------------------------------------------------------


def report(client: Client) -> str:
    status, _headers, form = client.request("/lapor")
    category = re.search(r'name="category".*?<option value="(\d+)"', form, re.S)
    opd = re.search(r'name="opd".*?<option value="(\d+)"', form, re.S)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)
    assert status == 200 and category and opd and token, f"report form: {status}"
    status, _headers, page = client.request(
        "/lapor",
        {
            "csrf_token": token.group(1),
            "category": category.group(1),
            "opd": opd.group(1),
            "what": f"Setoran bulanan dari staf kepada kepala bidang. {CANARY}",
        },
    )
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', page)
    assert status == 200 and receipt, f"no receipt: {status}"
    return receipt.group(1).strip()


def status_shows_report(client: Client, receipt: str) -> bool:
    _status, _headers, page = client.request("/status", {"csrf_token": client.csrf("/status"), "receipt": receipt})
    return CANARY in page


class Reviewer:
    def __init__(self, activation: str) -> None:
        self.activation = activation
        self.passphrase = "kuda-laut berlari di " + secrets.token_hex(6)
        self.secret = b""

    def first_login(self, client: Client) -> bool:
        """Activation (the key pair is born), TOTP enrolment, backup codes shown."""
        client.request(
            "/login", {"csrf_token": client.csrf("/login"), "username": "ana", "passphrase": self.activation}
        )
        client.request(
            "/activate",
            {"csrf_token": client.csrf("/activate"), "passphrase": self.passphrase, "confirm": self.passphrase},
        )
        page = client.request("/enrol")[2]
        match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
        assert match, "no TOTP secret on /enrol"
        compact = match.group(1).replace(" ", "")
        self.secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
        page = client.request(
            "/enrol", {"csrf_token": client.csrf("/enrol"), "code": current_code(self.secret, now=time.time())}
        )[2]
        return 'class="codes"' in page

    def login(self, client: Client) -> bool:
        """A later login: passphrase, then the next TOTP code (the enrolment's is spent)."""
        client.request(
            "/login", {"csrf_token": client.csrf("/login"), "username": "ana", "passphrase": self.passphrase}
        )
        status, _headers, _page = client.request(
            "/login/code",
            {"csrf_token": client.csrf("/login/code"), "code": current_code(self.secret, now=time.time() + 30)},
        )
        status, _headers, page = client.request("/")  # the case list, not a login step
        return status == 200 and 'name="passphrase"' not in page and 'name="code"' not in page


def reviewer_reads(client: Client) -> bool:
    listing = client.request("/")[2]
    case = re.search(r'href="(/cases/[0-9a-f]+)"', listing)
    assert case, "no case in the reviewer's list"
    return CANARY in client.request(case.group(1))[2]


# --- the stack ------------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi:review", *args],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)}: {result.stderr[-500:]}")
    return result


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)  # noqa: S603,S607


def allowed_syscalls() -> set[str]:
    """What the units allow: SystemCallFilter=@system-service minus ~@privileged @resources."""
    text = subprocess.run(
        ["systemd-analyze", "syscall-filter"],  # noqa: S607
        capture_output=True,
        text=True,  # noqa: S607
        check=True,
    ).stdout
    groups: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif line.startswith("    ") and not line.strip().startswith("#") and current:
            groups[current].append(line.strip())

    def expand(name: str) -> set[str]:
        if not name.startswith("@"):
            return {name}
        return set().union(*(expand(member) for member in groups.get(name, [])))

    return expand("@system-service") - expand("@privileged") - expand("@resources")


def traced_syscalls(summary: Path) -> set[str]:
    """The names in an `strace -c` table."""
    names, inside = set(), False
    for line in summary.read_text().splitlines():
        if line.startswith("------"):
            if inside:
                break
            inside = True
        elif inside and line.split():
            names.add(line.split()[-1])
    return names


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.gunicorns: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        self.strace = shutil.which("strace")

    def gunicorn(self, name: str, app: str, workers: int, port: int, env: dict[str, str]) -> str:
        argv = under_mdwe(
            "-m",
            "gunicorn",
            "-c",
            f"gunicorn.{app}.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--pid",
            str(self.tmp / f"{name}.pid"),
            f"wsgi:{app}",
        )
        if self.strace:
            argv = [self.strace, "-f", "-qq", "-c", "-o", str(self.tmp / f"{name}.syscalls"), *argv]
        log = (self.tmp / "logs" / f"gunicorn-{name}.log").open("w")
        self.gunicorns.append((name, subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)))  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz", what=f"gunicorn {name}")
        return base

    def start_nginx(self, conf: Path, public: int) -> bool:
        self.nginx = subprocess.Popen(  # noqa: S603
            [
                NGINX,
                "-c",
                str(conf),
                "-e",
                str(self.tmp / "logs" / "nginx-error.log"),  # noqa: S603
                "-g",
                "daemon off;",
            ]
        )
        wait_for(f"https://127.0.0.1:{public}/healthz", what="nginx")
        return True

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.send_signal(signal.SIGQUIT)
            self.nginx.wait(timeout=30)
            self.nginx = None
        for name, process in self.gunicorns:  # the master's pid, not strace's
            pid_file = self.tmp / f"{name}.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            else:
                process.terminate()
        for _name, process in self.gunicorns:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        self.gunicorns = []


def wait_for(url: str, *, what: str) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2, context=context)  # noqa: S310
            return
        except (OSError, urllib.error.HTTPError) as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer on {url}") from error
            time.sleep(0.2)


def render_units(tmp: Path) -> list[Path]:
    """The units with this checkout's paths (systemd-analyze also checks that the commands exist)."""
    (tmp / "units").mkdir()
    units = []
    for unit in sorted((ROOT / "docs/deploy/systemd").iterdir()):
        copy = tmp / "units" / unit.name
        copy.write_text(unit.read_text().replace("/opt/kanal", str(ROOT)))
        units.append(copy)
    return units


def main() -> int:  # noqa: PLR0915 - one straight scenario
    steps = Steps()
    tmp = Path(tempfile.mkdtemp(prefix="kanal-smoke-"))
    (tmp / "logs").mkdir()
    (tmp / "tmp").mkdir()
    stack = Stack(tmp)
    env = {
        **os.environ,
        "KANAL_ENV": "production",
        "KANAL_DATA_DIR": str(tmp / "data"),
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}",
        "KANAL_REDIS_URL": REDIS_URL,
        "KANAL_SECURE_COOKIES": "1",
        "KANAL_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "KANAL_PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "KANAL_REVIEW_SECRET_KEY": secrets.token_urlsafe(48),
        "KANAL_RECEIPT_KEY": secrets.token_urlsafe(48),
        "KANAL_AUDIT_KEY": secrets.token_urlsafe(48),
        "KANAL_ROSTER_ROOTS_FILE": str(tmp / "etc" / "roster-roots"),
        "TMPDIR": str(tmp / "tmp"),
    }
    for name in ("KANAL_KDF_MEMORY_KIB", "KANAL_KDF_ITERATIONS", "KANAL_KDF_LANES", "KANAL_ONION", "KANAL_WORKERS"):
        env.pop(name, None)  # production Argon2id parameters, HTTPS mode
    onion_env = {**env, "KANAL_SECURE_COOKIES": "0", "KANAL_ONION": "1", "KANAL_FORWARDED_ALLOW_IPS": ""}
    receipts: list[str] = []
    print(f"kanal smoke: {tmp}, database {DB}, {REDIS_URL}, user agent {AGENT!r}", flush=True)  # noqa: T201
    try:
        psql(f"DROP DATABASE IF EXISTS {DB}")
        psql(f"CREATE DATABASE {DB}")
        redis.Redis.from_url(REDIS_URL).flushdb()

        def install() -> bool:
            cli(env, "db", "upgrade")
            cli(env, "seed")
            cli(env, "generate-recovery-key")  # its fingerprint goes into the roots file
            created = cli(env, "create-founder", "ana", "--name", "Ana").stdout  # and the founder's
            match = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", created)
            assert match, "no activation passphrase printed"
            reviewer.activation = match.group(1)
            return True

        reviewer = Reviewer("")
        steps.run("db upgrade, seed, recovery key, founding key holder (production mode, PostgreSQL)", install)

        def prod_check(check_env: dict[str, str]) -> tuple[bool, str]:
            result = cli(check_env, "prod-check", check=False)
            return result.returncode == 0 and "Ready for production." in result.stdout, result.stdout.strip()

        steps.run("prod-check (HTTPS portal and review app)", lambda: prod_check(env))
        steps.run("prod-check (onion portal: KANAL_SECURE_COOKIES=0, KANAL_ONION=1)", lambda: prod_check(onion_env))

        def prod_check_refuses() -> tuple[bool, str]:
            result = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "cases.platform.readiness"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                env={
                    **env,
                    "KANAL_SECURE_COOKIES": "0",
                    "KANAL_REDIS_URL": "",
                    "KANAL_FORWARDED_ALLOW_IPS": "*",
                    "KANAL_KDF_MEMORY_KIB": "1024",
                },
            )
            problems = result.stdout.strip()
            expected = (
                "KANAL_SECURE_COOKIES=0",
                "KANAL_FORWARDED_ALLOW_IPS=*",
                "KDF parameters",
                "KANAL_REDIS_URL is not set",
            )
            return (
                result.returncode == 1 and all(f"- {text}" in problems for text in expected),
                "\n        " + problems.replace("\n", "\n        "),
            )

        steps.run(
            "python -m cases.platform.readiness lists what is wrong with a broken configuration", prod_check_refuses
        )

        ports = {"portal": free_port(), "review": free_port(), "onion": free_port()}
        portal_base = steps.run(
            "gunicorn portal (production config, 4 workers, W^X memory)",
            lambda: stack.gunicorn("portal", "portal", 4, ports["portal"], env),
        )
        review_base = steps.run(
            "gunicorn review app (production config, 2 workers, W^X memory)",
            lambda: stack.gunicorn("review", "review", 2, ports["review"], env),
        )
        onion_base = steps.run(
            "gunicorn onion portal (plain HTTP, 2 workers, W^X memory)",
            lambda: stack.gunicorn("onion", "portal", 2, ports["onion"], onion_env),
        )

        conf, public, internal = render_nginx(
            tmp, portal_base or "http://127.0.0.1:1", review_base or "http://127.0.0.1:1"
        )
        conf.write_text(conf.read_text().replace(f"{tmp}/error.log", f"{tmp}/logs/nginx-error.log"))

        def nginx_t() -> tuple[bool, str]:
            result = subprocess.run(  # noqa: S603
                [NGINX, "-t", "-c", str(conf), "-e", str(tmp / "logs" / "nginx-error.log")],  # noqa: S603
                capture_output=True,
                text=True,
                timeout=60,
            )
            return result.returncode == 0, result.stderr.strip().splitlines()[-1]

        steps.run("nginx -t on docs/deploy/nginx.conf (rendered: loopback ports, self-signed certificate)", nginx_t)
        steps.run("nginx started (TLS on loopback)", lambda: stack.start_nginx(conf, public))

        def tor_verify() -> tuple[bool, str]:
            (tmp / "hs").mkdir(mode=0o700)
            torrc = tmp / "torrc"
            torrc.write_text(
                (ROOT / "docs/deploy/torrc")
                .read_text()
                .replace("/var/lib/tor/kanal_portal/", f"{tmp}/hs/")
                .replace("127.0.0.1:8002", f"127.0.0.1:{ports['onion']}")
                + f"DataDirectory {tmp}/tor\n"
            )
            result = subprocess.run(  # noqa: S603
                [TOR, "--verify-config", "-f", str(torrc)],  # noqa: S603
                capture_output=True,
                text=True,
                timeout=120,
            )
            return result.returncode == 0, result.stdout.strip().splitlines()[-1]

        steps.run("tor --verify-config on docs/deploy/torrc", tor_verify)

        if shutil.which("systemd-analyze"):
            units = render_units(tmp)

            def units_verify() -> tuple[bool, str]:
                result = subprocess.run(  # noqa: S603
                    ["systemd-analyze", "verify", "--man=no", *map(str, units)],  # noqa: S603,S607
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                security = subprocess.run(  # noqa: S603
                    ["systemd-analyze", "security", "--offline=yes", str(tmp / "units" / "kanal-portal.service")],  # noqa: S607
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                exposure = (security.stdout.strip().splitlines() or ["?"])[-1]
                output = (result.stdout + result.stderr).strip()
                return result.returncode == 0 and not output, output or exposure

            steps.run("systemd-analyze verify on docs/deploy/systemd/*", units_verify)
        else:
            steps.skip("systemd-analyze verify", "systemd-analyze is not installed (apt-get install systemd)")

        portal = Client(f"https://127.0.0.1:{public}")

        def home() -> tuple[bool, str]:
            status, headers, _page = portal.request("/")
            checks = {
                "200": status == 200,
                "CSP default-src 'none'": "default-src 'none'" in headers.get("Content-Security-Policy", ""),
                "HSTS": "max-age=" in headers.get("Strict-Transport-Security", ""),
                "nosniff": headers.get("X-Content-Type-Options") == "nosniff",
                "Server: nginx (no version)": headers.get("Server") == "nginx",
                "no cookie": "Set-Cookie" not in headers,
            }
            return all(checks.values()), ", ".join(f"{k}: {'ok' if v else 'NO'}" for k, v in checks.items())

        steps.run("portal home through nginx over TLS, headers", home)

        def health() -> bool:
            for port in (public, internal):
                status, headers, body = Client(f"https://127.0.0.1:{port}").request("/healthz")
                assert (status, body) == (200, "ok\n") and "Set-Cookie" not in headers, (port, status, body)
            return True

        steps.run("/healthz of both apps through nginx says 'ok' and nothing more", health)

        # The reviewer's key pair is born at activation: reports sealed afterwards reach them directly
        # (earlier ones only through the recovery key, see docs/RECOVERY.md).
        review = Client(f"https://127.0.0.1:{internal}")
        steps.run(
            "reviewer's first login: activation passphrase, new passphrase, TOTP enrolment",
            lambda: reviewer.first_login(review),
        )
        receipt = steps.run("report submitted through nginx (CSRF form), receipt shown", lambda: report(portal))
        receipts += [receipt] if receipt else []
        steps.run(
            "status page with the receipt shows the report",
            lambda: bool(receipt) and status_shows_report(Client(portal.base), receipt or ""),
        )
        fresh = Client(review.base)
        steps.run("reviewer signs in again: passphrase (Argon2id 64 MiB) + TOTP", lambda: reviewer.login(fresh))
        steps.run("reviewer opens the case and reads the report", lambda: reviewer_reads(fresh))

        onion = Client(onion_base or "http://127.0.0.1:1", host=ONION_HOST)

        def onion_report() -> tuple[bool, str]:
            status, headers, _page = onion.request("/")
            assert status == 200 and "Strict-Transport-Security" not in headers, "HSTS over plain HTTP"
            onion_receipt = report(onion)
            receipts.append(onion_receipt)
            # tor passes a client's own X-Forwarded-Proto through; the onion gunicorn trusts nobody, so a
            # forged "https" does not switch on the HTTPS-only Referer check (which would refuse this post)
            forged = onion.request(
                "/status",
                {"csrf_token": onion.csrf("/status"), "receipt": onion_receipt},
                extra={"X-Forwarded-Proto": "https"},
            )
            cookies = {cookie.name: cookie for cookie in onion.cookies}
            cookie = cookies.get("kanal_portal")
            checks = {
                "report and receipt": bool(onion_receipt),
                "status page": status_shows_report(onion, onion_receipt),
                "forged X-Forwarded-Proto ignored": forged[0] == 200 and CANARY in forged[2],
                "cookie kanal_portal, not Secure, HttpOnly": cookie is not None
                and not cookie.secure
                and cookie.has_nonstandard_attr("HttpOnly"),
            }
            return all(checks.values()), f"Host {ONION_HOST[:12]}….onion; " + ", ".join(
                f"{k}: {'ok' if v else 'NO'}" for k, v in checks.items()
            )

        steps.run("onion portal over plain HTTP: CSRF form, report, receipt, status, cookie", onion_report)

        def purge_job() -> tuple[bool, str]:
            argv = under_mdwe("-m", "flask", "--app", "wsgi:review", "purge-expired")
            if stack.strace:
                argv = [stack.strace, "-f", "-qq", "-c", "-o", str(tmp / "purge.syscalls"), *argv]
            result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603
            return result.returncode == 0, result.stdout.strip()

        steps.run("retention job as kanal-purge.service runs it (W^X memory)", purge_job)
    finally:
        stack.stop()

    if stack.strace and shutil.which("systemd-analyze"):

        def syscalls() -> tuple[bool, str]:
            allowed = allowed_syscalls()
            used = set().union(*(traced_syscalls(path) for path in tmp.glob("*.syscalls")))
            refused = sorted(used - allowed)
            return not refused, (
                f"{len(used)} distinct calls, all allowed"
                if not refused
                else f"outside the filter: {', '.join(refused)}"
            )

        steps.run("system calls of the gunicorns and the purge job vs the units' SystemCallFilter", syscalls)
    else:
        steps.skip("system calls vs SystemCallFilter", "needs strace and systemd-analyze")

    def no_traces() -> tuple[bool, str]:
        needles = {
            "client address 127.0.0.1": b"127.0.0.1",
            "user agent": AGENT.encode(),
            "canary": CANARY.encode(),
            **{f"receipt {n}": r.replace("-", "").encode() for n, r in enumerate(receipts, 1)},
            **{f"receipt {n} (as typed)": r.encode() for n, r in enumerate(receipts, 1)},
        }
        places: dict[str, bytes] = {f"logs/{p.name}": p.read_bytes() for p in (tmp / "logs").iterdir()}
        places.update({f"tmp/{p.name}": p.read_bytes() for p in (tmp / "tmp").rglob("*") if p.is_file()})
        places["the database (pg_dump)"] = subprocess.run(  # noqa: S603
            ["pg_dump", f"{PG}/{DB}"],  # noqa: S607
            capture_output=True,  # noqa: S603,S607
            check=True,
            timeout=120,
        ).stdout
        store = redis.Redis.from_url(REDIS_URL)
        places["Redis db 14"] = b"".join(key + (store.dump(key) or b"") for key in store.scan_iter())
        found = [
            f"{label} in {place}"
            for place, content in places.items()
            for label, needle in needles.items()
            if needle in content
        ]
        searched = f"searched {len(places)} places ({', '.join(places)}) for {len(needles)} traces"
        return not found, "; ".join(found) or searched

    steps.run("no client address, user agent, canary or receipt in logs, temp files, database, Redis", no_traces)

    try:
        psql(f"DROP DATABASE IF EXISTS {DB}")
        redis.Redis.from_url(REDIS_URL).flushdb()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [name for name, ok in steps.results if not ok]
    print(
        f"\n{'PASS' if not failed else 'FAIL'}: {len(steps.results) - len(failed)}/{len(steps.results)} "  # noqa: T201
        f"steps passed" + (f"; failed: {failed}" if failed else "") + ". Database dropped, temp files removed."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
