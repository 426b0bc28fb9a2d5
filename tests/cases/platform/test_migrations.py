"""Alembic owns the schema: migrations build exactly what the models describe."""

from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.models import (
    Attachment,
    AttachmentChunk,
    Base,
    Case,
    CaseItem,
    CaseLabel,
    CaseRead,
    Category,
    KeyGrant,
    Opd,
    Reviewer,
)
from cases.platform.db import make_engine
from cases.platform.migrations import ForeignKeysOn, alembic_config, upgrade


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
    from cases.platform.db import create_schema
    from cases.platform.migrations import UnversionedDatabase

    engine = make_engine(db_url)
    try:
        create_schema(engine)  # tables, but no alembic_version
        with pytest.raises(UnversionedDatabase, match="before migrations"):
            upgrade(engine)
    finally:
        engine.dispose()


def _count(connection: Connection, table: str) -> int:
    return connection.execute(select(func.count()).select_from(Base.metadata.tables[table])).scalar_one()


CHILDREN = ("case_item", "attachment", "attachment_chunk", "key_grant", "case_label", "case_read", "reporter_session")


def test_the_status_check_keeps_every_case_and_what_hangs_on_it(db_url: str, data_dir: Path) -> None:
    # given a database at 0006 (before the status check) holding two cases, one a duplicate of the
    # other, with an item, a file, a grant, a label, a read marker and a reporter's visit
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0006")
        now = datetime(2026, 12, 1, 10)
        with Session(engine) as session, session.begin():
            category, opd = Category(code="x", name_id="x", name_en="x"), Opd(name="Dinas X")
            reviewer = Reviewer(username="ana", display_name="Ana", created_at=now)
            session.add_all([category, opd, reviewer])
            session.flush()
            cases = [
                Case(
                    id=case_id,
                    category_id=category.id,
                    opd_id=opd.id,
                    status=status,
                    received_at=now,
                    updated_at=now,
                    first_response_due=now,
                    receipt_lookup=bytes([n]) * 32,
                    reporter_salt=bytes(32),
                    duplicate_of_id="a" * 20 if n else None,
                )
                for n, (case_id, status) in enumerate((("a" * 20, "closed"), ("b" * 20, "investigating")))
            ]
            session.add_all(cases)
            session.flush()
            item = CaseItem(
                case_id=cases[0].id,
                seq=1,
                kind="report",
                author="reporter",
                key_kind="case",
                created_at=now,
                ciphertext=b"c",
            )
            session.add(item)
            session.flush()
            attachment = Attachment(
                case_id=cases[0].id, item_id=item.id, header=bytes(33), chunk_count=1, created_at=now
            )
            session.add(attachment)
            session.flush()
            session.add_all(
                [
                    AttachmentChunk(attachment_id=attachment.id, seq=0, data=b"d"),
                    KeyGrant(
                        case_id=cases[0].id,
                        key_kind="case",
                        recipient_kind="reviewer",
                        recipient_id=reviewer.id,
                        reviewer_id=reviewer.id,
                        sealed=b"s",
                        created_at=now,
                    ),
                    CaseLabel(case_id=cases[0].id, label="perlu audit"),
                    CaseRead(reviewer_id=reviewer.id, case_id=cases[0].id, seen_seq=1),
                ]
            )
            # a visit as 0006 stored it (case id in a plaintext column): raw, the model has moved on
            session.execute(
                text(
                    "INSERT INTO reporter_session (id, case_id, wrapped_private_key, created_at) "
                    "VALUES (:id, :case_id, :w, :at)"
                ),
                {"id": bytes(32), "case_id": cases[0].id, "w": b"w", "at": now},
            )
        # when the status check runs (on SQLite, 0007 copies the whole `case` table)
        upgrade(engine, "0007")
        # then nothing was lost: not the cases, not their link, not one row that refers to them
        with engine.connect() as connection:
            assert _count(connection, "case") == 2
            assert {table: _count(connection, table) for table in CHILDREN} == dict.fromkeys(CHILDREN, 1)
            case = Base.metadata.tables["case"]
            assert connection.execute(select(case.c.status, case.c.duplicate_of_id).order_by(case.c.id)).all() == [
                ("closed", None),
                ("investigating", "a" * 20),
            ]
            if connection.dialect.name == "sqlite":  # foreign keys are back on for the next user of the connection
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        # and the migrated table refuses a status that is no CaseStatus
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(update(case).where(case.c.id == "b" * 20).values(status="bogus"))
        # when the rest run, then visits are forgotten (0008: no case id in a visit row) and nothing else
        upgrade(engine)
        with engine.connect() as connection:
            kept = tuple(table for table in CHILDREN if table != "reporter_session")
            assert {table: _count(connection, table) for table in kept} == dict.fromkeys(kept, 1)
            assert _count(connection, "reporter_session") == 0 and _count(connection, "case") == 2
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_alembic_refuses_a_sqlite_connection_with_foreign_keys_on(db_url: str, data_dir: Path) -> None:
    # given a caller who hands Alembic a connection of the app's engine (foreign keys on)
    engine = make_engine(db_url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            # then no migration runs: a table copy would cascade its drop to every row referring to it
            with pytest.raises(ForeignKeysOn):
                command.upgrade(config, "head")
    finally:
        engine.dispose()
