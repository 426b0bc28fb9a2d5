"""Alembic environment: the models' metadata, the URL from our configuration.

Run through `flask --app wsgi:review db upgrade` (review/cli/platform.py, which
calls cases.platform.migrations.upgrade), which passes the engine's connection
in `config.attributes["connection"]`; plain `alembic` from the repository root
works too (it reads KANAL_* / DATABASE_URL). On SQLite both run with foreign
keys off and check them before committing (cases.platform.migrations).
"""

from alembic import context
from sqlalchemy import Connection

from cases.models import Base
from cases.platform.config import load_config
from cases.platform.db import make_engine
from cases.platform.migrations import check_foreign_keys, refuse_sqlite_foreign_keys_on, sqlite_foreign_keys_off

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    refuse_sqlite_foreign_keys_on(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        check_foreign_keys(connection)


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(load_config().database_url)
    with engine.connect() as fresh, sqlite_foreign_keys_off(fresh):
        run(fresh)
    engine.dispose()
