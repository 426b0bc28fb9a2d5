"""Attack class: flooding and guessing — receipt brute force, report floods,
login guessing in parallel, and limits bypassed by spreading requests over
worker processes (SecureDrop/GlobaLeaks audit findings: bypassable throttling,
missing rate limits on the submission and receipt endpoints).

Limits count per visit (a hash of the session's CSRF token) and globally, never
per IP address. In production they live in Redis, so every gunicorn worker
shares one count; the live tests here start 4 workers against the real Redis of
`make test` (TEST_REDIS_URL) and fail, never skip, when it is set but down.
"""

import dataclasses
import http.cookiejar
import logging
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Case, ReporterSession
from cases.platform.config import Config
from cases.team.login_throttle import FREE_FAILURES
from cases.web.app import dispose
from crypto.receipts import new_receipt
from portal import create_app
from tests.actions import check_status, report_form
from tests.live import ROOT, free_port, wait_until_serving

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


# --- in-process: the rules themselves ----------------------------------------------------------------------------


@pytest.fixture
def strict_portal(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    app = create_app(
        dataclasses.replace(config, limit_status="3/minute", limit_submit="2/hour", limit_status_global="5/minute")
    )
    yield app
    dispose(app)


def test_status_checks_are_limited_per_visit(strict_portal: Flask) -> None:
    client = strict_portal.test_client()
    answers = [check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_receipt_brute_force_hits_the_default_limit_and_opens_nothing(portal_app: Flask, session: Session) -> None:
    # Given the shipped limits (10 per minute per visit) and one real case
    client = portal_app.test_client()
    client.post("/lapor", data=report_form(client))
    # When one visit guesses twenty fresh random receipts
    answers = [check_status(client, new_receipt()).status_code for _ in range(20)]
    # Then the eleventh and every later guess is refused, and no guess opened a reporter session
    assert answers == [200] * 10 + [429] * 10
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ReporterSession)) == 0


def test_a_rate_limited_reporter_leaves_no_log_line(strict_portal: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Each log line is timestamped by the journal: a line per refused request would date the visit."""
    client = strict_portal.test_client()
    with caplog.at_level(logging.DEBUG):
        codes = [check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code for _ in range(5)]
    assert 429 in codes
    assert [r for r in caplog.records if r.levelno < logging.WARNING and r.name.startswith("flask")] == []
    assert not any("exceeded" in r.getMessage() or "ratelimit" in r.getMessage().lower() for r in caplog.records)


def test_refused_requests_are_counted_by_scope_and_day_and_shown_only_once_the_day_is_over(
    strict_portal: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the log no longer says is counted: per scope, per calendar day, nothing else."""
    from datetime import timedelta

    from cases.web import ratelimit

    client = strict_portal.test_client()
    codes = [check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code for _ in range(5)]
    refused = codes.count(429)
    assert refused > 0
    config = strict_portal.extensions["kanal.config"]
    with strict_portal.app_context():
        # today's count is not shown (it would move with each refusal)...
        assert all(counts == dict.fromkeys(ratelimit.SCOPES, 0) for _, counts in ratelimit.breach_counts(config))
        # ...and tomorrow it is: every refusal counted under its scopes, and nothing else
        today = ratelimit.local_today()
        monkeypatch.setattr(ratelimit, "local_today", lambda: today + timedelta(days=1))
        day, counts = ratelimit.breach_counts(config)[-1]
    assert day == today.isoformat()
    assert counts["status-visit"] + counts["status-all"] >= refused
    assert counts["submit-visit"] == counts["submit-all"] == counts["login-all"] == 0


def test_status_checks_have_a_global_ceiling_whatever_the_visit(strict_portal: Flask) -> None:
    codes = []
    for _ in range(3):  # three visits (think: Tor users sharing one exit) of two attempts each
        client = strict_portal.test_client()
        codes += [check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code for _ in range(2)]
    assert codes.count(429) == 1 and codes[-1] == 429


def test_too_many_reports_keep_the_text_and_store_nothing(strict_portal: Flask, session: Session) -> None:
    client = strict_portal.test_client()
    for _ in range(2):
        assert client.post("/lapor", data=report_form(client)).status_code == 200
    third = client.post("/lapor", data=report_form(client, what="Laporan ketiga yang tidak boleh hilang begitu saja."))
    page = third.get_data(as_text=True)
    assert third.status_code == 429
    assert "Laporan ketiga yang tidak boleh hilang begitu saja." in page and "tunggu beberapa menit" in page
    assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_limiter_keys_hold_no_address(strict_portal: Flask) -> None:
    from cases.web.ratelimit import visit_key

    with strict_portal.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.77"}):
        assert "203.0.113.77" not in visit_key()


def test_instances_sharing_a_redis_keep_their_counts_apart(tmp_path: Path) -> None:
    from cases.platform.config import load_config

    config = load_config({"KANAL_DATA_DIR": str(tmp_path), "KANAL_REDIS_PREFIX": "kanal-kota-b"})
    assert config.redis_key_prefix == "kanal-kota-b"
    assert load_config({"KANAL_DATA_DIR": str(tmp_path)}).redis_key_prefix == "kanal"


# --- live: gunicorn with 4 workers --------------------------------------------------------------------------------


def _redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the Redis of `make test`; its keys are removed after.
    Fails (does not skip) when TEST_REDIS_URL is set but Redis does not answer."""
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests run under `make test`")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = "kanal-test-" + secrets.token_hex(6)
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"*/{prefix}-*"):
            client.delete(key)
        client.close()


@contextmanager
def _gunicorn(tmp_path: Path, app: str, extra: dict[str, str], workers: int = 4) -> Iterator[str]:
    env = {
        **os.environ,
        "KANAL_DATA_DIR": str(tmp_path / "data"),
        "KANAL_KDF_MEMORY_KIB": "1024",
        "KANAL_KDF_ITERATIONS": "1",
        "KANAL_KDF_LANES": "1",
        **extra,
    }
    setup = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (tmp_path / "setup.txt").write_text(setup.stdout)
    port = free_port()
    with (tmp_path / f"{app}.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                f"wsgi:{app}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, "/healthz")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def _post_as_new_visitor(base: str, path: str, fields: dict[str, str]) -> int:
    """A visitor of its own (own cookie jar, new connections): open the form, send it once."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + path, timeout=60) as response:
        match = CSRF.search(response.read().decode())
    assert match
    data = urllib.parse.urlencode({"csrf_token": match.group(1), **fields}).encode()
    try:
        with opener.open(base + path, data=data, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    yield from _redis_prefix()


def test_limits_hold_across_app_instances_through_redis(
    config: Config, recovery_secret: bytes, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cases.web.ratelimit import limiter

    # Flask-Limiter keeps the key prefix of the first app its process initialised (production runs one app
    # per process); forget it, so these apps' keys carry this test's own prefix.
    monkeypatch.setattr(limiter, "_key_prefix", "")
    shared = dataclasses.replace(
        config,
        redis_url=REDIS_URL,
        redis_key_prefix=redis_prefix,
        limit_status="100/minute",
        limit_status_global="4/minute",
    )
    workers = [create_app(shared), create_app(shared)]  # two processes' worth of apps
    try:
        codes = []
        for n in range(6):
            client = workers[n % 2].test_client()
            codes.append(check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code)
        assert codes == [200, 200, 200, 200, 429, 429]
    finally:
        for app in workers:
            dispose(app)


LIMIT, ATTEMPTS = 6, 24


def test_the_global_status_limit_holds_across_four_workers(tmp_path: Path, redis_prefix: str) -> None:
    extra = {
        "KANAL_REDIS_URL": REDIS_URL,
        "KANAL_REDIS_PREFIX": redis_prefix,
        "KANAL_LIMIT_STATUS": "1000/minute",
        "KANAL_LIMIT_STATUS_GLOBAL": f"{LIMIT}/minute",
    }
    with _gunicorn(tmp_path, "portal", extra) as base, ThreadPoolExecutor(max_workers=8) as pool:
        # when two dozen visitors check receipts at once, over separate connections to 4 workers
        answers = list(
            pool.map(lambda _n: _post_as_new_visitor(base, "/status", {"receipt": new_receipt()}), range(ATTEMPTS))
        )
    # then exactly the global ceiling is served and every other attempt gets the 429 page
    assert answers.count(200) == LIMIT
    assert answers.count(429) == ATTEMPTS - LIMIT


def test_the_global_submission_limit_holds_across_four_workers(tmp_path: Path, redis_prefix: str) -> None:
    extra = {
        "KANAL_REDIS_URL": REDIS_URL,
        "KANAL_REDIS_PREFIX": redis_prefix,
        "KANAL_LIMIT_SUBMIT": "1000/hour",
        "KANAL_LIMIT_SUBMIT_GLOBAL": "4/minute",
    }
    fields = {"category": "1", "opd": "1", "what": "Kepala bidang meminta setoran setiap bulan dari semua staf."}
    with _gunicorn(tmp_path, "portal", extra) as base, ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _n: _post_as_new_visitor(base, "/lapor", fields), range(12)))
    assert answers.count(200) == 4 and answers.count(429) == 8


def test_parallel_login_guesses_on_four_workers_do_not_bypass_the_account_lock(tmp_path: Path) -> None:
    # Given the review app on 4 workers and the administrator account dev-setup creates
    with _gunicorn(tmp_path, "review", {"KANAL_LIMIT_LOGIN_GLOBAL": "1000/minute"}) as base:
        one_time = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", (tmp_path / "setup.txt").read_text())
        assert one_time
        # When twelve wrong guesses arrive at once, each on its own connection
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(
                pool.map(
                    lambda n: _post_as_new_visitor(
                        base, "/login", {"username": "admin", "passphrase": f"tebakan salah nomor {n}"}
                    ),
                    range(12),
                )
            )
        # Then only the free failures and the one that locks were checked; the rest were refused unchecked
        assert answers.count(401) == FREE_FAILURES + 1
        assert answers.count(429) == 12 - FREE_FAILURES - 1
        # and the lock holds even for the right passphrase
        assert _post_as_new_visitor(base, "/login", {"username": "admin", "passphrase": one_time.group(1)}) == 429
