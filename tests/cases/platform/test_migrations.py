"""Alembic owns the schema: migrations build exactly what the models describe."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cases.models import (
    Attachment,
    AttachmentChunk,
    AuditEvent,
    Base,
    Case,
    CaseItem,
    CaseRead,
    Category,
    KeyGrant,
    Opd,
    Reviewer,
)
from cases.platform.config import Config
from cases.platform.db import make_engine, make_session_factory
from cases.platform.migrations import ForeignKeysOn, alembic_config, upgrade
from cases.team.trust import trust_of


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


def _old_reviewer(session: Session, now: datetime) -> Reviewer:
    """A reviewer row as schemas before 0009 stored it (raw: the model has moved on), loaded by id only."""
    session.execute(
        text(
            "INSERT INTO reviewer (id, username, display_name, is_admin, is_reviewer, state, created_at, "
            "needs_grants, totp_enabled, failed_logins) VALUES ('r0', 'ana', 'Ana', false, true, 'active', :at, "
            "false, false, 0)"
        ),
        {"at": now},
    )
    return Reviewer(id="r0")


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
            session.add_all([category, opd])
            session.flush()
            reviewer = _old_reviewer(session, now)
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
                    CaseRead(reviewer_id=reviewer.id, case_id=cases[0].id, seen_seq=1),
                ]
            )
            # a label and a visit as 0006 stored them: raw, the model has moved on (0018: sort keys; 0008:
            # a visit keeps no case id in a plaintext column)
            session.execute(
                text("INSERT INTO case_label (case_id, label) VALUES (:case_id, 'perlu audit')"),
                {"case_id": cases[0].id},
            )
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
            # 0018: the label took its case's sort keys
            labels = Base.metadata.tables["case_label"]
            assert connection.execute(select(labels.c.next_due, labels.c.received_at)).one() == (None, now)
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


def test_0009_keeps_every_row_rounds_team_times_and_the_old_chain_still_verifies(
    db_url: str, data_dir: Path, config: Config
) -> None:
    # given a database at 0008 holding a case the team answered at an exact time, its report, a file,
    # a grant, a reviewer with exact times, a lock and a TOTP step, a session, and two keyed events
    from cases.accountability.audit import GENESIS, KEYED, SEALED, keyed_hash, record, verify_chain

    engine = make_engine(db_url)
    exact = datetime(2026, 12, 3, 18, 39, 35, 250000)
    hour = datetime(2026, 12, 3, 18)
    try:
        upgrade(engine, "0008")
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            category, opd = Category(code="x", name_id="x", name_en="x"), Opd(name="Dinas X")
            session.add_all([category, opd])
            session.flush()
            session.execute(
                text(
                    "INSERT INTO reviewer (id, username, display_name, is_admin, is_reviewer, state, created_at, "
                    "activated_at, needs_grants, totp_enabled, totp_last_step, failed_logins, locked_until, "
                    "notified_at) VALUES ('r0', 'ana', 'Ana', false, true, 'active', :at, :at, false, true, "
                    "59000000, 4, :at, :at)"
                ),
                {"at": exact},
            )
            session.execute(
                text(
                    "INSERT INTO reviewer_session (id, reviewer_id, purpose, created_at, last_seen_at) "
                    "VALUES (:id, 'r0', 'full', :at, :at)"
                ),
                {"id": bytes(32), "at": exact},
            )
            case = Case(
                id="c" * 20,
                category_id=category.id,
                opd_id=opd.id,
                status="verifying",
                received_at=hour,
                updated_at=exact,
                first_response_due=hour,
                first_response_at=exact,
                feedback_due=exact,
                next_due=exact,
                receipt_lookup=bytes(32),
                reporter_salt=bytes(32),
            )
            session.add(case)
            session.flush()
            item = CaseItem(
                case_id=case.id,
                seq=1,
                kind="report",
                author="reporter",
                key_kind="case",
                created_at=hour,
                ciphertext=b"c",
            )
            session.add(item)
            session.flush()
            attachment = Attachment(case_id=case.id, item_id=item.id, header=bytes(33), chunk_count=1, created_at=hour)
            session.add(attachment)
            session.flush()
            session.add_all(
                [
                    AttachmentChunk(attachment_id=attachment.id, seq=0, data=b"d"),
                    KeyGrant(
                        case_id=case.id,
                        key_kind="case",
                        recipient_kind="reviewer",
                        recipient_id="reviewer:r0",
                        reviewer_id="r0",
                        sealed=b"s",
                        created_at=hour,
                    ),
                ]
            )
            key = trust_of(session).audit_key
            prev = GENESIS
            for n, action in enumerate(("login", "case.view"), start=1):
                at = exact + timedelta(seconds=n)
                digest = keyed_hash(key, prev, at, "r0", action, case.id, "")
                session.execute(
                    text(
                        "INSERT INTO audit_event (at, actor_id, action, case_id, detail, prev_hash, hash, version) "
                        "VALUES (:at, 'r0', :action, :case, '', :prev, :hash, 2)"
                    ),
                    {"at": at, "action": action, "case": case.id, "prev": prev, "hash": digest},
                )
                prev = digest
        # when 0009 runs
        upgrade(engine)
        # then every row is still there and refers to something
        with engine.connect() as connection:
            counts = {t: _count(connection, t) for t in ("case", "case_item", "attachment", "attachment_chunk")}
            assert counts == dict.fromkeys(counts, 1) and _count(connection, "key_grant") == 1
            assert _count(connection, "reviewer_session") == 0  # sessions end: their times were not sealed
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                # and the tables holding reporter rows keep no arrival order: they have no rowid
                for table in ("case", "case_item", "attachment", "attachment_chunk", "key_grant", "reporter_session"):
                    with pytest.raises(OperationalError):
                        connection.exec_driver_sql(f'SELECT rowid FROM "{table}"')  # noqa: S608 - names from the schema
        with sessions() as session, session.begin():
            # the team's times are hours (notified_at rounded up), locks and steps are gone
            case = session.get(Case, "c" * 20)
            assert case is not None
            assert (case.updated_at, case.feedback_due, case.next_due) == (hour,) * 3
            assert case.first_response_at == hour + timedelta(hours=1)  # the hour it was made by
            reviewer = session.get(Reviewer, "r0")
            assert reviewer is not None and (reviewer.created_at, reviewer.activated_at) == (hour, hour)
            assert reviewer.notified_at == hour + timedelta(hours=1)
            assert reviewer.locked_until_sealed is None and reviewer.totp_last_step_sealed is None
            # the keyed events keep their exact time (their HMAC covers it), the chain verifies, and a new
            # event is sealed and links to them
            assert [e.version for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [KEYED] * 2
            new = record(session, action="logout", actor_id="r0")
            assert new.version == SEALED and new.prev_hash == prev
            assert verify_chain(session) is None
    finally:
        engine.dispose()


def test_0011_adds_trusted_devices_that_go_with_their_reviewer(db_url: str, data_dir: Path, config: Config) -> None:
    # given a database at 0010 with a reviewer
    from cases.models import TrustedDevice
    from cases.platform.migrations import downgrade

    engine = make_engine(db_url)
    hour = datetime(2026, 12, 8, 10)
    try:
        upgrade(engine, "0010")
        assert "trusted_device" not in inspect(engine).get_table_names()
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            session.execute(  # raw: the model has moved on (0012 adds a column)
                text(
                    "INSERT INTO reviewer (id, username, display_name, is_admin, is_reviewer, state, created_at, "
                    "needs_grants, totp_enabled, failed_logins) VALUES ('r1', 'ana', 'Ana', false, true, 'active', "
                    ":at, false, false, 0)"
                ),
                {"at": hour},
            )
        # when 0011 runs, then the reviewer is kept and a trusted device can be bound to them
        upgrade(engine)
        with sessions() as session, session.begin():
            assert session.get(Reviewer, "r1") is not None
            session.add(TrustedDevice(id=bytes(32), reviewer_id="r1", expires_hour=hour, failed_logins=0))
        # and it goes with its reviewer
        with sessions() as session, session.begin():
            session.execute(delete(Reviewer).where(Reviewer.id == "r1"))
        with sessions() as session:
            assert session.scalars(select(TrustedDevice)).all() == []
        # and 0011 comes off again cleanly
        downgrade(engine, "0010")
        assert "trusted_device" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0012_adds_the_hour_of_a_recovery_request(db_url: str, data_dir: Path, config: Config) -> None:
    # given a database at 0011 with a reviewer
    from cases.platform.migrations import downgrade

    engine = make_engine(db_url)
    hour = datetime(2026, 12, 10, 10)
    try:
        upgrade(engine, "0011")
        assert "recovery_requested_at" not in {c["name"] for c in inspect(engine).get_columns("reviewer")}
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            _old_reviewer(session, hour)
        # when 0012 runs, the reviewer is kept, not waiting for anything
        upgrade(engine)
        with sessions() as session:
            reviewer = session.get(Reviewer, "r0")
            assert reviewer is not None and reviewer.recovery_requested_at is None
        # and 0012 comes off again cleanly
        downgrade(engine, "0011")
        assert "recovery_requested_at" not in {c["name"] for c in inspect(engine).get_columns("reviewer")}
    finally:
        engine.dispose()


def test_0015_adds_the_identity_tables_that_go_with_their_case(db_url: str, data_dir: Path, config: Config) -> None:
    # given a database at 0014
    from cases.models import CaseIdentity, IdentityGrant, ProtectionStep
    from cases.platform.migrations import downgrade

    tables = {"case_identity", "identity_grant", "identity_request", "protection_step"}
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0014")
        assert not tables & set(inspect(engine).get_table_names())
        # when 0015 runs, the four tables are there (empty), and go with their case
        upgrade(engine)
        assert tables <= set(inspect(engine).get_table_names())
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            session.execute(
                text(
                    "INSERT INTO category (id, code, name_id, name_en, position, active) "
                    "VALUES (901, 'x', 'X', 'X', 0, true)"
                )
            )
            session.execute(text("INSERT INTO opd (id, name, active) VALUES (901, 'Unit X', true)"))
            hour = datetime(2026, 12, 2, 5)
            session.execute(
                text(
                    'INSERT INTO "case" (id, category_id, opd_id, status, priority, received_at, updated_at, '
                    "first_response_due, receipt_lookup, reporter_salt, item_seq, reporter_seq) VALUES "
                    "('c1', 901, 901, 'new', 'normal', :at, :at, :at, :lookup, :salt, 1, 1)"
                ),
                {"at": hour, "lookup": bytes(32), "salt": bytes(32)},
            )
            session.add(CaseIdentity(case_id="c1", state="held", protection_requested=True, ciphertext=b"x"))
            session.add(IdentityGrant(case_id="c1", recipient_kind="recovery", recipient_id="recovery:k", sealed=b"s"))
            session.add(ProtectionStep(case_id="c1", step="lpsk_referred", done_at=hour))
        with sessions() as session, session.begin():
            session.execute(text("DELETE FROM \"case\" WHERE id = 'c1'"))
        with sessions() as session:
            assert session.scalars(select(CaseIdentity)).all() == []
            assert session.scalars(select(IdentityGrant)).all() == []
            assert session.scalars(select(ProtectionStep)).all() == []
        # and 0015 comes off again cleanly
        downgrade(engine, "0014")
        assert not tables & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0016_adds_retaliation_links_and_category_and_comes_off_keeping_cases(
    db_url: str, data_dir: Path, config: Config
) -> None:
    # given a database at 0014 with two categories, a unit, the reference token and two cases
    from cases.models import CaseLink, ReferenceVersion
    from cases.platform.migrations import downgrade

    engine = make_engine(db_url)
    hour = datetime(2026, 12, 12, 10)
    try:
        upgrade(engine, "0015")
        assert "case_link" not in inspect(engine).get_table_names()
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            session.add_all(
                [
                    Category(code="setoran", name_id="Setoran", name_en="Payments", position=0),
                    Category(code="lainnya", name_id="Lainnya", name_en="Other", position=8),
                    Opd(name="Dinas X"),
                    ReferenceVersion(id=1, token="before"),
                ]
            )
            session.flush()
            category = session.scalars(select(Category)).first()
            opd = session.scalars(select(Opd).where(Opd.name == "Dinas X")).one()
            assert category is not None
            session.add_all(
                [
                    Case(
                        id=case_id,
                        category_id=category.id,
                        opd_id=opd.id,
                        status="new",
                        received_at=hour,
                        updated_at=hour,
                        first_response_due=hour,
                        receipt_lookup=bytes([n]) * 32,
                        reporter_salt=bytes(32),
                    )
                    for n, case_id in enumerate(("a" * 20, "b" * 20))
                ]
            )
        # when 0016 runs, then the retaliation category is there, last and active, and the lists are read again
        upgrade(engine)
        with sessions() as session, session.begin():
            retaliation = session.scalars(select(Category).where(Category.code == "retaliation")).one()
            assert (retaliation.name_id, retaliation.position, retaliation.active) == (
                "Pembalasan terhadap pelapor",
                9,
                True,
            )
            assert session.get(ReferenceVersion, 1).token != "before"  # type: ignore[union-attr]
            # and a retaliation report can be linked to the case it follows
            session.execute(update(Case).where(Case.id == "b" * 20).values(category_id=retaliation.id))
            session.add(CaseLink(case_id="b" * 20, linked_case_id="a" * 20, kind="retaliation"))
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":  # no arrival order, like every table a reporter writes
                ddl = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'case_link'").scalar_one()
                assert "WITHOUT ROWID" in ddl
        # when it comes off again, the links go, and the category stays for its case but leaves the form
        downgrade(engine, "0015")
        assert "case_link" not in inspect(engine).get_table_names()
        with sessions() as session:
            assert _count(session.connection(), "case") == 2
            assert session.scalars(select(Category.active).where(Category.code == "retaliation")).one() is False
        # and back up again, it is in use again
        upgrade(engine)
        with sessions() as session:
            assert session.scalars(select(Category.active).where(Category.code == "retaliation")).one() is True
    finally:
        engine.dispose()


def test_0016_on_a_database_without_retaliation_cases_removes_the_category_when_it_comes_off(
    db_url: str, data_dir: Path, config: Config
) -> None:
    from cases.platform.migrations import downgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0015")
        sessions = make_session_factory(engine, config.trust())
        with sessions() as session, session.begin():
            session.add(Category(code="lainnya", name_id="Lainnya", name_en="Other", position=0))
        upgrade(engine)
        downgrade(engine, "0015")
        with sessions() as session:
            assert list(session.scalars(select(Category.code))) == ["lainnya"]
    finally:
        engine.dispose()
