"""Alembic owns the schema: migrations build exactly what the models describe."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cases.models import Base
from cases.platform.db import make_engine
from cases.platform.migrations import upgrade


def test_migrations_build_the_models_schema_without_drift(db_url: str, data_dir: Path) -> None:
    # given an empty database (SQLite or PostgreSQL), when every migration runs
    engine: Engine = make_engine(db_url)
    try:
        upgrade(engine)
        # then the result is what the models describe, table for table, column for column
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
        assert differences == []
        assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(db_url: str, data_dir: Path) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)
    finally:
        engine.dispose()


def test_a_database_from_before_migrations_gets_a_clear_message(db_url: str, data_dir: Path) -> None:
    import pytest

    from cases.platform.db import create_schema
    from cases.platform.migrations import UnversionedDatabase

    engine = make_engine(db_url)
    try:
        create_schema(engine)  # tables, but no alembic_version
        with pytest.raises(UnversionedDatabase, match="before migrations"):
            upgrade(engine)
    finally:
        engine.dispose()
