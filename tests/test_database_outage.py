"""A database that is down or restarted: the reporter gets a clear, retryable page
(503, Retry-After, in their language), never a false receipt; and after a
PostgreSQL restart the pooled connections are replaced without an error
(pool_pre_ping). The load-time version of this is `make fault` (bench/fault.py)."""

import dataclasses
import logging

import pytest
from flask import Flask
from sqlalchemy import text

from cases.platform.config import Config
from cases.platform.db import make_engine
from cases.web.app import dispose, session_factory
from tests.actions import check_status, csrf_token, submit_report

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/kanal"  # nothing listens on port 1


@pytest.fixture
def down_config(config: Config) -> Config:
    return dataclasses.replace(config, database_url=UNREACHABLE)


def test_the_portal_answers_503_and_asks_to_retry_when_the_database_is_down(
    down_config: Config, recovery_secret: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    from portal import create_app

    app = create_app(down_config)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        client = app.test_client()
        with caplog.at_level(logging.DEBUG):
            form = client.get("/lapor")
            token = csrf_token(client, "/status")
            posted = client.post("/status", data={"csrf_token": token, "receipt": "ABCD-EFGH-JKLM-NPQR"})
        for response in (form, posted):
            page = response.get_data(as_text=True)
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "30"
            assert "Silakan coba lagi dalam satu menit" in page and "kirim ulang laporan" in page
            assert "127.0.0.1:1" not in page and "psycopg" not in page
        english = client.get("/lapor?lang=en").get_data(as_text=True)
        assert "briefly unavailable" in english
        assert "127.0.0.1" not in caplog.text and "ABCD" not in caplog.text  # the type only, never the message
    finally:
        dispose(app)


def test_the_review_app_answers_503_when_the_database_is_down(down_config: Config, recovery_secret: bytes) -> None:
    from review import create_app

    app = create_app(down_config)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        client = app.test_client()
        response = client.post(
            "/login",
            data={"csrf_token": csrf_token(client, "/login"), "username": "rina", "passphrase": "frasa sandi apa saja"},
        )
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        assert "Layanan sedang tidak tersedia" in response.get_data(as_text=True)
    finally:
        dispose(app)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no connection to lose
@pytest.mark.committed  # the app's own pool, cut from outside by another connection
def test_after_a_postgresql_restart_the_next_request_just_works(portal_app: Flask, db_url: str) -> None:
    client = portal_app.test_client()
    receipt = submit_report(client)
    engine = session_factory(portal_app).kw["bind"]
    assert engine.pool.checkedin() == 1  # the one pooled connection, now to be cut
    with session_factory(portal_app)() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    assert engine.pool.checkedin() == 1
    admin = make_engine(db_url)
    try:
        with admin.begin() as conn:  # what a restart does to every open connection
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
    finally:
        admin.dispose()
    response = check_status(client, receipt)
    assert response.status_code in (200, 302), response.status_code
