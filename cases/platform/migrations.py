"""Schema migrations with Alembic (the scripts live in migrations/ at the root)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, inspect

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


class UnversionedDatabase(RuntimeError):
    """Tables exist but Alembic has never run here (a database from before migrations)."""


class ForeignKeysBroken(RuntimeError):
    """A migration left rows that refer to nothing (SQLite's foreign_key_check); nothing is committed."""


class ForeignKeysOn(RuntimeError):
    """Migrations were handed a SQLite connection with foreign keys on (see sqlite_foreign_keys_off)."""


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Run migrations on SQLite with foreign keys off, as SQLite's procedure for altering a table asks.

    SQLite alters a table by copying it (Alembic's batch mode) and dropping the original; with
    foreign keys on, that drop cascades to every row that refers to the table (a case's items,
    grants, files). The switch works only outside a transaction, so it is thrown here, before the
    migrations begin, and thrown back afterwards, whatever happened. Other databases: nothing.
    migrations/env.py refuses a SQLite connection with foreign keys on, and calls
    `check_foreign_keys` before the migrations commit.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() != 0:
        raise ForeignKeysOn("SQLite kept foreign keys on (a transaction was open); a table copy could cascade deletes.")
    connection.rollback()
    try:
        yield
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def check_foreign_keys(connection: Connection) -> None:
    """On SQLite, refuse to commit migrations that left a row referring to nothing."""
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise ForeignKeysBroken(f"{len(broken)} row(s) refer to nothing, first in table {broken[0][0]}.")


def refuse_sqlite_foreign_keys_on(connection: Connection) -> None:
    """Called by migrations/env.py: on SQLite, a table copy with foreign keys on would cascade deletes."""
    if connection.dialect.name == "sqlite" and connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one():
        raise ForeignKeysOn(
            "Run migrations on SQLite through cases.platform.migrations (upgrade, downgrade) or plain "
            "`alembic`: both switch foreign keys off first, so copying a table cannot cascade deletes."
        )


def _run(engine: Engine, step: Callable[[AlembicConfig], object]) -> None:
    config = alembic_config()
    with engine.connect() as connection, sqlite_foreign_keys_off(connection), connection.begin():
        config.attributes["connection"] = connection
        step(config)  # migrations/env.py checks the foreign keys before this commits


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision`."""
    tables = set(inspect(engine).get_table_names())
    if "case" in tables and "alembic_version" not in tables:
        raise UnversionedDatabase(
            "This database was created before migrations existed. For a development database, "
            "delete it (the data directory, instance/ by default) and run `make run` again."
        )
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (to restore an older backup; tests of upgrades)."""
    _run(engine, lambda config: command.downgrade(config, revision))


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    _run(engine, lambda config: command.revision(config, message=message, autogenerate=True))
