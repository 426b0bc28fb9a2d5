"""Schema migrations with Alembic (the scripts live in migrations/ at the root)."""

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, inspect

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


class UnversionedDatabase(RuntimeError):
    """Tables exist but Alembic has never run here (a database from before migrations)."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision`."""
    tables = set(inspect(engine).get_table_names())
    if "case" in tables and "alembic_version" not in tables:
        raise UnversionedDatabase(
            "This database was created before migrations existed. For a development database, "
            "delete it (the data directory, instance/ by default) and run `make run` again."
        )
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
