"""How many sync workers for the portal (issue 21, point 4): submissions at concurrency 8 and 32
with the portal on `cores`, `cores + 1` and `2 × cores + 1` sync workers, measured in turn, twice.

The portal is CPU-bound (every request is Python work; the database is local and its waits are
short), so more sync workers than cores only queue the same CPU behind more processes: throughput
stays, tail latency and memory grow. Figures in docs/PERFORMANCE.md.

    .venv/bin/python bench/workers.py [--count 150]
"""

import argparse
import json
import os
import sys
import time

from attachment_memory import rss_kib
from harness import UNLIMITED, Server, deploy, form_choices, submit
from run import load_level


def measure(workers: int, count: int) -> dict[str, object]:
    deployment = deploy("sqlite", extra=UNLIMITED, prefix="kanal-workers-")
    server = Server("wsgi:portal", deployment.env, deployment.tmp / "portal.log", workers=workers)
    try:
        choices = form_choices(server.base)
        for n in range(10):
            submit(server.base, f"warm-{n}", choices)
        out: dict[str, object] = {"workers": workers}
        for concurrency in (8, 32):

            def one(index: int, concurrency: int = concurrency) -> None:
                assert submit(server.base, f"KANARI-{concurrency}-{index}", choices).receipt

            out[str(concurrency)] = load_level(one, count, concurrency, server)
        rss = sum(rss_kib(pid) for pid in [server.process.pid, *server.workers()]) // 1024
        out["rss_mib"] = rss
        return out
    finally:
        server.stop()
        deployment.drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=150)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    results = []
    for _round in range(2):
        for workers in (cores, cores + 1, 2 * cores + 1):
            started = time.perf_counter()
            results.append(measure(workers, args.count))
            results[-1]["seconds"] = round(time.perf_counter() - started, 1)
            sys.stdout.write(json.dumps(results[-1]) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
