"""Production smoke test on loopback: PostgreSQL + Redis + both apps under gunicorn
(production mode and KDF) behind nginx over TLS, plus the plain-HTTP onion portal.

    .venv/bin/python docs/deploy/smoke.py

Creates (and drops afterwards) the PostgreSQL database `kanal_smoke`, uses Redis
database 14, and prints PASS/FAIL per step. Exit status 0 only if all pass.
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
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crypto.totp import current_code  # noqa: E402
from tests.live import free_port  # noqa: E402
from tests.test_deploy_recipes import render_nginx  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "kanal_smoke"
AGENT = "SmokeAgent/1.0 (unique-" + secrets.token_hex(6) + ")"
CANARY = "KANARI-SMOKE-" + secrets.token_hex(8)
ONION_HOST = "kanalintegritasxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
RESULTS: list[tuple[str, bool, str]] = []


def step(name: str, ok: bool, detail: str = "") -> bool:
    RESULTS.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}{(' — ' + detail) if detail else ''}", flush=True)
    return ok


class Client:
    def __init__(self, base: str, host: str | None = None) -> None:
        self.base, self.host = base, host
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the throw-away certificate
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies),
                                                  urllib.request.HTTPSHandler(context=context))

    def request(self, path: str, fields: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        origin = f"{self.base.split('://')[0]}://{self.host}" if self.host else self.base
        headers = {"User-Agent": AGENT, "Referer": origin + path}
        if self.host:
            headers["Host"] = self.host
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, headers=headers),  # noqa: S310
                                  timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def csrf(self, path: str) -> str:
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.request(path)[2])
        assert match, path
        return match.group(1)


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi:review", *args],  # noqa: S603
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)}: {result.stderr[-500:]}")
    return result.stdout


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)  # noqa: S603,S607


def report(client: Client) -> str:
    form = client.request("/lapor")[2]
    category = re.search(r'name="category".*?<option value="(\d+)"', form, re.S)
    opd = re.search(r'name="opd".*?<option value="(\d+)"', form, re.S)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)
    assert category and opd and token
    status, _headers, page = client.request("/lapor", {
        "csrf_token": token.group(1), "category": category.group(1), "opd": opd.group(1),
        "what": f"Setoran bulanan dari staf kepada kepala bidang. {CANARY}"})
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', page)
    assert status == 200 and receipt, (status, page[:300])
    return receipt.group(1).strip()


def status_shows_report(client: Client, receipt: str) -> bool:
    _status, _headers, page = client.request("/status", {"csrf_token": client.csrf("/status"), "receipt": receipt})
    return CANARY in page


def reviewer_signs_up(client: Client, activation: str) -> bool:
    """First login: activation (the key pair is born), TOTP enrolment."""
    passphrase = "kuda-laut berlari di " + secrets.token_hex(6)
    client.request("/login", {"csrf_token": client.csrf("/login"), "username": "ana", "passphrase": activation})
    client.request("/activate", {"csrf_token": client.csrf("/activate"), "passphrase": passphrase,
                                 "confirm": passphrase})
    page = client.request("/enrol")[2]
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, page[:300]
    compact = match.group(1).replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    page = client.request("/enrol", {"csrf_token": client.csrf("/enrol"),
                                      "code": current_code(secret, now=time.time())})[2]
    return 'class="codes"' in page


def reviewer_reads(client: Client) -> bool:
    listing = client.request("/")[2]
    case = re.search(r'href="(/cases/[0-9a-f]+)"', listing)
    return bool(case) and CANARY in client.request(case.group(1))[2]  # type: ignore[union-attr]


def main() -> int:  # noqa: PLR0915 - one straight scenario
    tmp = Path(tempfile.mkdtemp(prefix="kanal-smoke-"))
    (tmp / "logs").mkdir()
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    env = {**os.environ, "KANAL_ENV": "production", "KANAL_DATA_DIR": str(tmp / "data"),
           "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}",
           "KANAL_REDIS_URL": "redis://127.0.0.1:6379/14", "KANAL_SECURE_COOKIES": "1",
           "KANAL_PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
           "KANAL_REVIEW_SECRET_KEY": secrets.token_urlsafe(48), "KANAL_RECEIPT_KEY": secrets.token_urlsafe(48),
           "TMPDIR": str(tmp / "tmp")}
    for name in ("KANAL_KDF_MEMORY_KIB", "KANAL_KDF_ITERATIONS", "KANAL_KDF_LANES"):
        env.pop(name, None)  # production Argon2id parameters
    (tmp / "tmp").mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cli(env, "db", "upgrade")
        cli(env, "seed")
        cli(env, "generate-recovery-key")
        created = cli(env, "create-reviewer", "ana", "--name", "Ana", "--admin")
        activation = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", created)
        step("schema, seed, recovery key, reviewer (production mode, PostgreSQL)", bool(activation))
        check = cli(env, "prod-check")
        step("prod-check", "Ready for production." in check, check.strip().splitlines()[-1])

        ports = {"portal": free_port(), "review": free_port(), "onion": free_port()}
        for name, app, workers, extra in (("portal", "portal", "4", {}), ("review", "review", "2", {}),
                                          ("onion", "portal", "2", {"KANAL_SECURE_COOKIES": "0"})):
            log = (tmp / "logs" / f"{name}.log").open("w")
            processes.append(subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "-c", f"gunicorn.{app}.conf.py", "--workers", workers,
                 "--bind", f"127.0.0.1:{ports[name]}", f"wsgi:{app}"],
                cwd=ROOT, env={**env, **extra}, stdout=log, stderr=log))
        conf, public, internal = render_nginx(tmp, f"http://127.0.0.1:{ports['portal']}",
                                              f"http://127.0.0.1:{ports['review']}")
        nginx_t = subprocess.run(["/usr/sbin/nginx", "-t", "-c", str(conf), "-e", str(tmp / "error.log")],  # noqa: S603
                                 capture_output=True, text=True)
        step("nginx -t on docs/deploy/nginx.conf", nginx_t.returncode == 0, nginx_t.stderr.strip().splitlines()[-1])
        processes.append(subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-e", str(tmp / "error.log"),  # noqa: S603
                                           "-g", "daemon off;"]))
        torrc = tmp / "torrc"
        (tmp / "hs").mkdir(mode=0o700)
        torrc.write_text((ROOT / "docs/deploy/torrc").read_text().replace("/var/lib/tor/kanal_portal/", f"{tmp}/hs/")
                         + f"DataDirectory {tmp}/tor\n")
        tor = subprocess.run(["/usr/sbin/tor", "--verify-config", "-f", str(torrc)], capture_output=True, text=True)  # noqa: S603
        step("tor --verify-config on docs/deploy/torrc", tor.returncode == 0)
        time.sleep(3)

        portal = Client(f"https://127.0.0.1:{public}")
        status, headers, _page = portal.request("/")
        step("portal home through nginx over TLS", status == 200)
        step("headers: CSP, HSTS, nosniff, no Server version, no cookie",
             "default-src 'none'" in headers.get("Content-Security-Policy", "")
             and "max-age" in headers.get("Strict-Transport-Security", "")
             and headers.get("X-Content-Type-Options") == "nosniff"
             and headers.get("Server") == "nginx" and "Set-Cookie" not in headers)
        review = Client(f"https://127.0.0.1:{internal}")
        step("reviewer activates and enrols TOTP (review app via nginx, internal listener)",
             reviewer_signs_up(review, activation.group(1) if activation else ""))
        receipt = report(portal)
        step("report submitted, receipt shown", bool(receipt))
        step("status check with the receipt shows the report", status_shows_report(Client(portal.base), receipt))
        step("reviewer opens the case and reads the report", reviewer_reads(review))

        onion = Client(f"http://127.0.0.1:{ports['onion']}", host=ONION_HOST)
        onion_receipt = report(onion)
        cookie = onion.request("/status")[1].get("Set-Cookie", "")
        step("onion portal over plain HTTP: report, CSRF and cookie work",
             bool(onion_receipt) and status_shows_report(onion, onion_receipt)
             and "kanal_portal" in "".join(c.name for c in onion.cookies)
             and "__Host-" not in cookie)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    dump = subprocess.run(["pg_dump", f"{PG}/{DB}"], capture_output=True, check=True).stdout  # noqa: S603,S607
    traces = {"127.0.0.1": b"127.0.0.1", "user agent": AGENT.encode(), "canary": CANARY.encode(),
              "receipt": receipt.replace("-", "").encode()}
    files = [*(tmp / "logs").iterdir(), tmp / "error.log", *(tmp / "tmp").rglob("*")]
    found = [f"{label} in {path.name}" for path in files if path.is_file()
             for label, needle in traces.items() if needle in path.read_bytes()]
    found += [f"{label} in the database" for label, needle in traces.items() if needle in dump]
    step("no address, user agent, canary or receipt in logs, temp files or the database", not found, ", ".join(found))
    psql(f"DROP DATABASE IF EXISTS {DB}")
    shutil.rmtree(tmp, ignore_errors=True)
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)}/{len(RESULTS)} steps passed" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
