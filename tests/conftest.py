"""Shared fixtures: a clean database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), cheap KDF parameters, both apps and their clients.

Each xdist worker builds its databases once per backend; every test then starts from a clean copy,
of one of three kinds (docs/TESTING.md says why):

- *rolled back*, most tests (those with `engine` among their fixtures): the worker's database
  (its tables; and the seed data and a recovery key when the test asks for `recovery_secret`)
  inside one outer transaction, rolled back after the test. Every session, the test's and the
  apps', joins that transaction through a SAVEPOINT of its own (cases.platform.db), so commit and
  rollback behave as usual inside the test. Any other engine opening that database is refused,
  since it could not see the test's rows; and the test fails if rows outlive it.
- *committed*, tests marked `@pytest.mark.committed` (threads, engines of their own, other
  processes): a database their commits really reach. On SQLite a copy of the worker's template
  file; on PostgreSQL the worker's scratch schema, emptied by one TRUNCATE and refilled from the
  template.
- *empty*, tests that ask for no tables (no `engine`: migrations, the CLI's installation): a new
  SQLite file or a new PostgreSQL schema, with nothing in it.
"""

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, RootTransaction, event, func, make_url, select, text
from sqlalchemy.orm import Session

import cases.web.app
from cases.models import Base
from cases.platform.config import Config
from cases.platform.db import create_schema, make_engine, make_session_factory, normalise_url
from cases.platform.seed import load_seed
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.trust import Trust
from cases.web.app import dispose
from crypto.passphrase import KdfParams
from tests.actions import TotpClock

CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
BACKENDS = ["sqlite", "postgresql"]
# One per worker, not per test: the recovery key's audit event in the template is keyed with it.
AUDIT_KEY = "test-audit-" + secrets.token_hex(16)
TABLES = [table.name for table in Base.metadata.sorted_tables]  # parents first
COUNT_ROWS = select(
    *(select(func.count()).select_from(table).scalar_subquery() for table in Base.metadata.sorted_tables)
)


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL tests run under `make test`")
    return url


def _in_schema(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _begin_explicitly(engine: Engine) -> Engine:
    """SQLite's driver opens transactions on its own and cannot nest them: let SQLAlchemy emit BEGIN,
    so the outer transaction and its SAVEPOINTs are real (SQLAlchemy's pysqlite documentation)."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


@dataclass
class Template:
    """One kind of database in one backend of this worker: "bare" (the tables) or "seeded" (the
    tables, the seed data and a recovery key, as `recovery_secret` promises)."""

    url: str  # the database rolled-back tests share
    engine: Engine  # its engine: each test checks out one connection
    rows: tuple[int, ...]  # rows per table, which every rolled-back test must leave as they were
    master: bytes = b""  # the recovery master secret ("seeded")
    fingerprint: str = ""  # and the recovery key's fingerprint, for each test's roots file
    file: Path | None = None  # SQLite: the pristine file committed tests copy
    # PostgreSQL: puts every sequence back where the template left it, since a rollback does not
    # (SQLite's rowids and sqlite_sequence roll back with the rest)
    restart: str = ""


def _fill(engine: Engine, kind: str) -> tuple[bytes, str]:
    create_schema(engine)
    if kind == "bare":
        return b"", ""
    with make_session_factory(engine, Trust(audit_key=AUDIT_KEY.encode()))() as session, session.begin():
        load_seed(session)
        key, master = generate_recovery_key(session)
        return master, recovery_fingerprint(key)


class Databases:
    """This worker's databases on one backend, built on first use and kept for the session."""

    def __init__(self, backend: str, root: Path) -> None:
        self.backend, self.root = backend, root
        self.prefix = "w_" + secrets.token_hex(5)  # PostgreSQL schemas: <prefix>_bare, _seeded, _scratch
        self.templates: dict[str, Template] = {}
        self.scratch: Engine | None = None
        self.admin: Engine | None = None

    def template(self, kind: str) -> Template:
        if kind not in self.templates:
            self.templates[kind] = self._build_sqlite(kind) if self.backend == "sqlite" else self._build_postgres(kind)
        return self.templates[kind]

    def _build_sqlite(self, kind: str) -> Template:
        file = self.root / f"{kind}-template.db"
        for old in self.root.glob(f"{kind}*.db*"):  # built again after a failure: from nothing
            old.unlink()
        engine = make_engine(f"sqlite:///{file}")
        master, fingerprint = _fill(engine, kind)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole database in the file
        engine.dispose()
        shared = self.root / f"{kind}.db"
        shutil.copyfile(file, shared)
        url = f"sqlite:///{shared}"
        engine = _begin_explicitly(make_engine(url))
        return Template(url, engine, self._rows(engine), master, fingerprint, file=file)

    def _postgres(self) -> Engine:
        if self.admin is None:
            self.admin = make_engine(_postgres_url())
        return self.admin

    def _build_postgres(self, kind: str) -> Template:
        schema = f"{self.prefix}_{kind}"
        with self._postgres().begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _in_schema(_postgres_url(), schema)
        engine = make_engine(url)
        master, fingerprint = _fill(engine, kind)
        with engine.connect() as connection:
            sequences = connection.execute(
                text("SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = :schema"),
                {"schema": schema},
            ).all()
        restart = "SELECT " + ", ".join(
            f'setval(\'"{schema}"."{name}"\', {start}, false)'
            if last is None
            else f'setval(\'"{schema}"."{name}"\', {last}, true)'
            for name, start, last in sequences
        )
        return Template(url, engine, self._rows(engine), master, fingerprint, restart=restart)

    @staticmethod
    def _rows(engine: Engine) -> tuple[int, ...]:
        with engine.connect() as connection:
            counts = tuple(connection.execute(COUNT_ROWS).one())
            connection.rollback()
        return counts

    # Rolled back: one connection, one outer transaction.

    def begin(self, kind: str) -> tuple[Connection, RootTransaction]:
        template = self.template(kind)
        connection = template.engine.connect()
        outer = connection.begin()
        if template.restart:
            connection.exec_driver_sql(template.restart)
        return connection, outer

    def end(self, kind: str, connection: Connection, outer: RootTransaction) -> None:
        template = self.template(kind)
        try:
            intact = outer.is_active
            connection.rollback()
            left = tuple(connection.execute(COUNT_ROWS).one())
            connection.rollback()
        finally:
            connection.close()
        if intact and left == template.rows:
            return
        # Never let another test see them: this kind is built again, from scratch, for the next one.
        del self.templates[kind]
        template.engine.dispose()
        if self.backend == "postgresql":
            with self._postgres().begin() as admin:
                admin.execute(text(f'DROP SCHEMA "{self.prefix}_{kind}" CASCADE'))
        where = dict(zip(TABLES, zip(template.rows, left, strict=True), strict=True))
        raise AssertionError(
            "rows outlived the test (its outer transaction was "
            f"{'still open' if intact else 'ended by something else'}): "
            + ", ".join(f"{name} {was}->{now}" for name, (was, now) in where.items() if was != now)
        )

    # Committed: a real database of the test's own.

    def committed(self, kind: str, data_dir: Path) -> str:
        template = self.template(kind)
        if self.backend == "sqlite":
            assert template.file is not None
            data_dir.mkdir(parents=True, exist_ok=True)
            target = data_dir / "kanal.db"
            shutil.copyfile(template.file, target)
            return f"sqlite:///{target}"
        schema, source = f"{self.prefix}_scratch", f"{self.prefix}_{kind}"
        url = _in_schema(_postgres_url(), schema)
        if self.scratch is None:
            with self._postgres().begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            self.scratch = make_engine(url)
            create_schema(self.scratch)
        with self.scratch.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")  # a connection left open fails, not hangs
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{name}"' for name in TABLES) + " RESTART IDENTITY CASCADE"
            )
            for name, rows in zip(TABLES, template.rows, strict=True):
                if rows:
                    connection.exec_driver_sql(
                        f'INSERT INTO "{name}" SELECT * FROM "{source}"."{name}"'  # noqa: S608 - our own table names
                    )
            if template.restart:
                connection.exec_driver_sql(template.restart.replace(f'"{source}".', f'"{schema}".'))
        self.scratch.dispose()  # its connections belong to no test
        return url

    def close(self) -> None:
        for template in self.templates.values():
            template.engine.dispose()
        if self.scratch is not None:
            self.scratch.dispose()
        if self.admin is not None:
            with self.admin.begin() as connection:
                for kind in ("bare", "seeded", "scratch"):
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.prefix}_{kind}" CASCADE'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def worker_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Databases]]:
    root = tmp_path_factory.mktemp("databases")
    databases = {backend: Databases(backend, root) for backend in BACKENDS}
    yield databases
    for each in databases.values():
        each.close()


@dataclass(frozen=True)
class GivenDatabase:
    """What `db_url` made for this test (the kind, and the connection of a rolled-back test)."""

    kind: str
    template: Template | None = None
    connection: Connection | None = None


DATABASE = pytest.StashKey[GivenDatabase]()


def _refuse_other_engines(url: str, shared: Engine) -> object:
    """Another engine on the shared database would see none of the test's rows: fail, and say why."""
    target = make_url(normalise_url(url))

    def refuse(connection: Connection) -> None:
        if connection.engine is not shared and connection.engine.url == target:
            connection.invalidate()  # closed now, not left to the garbage collector
            raise RuntimeError(
                "this test opened an engine of its own on the database its other sessions see through one "
                "rolled-back transaction; mark it @pytest.mark.committed (tests/conftest.py)"
            )

    return refuse


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, worker_databases: dict[str, Databases]) -> Iterator[str]:
    """The test's database URL; which kind of database depends on the fixtures it asks for (above)."""
    backend: str = request.param
    if backend == "postgresql":
        _postgres_url()
    databases = worker_databases[backend]
    names = request.fixturenames
    kind = "seeded" if "recovery_secret" in names else "bare"
    data_dir = tmp_path / "data"
    if "engine" not in names:
        request.node.stash[DATABASE] = GivenDatabase("empty")
        yield from _empty_database(backend, data_dir)
    elif request.node.get_closest_marker("committed"):
        request.node.stash[DATABASE] = GivenDatabase(kind, databases.template(kind))
        yield databases.committed(kind, data_dir)
    else:
        template = databases.template(kind)
        connection, outer = databases.begin(kind)
        request.node.stash[DATABASE] = GivenDatabase(kind, template, connection)
        real_make_engine = cases.web.app.make_engine

        def routed(url: str, **kwargs: object) -> object:  # the apps' engine is the test's connection
            return (
                connection if make_url(normalise_url(url)) == template.engine.url else real_make_engine(url, **kwargs)
            )

        refuse = _refuse_other_engines(template.url, template.engine)
        event.listen(Engine, "engine_connect", refuse)
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(cases.web.app, "make_engine", routed)
                yield template.url
        finally:
            event.remove(Engine, "engine_connect", refuse)
            databases.end(kind, connection, outer)


def _empty_database(backend: str, data_dir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'kanal.db'}"
        return
    base = _postgres_url()
    schema = "t_" + secrets.token_hex(6)
    admin = make_engine(base)
    with admin.begin() as conn:  # fails loudly if PostgreSQL is configured but down
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _in_schema(base, schema)
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
        audit_key=AUDIT_KEY,
        roster_roots_file=str(data_dir / "roster-roots.txt"),
        kdf=CHEAP_KDF,
    )


@pytest.fixture
def engine(request: pytest.FixtureRequest, config: Config) -> Iterator[Engine]:
    """The test's database with its tables: for a rolled-back test, the connection holding its
    transaction (sessions made on it work in SAVEPOINTs); otherwise an engine of its own."""
    database = request.node.stash[DATABASE]
    if database.connection is not None:
        yield database.connection  # type: ignore[misc]
        return
    engine = make_engine(config.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine, config: Config) -> Iterator[Session]:
    with make_session_factory(engine, config.trust())() as session:
        yield session


@pytest.fixture
def recovery_secret(request: pytest.FixtureRequest, engine: Engine, config: Config) -> bytes:
    """Seed data and a recovery key installed (in the template); its fingerprint among the roots of
    trust, as the installation ceremony leaves it (in this test's roots file); returns the recovery
    master secret."""
    template = request.node.stash[DATABASE].template
    assert template is not None and template.master
    assert config.trust().add_roots(recovery=[template.fingerprint])
    return template.master


class _Bytecode(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _Bytecode()}


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
