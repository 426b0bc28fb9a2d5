"""gunicorn for the public portal (production): `gunicorn -c gunicorn.portal.conf.py wsgi:portal`.

Shared settings (no access log, warnings only, preflight) come from gunicorn.conf.py.
Uploads from phones on weak lines take time even behind nginx's buffering, so the
timeout is generous. Workers: one sync worker per core (issue 21, bench/workers.py). The portal
is CPU-bound (Python work, a local database with short waits) and nginx hands it only complete
requests, so a worker never waits on a client: more workers than cores only queue the same CPU
behind more processes. Measured on 2 cores, submissions at concurrency 8: 2 workers p99 161-177 ms,
3 workers 263-478 ms, 5 workers 635-850 ms, throughput the same within noise (54-80/s), memory
236 / 316 / 476 MiB (each worker also keeps a sandbox child for file cleaning). More workers (or
gthread) help only where a worker waits: a remote database with long round trips, or gunicorn
exposed without nginx's buffering (never do that: docs/PERFORMANCE.md, "Slow clients").
"""

import multiprocessing
import os
import runpy
from pathlib import Path

globals().update(
    {
        name: value
        for name, value in runpy.run_path(str(Path(__file__).with_name("gunicorn.conf.py"))).items()
        if not name.startswith("__")
    }
)

bind = os.environ.get("KANAL_PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KANAL_WORKERS", multiprocessing.cpu_count()))
timeout = 120
graceful_timeout = 60
limit_request_line = 4094
limit_request_fields = 50
