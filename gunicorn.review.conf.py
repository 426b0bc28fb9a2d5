"""gunicorn for the internal review app (production): `gunicorn -c gunicorn.review.conf.py wsgi:review`.

A handful of reviewers: few workers. Each login costs one Argon2id derivation
(64 MiB), so the worker count also bounds the memory a login flood can take.
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

bind = os.environ.get("KANAL_REVIEW_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("KANAL_REVIEW_WORKERS", min(4, multiprocessing.cpu_count() + 1)))
timeout = 60
graceful_timeout = 30
