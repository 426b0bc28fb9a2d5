"""Load test with nothing lost (issue 8): N submissions at concurrency C against the
portal under gunicorn with 4 workers, then every receipt must open its own report.

    .venv/bin/python bench/load.py --db sqlite      [--n 2000 --concurrency 32]
    .venv/bin/python bench/load.py --db postgresql  (database kanal_load, dropped and recreated)

Rate limits are raised for the run (a load test is, by design, a flood). Prints:
sent, receipts returned, cases stored, cases verified, 5xx — and exits 1 if anything is lost.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live import free_port  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt"[^>]*>([^<]+)<')


def request(opener: urllib.request.OpenerDirector, url: str, fields: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=120) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""  # connection refused / reset: counted as a failure, never as a receipt


def submit(base: str, canary: str, category: str, opd: str) -> tuple[int, str | None]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, page = request(opener, base + "/lapor")
    token = CSRF.search(page)
    if status != 200 or not token:
        return status, None
    status, page = request(opener, base + "/lapor", {"csrf_token": token.group(1), "category": category, "opd": opd,
                                                     "what": f"Setoran bulanan dari staf. {canary}"})
    receipt = RECEIPT.search(page)
    return status, receipt.group(1).strip() if status == 200 and receipt else None


def verify(base: str, receipt: str, canary: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _status, page = request(opener, base + "/status")
    token = CSRF.search(page)
    if not token:
        return False
    _status, page = request(opener, base + "/status", {"csrf_token": token.group(1), "receipt": receipt})
    return canary in page


def start(env: dict[str, str], log: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "wsgi:portal"], cwd=ROOT, env=env, stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    return process, base


KILLED: list[int] = []


def kill_workers(master: int, times: int) -> None:
    """SIGKILL one worker every second (gunicorn's master starts a new one)."""
    for _ in range(times):
        time.sleep(1.0)
        children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()  # noqa: S603,S607
        if children:
            victim = int(secrets.choice(children))
            os.kill(victim, signal.SIGKILL)
            KILLED.append(victim)


INTEGRITY = [
    ("cases without their report", 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
     "(SELECT 1 FROM case_item i WHERE i.case_id = c.id AND i.kind = 'report')"),
    ("cases without a recovery grant", 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
     "(SELECT 1 FROM key_grant g WHERE g.case_id = c.id AND g.recipient_kind = 'recovery')"),
    ("cases without a reporter grant", 'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
     "(SELECT 1 FROM key_grant g WHERE g.case_id = c.id AND g.recipient_kind = 'reporter')"),
    ("items without their case", "SELECT count(*) FROM case_item i WHERE NOT EXISTS "
     '(SELECT 1 FROM "case" c WHERE c.id = i.case_id)'),
]


def integrity(db: str, env: dict[str, str]) -> dict[str, int | str]:
    found: dict[str, int | str] = {}
    for name, sql in INTEGRITY:
        found[name] = query(db, env, sql)
    if db == "sqlite":
        with sqlite3.connect(Path(env["KANAL_DATA_DIR"]) / "kanal.db") as connection:
            found["PRAGMA integrity_check"] = connection.execute("PRAGMA integrity_check").fetchone()[0]
    return found


def query(db: str, env: dict[str, str], sql: str) -> int:
    if db == "sqlite":
        with sqlite3.connect(Path(env["KANAL_DATA_DIR"]) / "kanal.db") as connection:
            return int(connection.execute(sql).fetchone()[0])
    out = subprocess.run(["psql", f"{PG}/kanal_load", "-tAc", sql],  # noqa: S603,S607
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def case_count(db: str, env: dict[str, str]) -> int:
    if db == "sqlite":
        with sqlite3.connect(Path(env["KANAL_DATA_DIR"]) / "kanal.db") as connection:
            return int(connection.execute('SELECT count(*) FROM "case"').fetchone()[0])
    out = subprocess.run(["psql", f"{PG}/kanal_load", "-tAc", 'SELECT count(*) FROM "case"'],  # noqa: S603,S607
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill", type=int, default=0, help="kill -9 a random worker this many times during the load")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kanal-load-"))
    env = {**os.environ, "KANAL_DATA_DIR": str(tmp / "data"), "KANAL_KDF_MEMORY_KIB": "1024",
           "KANAL_KDF_ITERATIONS": "1", "KANAL_KDF_LANES": "1", "KANAL_LIMIT_SUBMIT": "1000000/hour",
           "KANAL_LIMIT_SUBMIT_GLOBAL": "1000000/minute", "KANAL_LIMIT_STATUS": "1000000/minute",
           "KANAL_LIMIT_STATUS_GLOBAL": "1000000/minute"}
    if args.db == "postgresql":
        for sql in ("DROP DATABASE IF EXISTS kanal_load", "CREATE DATABASE kanal_load"):
            subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)  # noqa: S603,S607
        env["DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:5432/kanal_load"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
                   cwd=ROOT, env=env, capture_output=True, check=True)
    process, base = start(env, tmp / "portal.log", args.workers)
    try:
        form = request(urllib.request.build_opener(), base + "/lapor")[1]
        category = re.search(r'name="category".*?<option value="(\d+)"', form, re.S)
        opd = re.search(r'name="opd".*?<option value="(\d+)"', form, re.S)
        assert category and opd
        canaries = [f"KANARI-{n}-{secrets.token_hex(4)}" for n in range(args.n)]
        began = time.perf_counter()
        killer = threading.Thread(target=kill_workers, args=(process.pid, args.kill), daemon=True)
        killer.start()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(lambda c: submit(base, c, category.group(1), opd.group(1)), canaries))
        killer.join()
        elapsed = time.perf_counter() - began
        receipts = [(receipt, canary) for (_s, receipt), canary in zip(results, canaries, strict=True) if receipt]
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            verified = sum(pool.map(lambda pair: verify(base, *pair), receipts))
    finally:
        process.terminate()
        process.wait(timeout=60)
    stored = case_count(args.db, env)
    checks = integrity(args.db, env)
    server_errors = sum(1 for status, _r in results if status >= 500 or status == 0)
    print(f"database: {args.db}, workers: {args.workers}, concurrency: {args.concurrency}")
    print(f"sent: {args.n}, receipts returned: {len(receipts)}, cases stored: {stored}, "
          f"cases verified: {verified}, 5xx: {server_errors}")
    print(f"submission throughput: {args.n / elapsed:.1f}/s over {elapsed:.1f} s (form GET + POST each)")
    print(f"integrity: {checks}")
    if args.kill:
        # a worker killed mid-request loses that request (the client sees a reset or a 502 behind
        # nginx and retries); what must hold is: every receipt returned is intact, nothing is half-stored
        print(f"workers killed with SIGKILL: {len(KILLED)}; failed requests: {args.n - len(receipts)}")
        ok = verified == len(receipts) and stored >= len(receipts) and all(
            value in (0, "ok") for value in checks.values())
    else:
        ok = len(receipts) == args.n == stored == verified and server_errors == 0 and all(
            value in (0, "ok") for value in checks.values())
    print("NOTHING LOST" if ok else "LOSS OR ERRORS")
    if args.db == "postgresql":
        subprocess.run(["psql", f"{PG}/postgres", "-qc", "DROP DATABASE IF EXISTS kanal_load"],  # noqa: S603,S607
                       capture_output=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
