"""Rate limits per visit and globally, without IP addresses, shared through Redis."""

import dataclasses
import os
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.config import Config
from cases.models import Case
from cases.web import dispose
from portal import create_app
from tests.actions import check_status, report_form


@pytest.fixture
def strict_portal(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    app = create_app(dataclasses.replace(config, limit_status="3/minute", limit_submit="2/hour",
                                         limit_status_global="5/minute"))
    yield app
    dispose(app)


def test_status_checks_are_limited_per_visit(strict_portal: Flask) -> None:
    client = strict_portal.test_client()
    answers = [check_status(client, "AAAA-BBBB-CCCC-DDDD").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


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
    from cases.ratelimit import visit_key

    with strict_portal.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.77"}):
        assert "203.0.113.77" not in visit_key()


def test_limits_hold_across_workers_through_redis(config: Config, recovery_secret: bytes) -> None:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set; Redis tests run under `make test`")
    import redis

    redis.Redis.from_url(url).flushdb()  # a database of its own (see the Makefile)
    shared = dataclasses.replace(config, redis_url=url, limit_status="100/minute", limit_status_global="4/minute")
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
