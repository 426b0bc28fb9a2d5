"""gunicorn for the public portal (production): `gunicorn -c gunicorn.portal.conf.py wsgi:portal`.

Shared settings (no access log, warnings only, preflight) come from gunicorn.conf.py.
Uploads from phones on weak lines take time even behind nginx's buffering, so the
timeout is generous; workers follow the cores (sync workers; nginx absorbs slow clients).
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
workers = int(os.environ.get("KANAL_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = 120
graceful_timeout = 60
limit_request_line = 4094
limit_request_fields = 50
