"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), cheap KDF parameters, both apps and their clients.
"""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from cases.platform.config import Config
from cases.platform.db import create_schema, make_engine, make_session_factory
from cases.platform.seed import load_seed
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.trust import trust_of
from cases.web.app import dispose
from crypto.passphrase import KdfParams
from tests.actions import TotpClock

CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL tests run under `make test`")
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'kanal.db'}"
        return
    base = _postgres_url()
    schema = "t_" + secrets.token_hex(6)
    admin = make_engine(base)
    with admin.begin() as conn:  # fails loudly if PostgreSQL is configured but down
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def config(db_url: str, data_dir: Path) -> Config:
    return Config(
        env="test",
        data_dir=data_dir,
        database_url=db_url,
        portal_secret_key="test-portal-" + secrets.token_hex(16),
        review_secret_key="test-review-" + secrets.token_hex(16),
        receipt_key="test-receipt-" + secrets.token_hex(16),
        audit_key="test-audit-" + secrets.token_hex(16),
        roster_roots_file=str(data_dir / "roster-roots.txt"),
        kdf=CHEAP_KDF,
    )


@pytest.fixture
def engine(config: Config) -> Iterator[Engine]:
    engine = make_engine(config.database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine, config: Config) -> Iterator[Session]:
    with make_session_factory(engine, config.trust())() as session:
        yield session


@pytest.fixture
def recovery_secret(engine: Engine, config: Config) -> bytes:
    """Seed data and a recovery key installed; returns the recovery master secret."""
    with make_session_factory(engine, config.trust())() as session, session.begin():
        load_seed(session)
        key, master = generate_recovery_key(session)
        # The installation ceremony puts its fingerprint among the roots of trust (outside the database).
        assert trust_of(session).add_roots(recovery=[recovery_fingerprint(key)])
    return master


@pytest.fixture
def portal_app(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    from portal import create_app

    app = create_app(config)
    app.config.update(TESTING=True)
    yield app
    dispose(app)


@pytest.fixture
def review_app(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    from review import create_app

    app = create_app(config)
    app.config.update(TESTING=True)
    yield app
    dispose(app)


@pytest.fixture
def portal(portal_app: Flask) -> FlaskClient:
    return portal_app.test_client()


@pytest.fixture
def review(review_app: Flask) -> FlaskClient:
    return review_app.test_client()


@pytest.fixture
def config_app(config: Config, data_dir: Path) -> Iterator[Flask]:
    """The review app over an empty database (no tables yet): for CLI commands."""
    from review import create_app

    app = create_app(config)
    yield app
    dispose(app)


@pytest.fixture(autouse=True)
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> "TotpClock":
    """Every test gets a TOTP clock that moves one step per code asked for."""
    from tests import actions

    clock = actions.TotpClock()
    monkeypatch.setattr(actions, "CLOCK", clock)
    monkeypatch.setattr("cases.team.second_factor.time", clock)
    return clock


# Live gunicorn servers for end-to-end tests (a fixture defined in tests/live.py).
from tests.live import servers  # noqa: E402, F401
