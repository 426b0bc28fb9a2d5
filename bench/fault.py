"""Fault test (issue 8): the load of bench/load.py while processes die; nothing returned is lost.

    .venv/bin/python bench/fault.py --db sqlite       # kill -9 workers, then the master; restart
    .venv/bin/python bench/fault.py --db postgresql   # the same on PostgreSQL (database kanal_fault)
    .venv/bin/python bench/fault.py --db postgresql --restart-postgres   # PostgreSQL restarted mid-load

Process faults: during the load a random worker is killed with SIGKILL every
--every seconds (--kills times; gunicorn's master replaces it), then the master
itself is killed with SIGKILL, its orphaned workers too (as systemd's
KillMode=control-group would), and gunicorn is started again on the same port.

Database fault (`--restart-postgres`, PostgreSQL only): `pg_ctlcluster 15 main
restart` once mid-load. The PostgreSQL server is shared with other work on this
machine: run this part rarely.

Afterwards: every receipt returned must open its own report (its canary), no case
may lack its report item or its grants, no item or grant may lack its case, the
database must pass its integrity check, and every failed request that got a page
must have got the error page that tells the reporter to try again.
"""

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from harness import CHEAP_KDF, UNLIMITED, Server, Submitted, deploy, integrity_ok
from load import check, send

# error.html, Indonesian (the default locale): the 500 page and the 503 page (database unavailable)
RETRY_TEXTS = ("Silakan coba lagi sebentar lagi", "Silakan coba lagi dalam satu menit")
CLUSTER = ("15", "main")


class Chaos(threading.Thread):
    """Kills workers, then the master (and restarts it); or restarts PostgreSQL once."""

    def __init__(
        self, server: Server, env: dict[str, str], log: Path, *, kills: int, every: float, postgres: bool
    ) -> None:
        super().__init__(daemon=True)
        self.server, self.env, self.log = server, env, log
        self.kills, self.every, self.postgres = kills, every, postgres
        self.events: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            if self.postgres:
                self.restart_postgres()
            else:
                self.kill_processes()
        except BaseException as error:  # reported by the main thread
            self.error = error

    def restart_postgres(self) -> None:
        time.sleep(self.every)
        began = time.perf_counter()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, "restart"],  # noqa: S603,S607
            check=True,
            capture_output=True,
        )
        self.events.append(f"PostgreSQL restarted (pg_ctlcluster took {time.perf_counter() - began:.1f} s)")

    def kill_processes(self) -> None:
        rng = random.Random()
        for _ in range(self.kills):
            time.sleep(self.every)
            workers = self.server.workers()
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                self.events.append("worker SIGKILL")
        time.sleep(self.every)
        orphans = self.server.workers()
        os.kill(self.server.process.pid, signal.SIGKILL)
        self.server.process.wait()
        time.sleep(0.5)
        for pid in orphans:  # the service manager kills the whole group
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.events.append(f"master SIGKILL (and its {len(orphans)} orphaned workers)")
        began = time.perf_counter()
        self.server.log.close()
        self.server = Server("wsgi:portal", self.env, self.log, port=self.server.port)
        self.events.append(
            f"gunicorn restarted on the same port, serving again after {time.perf_counter() - began:.1f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=5, help="a reporter without a receipt tries again")
    parser.add_argument("--restart-postgres", action="store_true")
    args = parser.parse_args()
    if args.restart_postgres and args.db != "postgresql":
        parser.error("--restart-postgres needs --db postgresql")
    deployment = deploy(args.db, extra={**UNLIMITED, **CHEAP_KDF}, prefix="kanal-fault-", pg_name="kanal_fault")
    log = deployment.tmp / "portal.log"
    server = Server("wsgi:portal", deployment.env, log)
    chaos = Chaos(server, deployment.env, log, kills=args.kills, every=args.every, postgres=args.restart_postgres)
    failed_pages: list[Submitted] = []

    def note(_index: int, result: Submitted) -> None:
        if result.receipt is None:
            failed_pages.append(result)

    try:
        chaos.start()
        outcome = send(server.base, args.n, args.concurrency, retries=args.retries, on_result=note)
        chaos.join()
        if chaos.error:
            raise chaos.error
        server = chaos.server
        server.wait_ready()
        check(outcome, server.base, deployment, args.concurrency)
    finally:
        chaos.server.stop()
        server.stop()
        deployment.drop()
    assert outcome.checks is not None
    with_page = [r for r in failed_pages if r.status >= 400]
    retry_pages = sum(any(text in r.page for text in RETRY_TEXTS) for r in with_page if r.status >= 500)
    kind = "PostgreSQL restart" if args.restart_postgres else "process kills"
    print(f"fault test ({kind}): database {args.db}, gunicorn workers 4, concurrency {args.concurrency}")
    for event in chaos.events:
        print(f"  event: {event}")
    print(outcome.summary())
    print(
        f"failed attempts: {len(failed_pages)} (connection reset or refused: {outcome.statuses.get(0, 0)}, "
        f"5xx: {outcome.server_errors}, of which showing the 'try again' error page: {retry_pages}); "
        f"statuses of all attempts: {dict(outcome.statuses)}"
    )
    print(f"reporters without a receipt after {args.retries} retries: {outcome.sent - len(outcome.receipts)}")
    print(f"false receipts (returned, but the case does not open with its content): {outcome.false_receipts}")
    print(
        f"cases stored without a receipt reaching the client (worker died after commit): "
        f"{outcome.stored - len(outcome.receipts)}"
    )
    print(f"integrity: {outcome.checks}")
    other_errors = [r.status for r in with_page if r.status < 500]
    ok = (
        outcome.false_receipts == 0
        and outcome.verified == len(outcome.receipts)
        and outcome.stored >= len(outcome.receipts)
        and integrity_ok(outcome.checks)
        and retry_pages == outcome.server_errors
        and not other_errors
    )
    print("NOTHING RETURNED WAS LOST" if ok else "LOSS OR ERRORS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
