"""Engine and session factory, with SQLite made safe for two processes.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys on
every connection; any other SQLAlchemy URL (PostgreSQL via psycopg 3 in
production) is used as given.
"""

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from cases.models import Base
from cases.team.trust import Trust
from cases.triage import label_order  # noqa: F401 - keeps labels' sort keys at every flush (issue 21)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    # A page cache of up to 16 MiB per connection (SQLite's default is 2 MiB): the case list's index
    # walks at 100,000 cases otherwise read most pages through the OS (issue 21, docs/PERFORMANCE.md).
    # Taken only as pages are read; a sync worker uses one connection at a time.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        # A server restart breaks every pooled connection: test each at checkout so the
        # first request after it does not fail (docs/PERFORMANCE.md, fault test).
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(bind: Engine | Connection, trust: Trust) -> sessionmaker[Session]:
    """Sessions that carry the installation's trust (cases.team.trust) in `session.info`.

    The apps bind an Engine. Bound to a Connection already in a transaction (the tests roll each
    test back), each session works in a SAVEPOINT of that transaction, so its commit and rollback
    end there; with an Engine, `join_transaction_mode` changes nothing."""
    return sessionmaker(
        bind=bind, expire_on_commit=False, info={"trust": trust}, join_transaction_mode="create_savepoint"
    )


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def forget_old_pages(bind: Engine | Connection) -> bool:
    """SQLite: copy the write-ahead log into the database file and empty it, so that page images of
    rows deleted on purpose (a withdrawn identity, issue 20) do not linger in `kanal.db-wal` until
    overwritten (the file itself is overwritten on delete: secure_delete). Best effort, after the
    commit: False when readers keep the log busy (the next checkpoint empties it) or for PostgreSQL,
    whose dead rows go at its next VACUUM (docs/IDENTITY.md)."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return False
    with bind.connect() as connection:
        busy, _log, _moved = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return bool(busy == 0)
