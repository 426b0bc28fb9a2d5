"""Rate limits hold across 4 gunicorn workers when they share Redis.

A flood spread over many connections lands on different worker processes; with
per-process (memory) counters each worker would grant the whole limit again.
Against the real Redis of `make test` the global ceiling must hold exactly.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.live import ROOT, free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
LIMIT = 6
ATTEMPTS = 24


def _visit_and_check(base: str) -> int:
    """One visitor (its own cookie jar, new connections): open the status form, send a receipt."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/status", timeout=30) as response:
        page = response.read().decode()
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    data = urllib.parse.urlencode({"csrf_token": match.group(1), "receipt": "AAAA-BBBB-CCCC-DDDD"}).encode()
    try:
        with opener.open(base + "/status", data=data, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def portal_with_redis(tmp_path: Path) -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests run under `make test`")
    import redis

    # Fails (not skips) when Redis was promised but is not there.
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()  # a database of its own (see the Makefile)
    env = {**os.environ, "KANAL_DATA_DIR": str(tmp_path / "data"), "KANAL_KDF_MEMORY_KIB": "1024",
           "KANAL_KDF_ITERATIONS": "1", "KANAL_KDF_LANES": "1", "KANAL_REDIS_URL": REDIS_URL,
           "KANAL_LIMIT_STATUS": "1000/minute", "KANAL_LIMIT_STATUS_GLOBAL": f"{LIMIT}/minute"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
                   cwd=ROOT, env=env, capture_output=True, check=True, timeout=120)
    port = free_port()
    log = (tmp_path / "portal.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "4",
         "--bind", f"127.0.0.1:{port}", "wsgi:portal"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        client.flushdb()


def test_the_global_status_limit_holds_across_four_workers(portal_with_redis: str) -> None:
    # when two dozen visitors check receipts at once, over separate connections to 4 workers
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _n: _visit_and_check(portal_with_redis), range(ATTEMPTS)))
    # then exactly the global ceiling is served and every other attempt gets the 429 page
    assert sorted(set(answers)) == [200, 429]
    assert answers.count(200) == LIMIT
    assert answers.count(429) == ATTEMPTS - LIMIT
