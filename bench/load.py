"""Load test with nothing lost (issue 8): N submissions at concurrency C against the
portal under gunicorn with 4 workers, then every receipt must open its own report.

    .venv/bin/python bench/load.py --db sqlite      [--n 2000 --concurrency 32]
    .venv/bin/python bench/load.py --db postgresql  (database kanal_load, created and dropped)

Each submission is a form GET (CSRF token) and a POST with a unique canary in its
text; afterwards each returned receipt is entered on /status and the reporter's
page must show that canary (decrypted from the case). Rate limits are raised for
the run (harness.UNLIMITED): a load test is, by design, a flood. Prints: sent,
receipts returned, cases stored, cases verified, 5xx; exits 1 if anything is lost.
"""

import argparse
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from harness import (
    CHEAP_KDF,
    UNLIMITED,
    Deployment,
    Server,
    Submitted,
    canaries,
    deploy,
    form_choices,
    integrity,
    integrity_ok,
    submit,
    verify,
)


@dataclass
class Outcome:
    sent: int
    receipts: list[tuple[str, str]]  # (receipt, canary)
    statuses: Counter[int]
    seconds: float
    stored: int = 0
    verified: int = 0
    false_receipts: int = 0
    checks: dict[str, int | str] | None = None

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        return (
            f"sent: {self.sent}, receipts returned: {len(self.receipts)}, cases stored: {self.stored}, "
            f"cases verified: {self.verified}, 5xx: {self.server_errors}"
        )


def send(
    base: str,
    count: int,
    concurrency: int,
    *,
    retries: int = 0,
    on_result: Callable[[int, Submitted], None] | None = None,
) -> Outcome:
    """`count` reporters; one who gets no receipt tries again (all of it: form and POST) up to
    `retries` times after a short pause, as the error page asks. Statuses count every attempt."""
    marks = canaries(count)
    choices = form_choices(base)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    began = time.perf_counter()

    def one(index: int) -> Submitted:
        for attempt in range(retries + 1):
            result = submit(base, marks[index], choices)
            with lock:
                statuses[result.status] += 1
            if on_result:
                on_result(index, result)
            if result.receipt:
                break
            time.sleep(0.5 * (attempt + 1))
        return result

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - began
    receipts = [(r.receipt, mark) for r, mark in zip(results, marks, strict=True) if r.receipt]
    return Outcome(count, receipts, statuses, seconds)


def check(outcome: Outcome, base: str, deployment: Deployment, concurrency: int) -> None:
    """Every receipt opens its own report; count the cases; run the integrity checks."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        opened = list(pool.map(lambda pair: verify(base, *pair), outcome.receipts))
    outcome.verified = sum(opened)
    outcome.false_receipts = len(opened) - outcome.verified
    stored = deployment.scalar('SELECT count(*) FROM "case"')
    outcome.stored = int(stored)
    outcome.checks = integrity(deployment)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    # The reporter's path has no passphrase KDF; cheap parameters only speed up dev-setup.
    deployment = deploy(args.db, extra={**UNLIMITED, **CHEAP_KDF}, prefix="kanal-load-")
    server = Server("wsgi:portal", deployment.env, deployment.tmp / "portal.log", workers=args.workers)
    try:
        outcome = send(server.base, args.n, args.concurrency)
        check(outcome, server.base, deployment, args.concurrency)
    finally:
        server.stop()
        deployment.drop()
    assert outcome.checks is not None
    print(f"load test: database {args.db}, gunicorn workers {args.workers}, concurrency {args.concurrency}")
    print(outcome.summary())
    print(
        f"throughput: {args.n / outcome.seconds:.1f} submissions/s over {outcome.seconds:.1f} s "
        f"(form GET + POST each); statuses: {dict(outcome.statuses)}"
    )
    print(f"integrity: {outcome.checks}")
    ok = (
        len(outcome.receipts) == args.n == outcome.stored == outcome.verified
        and outcome.server_errors == 0
        and integrity_ok(outcome.checks)
    )
    print("NOTHING LOST" if ok else "LOSS OR ERRORS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
