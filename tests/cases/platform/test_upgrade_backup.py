"""Data survives: an upgrade from the first migration to head, and a backup restored
into a fresh database, both end with a case the recovery key still decrypts."""

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cases.items import open_item
from cases.models import Affiliation, AuditEvent, BackupCode, Case, CaseItem, KeyGrant, Opd, Reviewer
from cases.platform.backup import backup_sqlite
from cases.platform.config import Config
from cases.platform.db import make_engine, make_session_factory
from cases.platform.errors import BackupRefused
from cases.platform.migrations import downgrade, upgrade
from cases.platform.seed import load_seed
from cases.reporting.report_content import ReportContent
from cases.team.grants import active_recovery_key
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.trust import trust_of
from crypto.keys import open_grant
from crypto.recovery import recovery_keypair
from tests.domain import founder, submit_case

CANARY = "KANARI-UPGRADE-7F3A setoran bulanan"


def read_with_recovery(session: Session, master: bytes, case_id: str) -> str:
    """What a custodian does after a disaster: open the case key with the recovery key, read the report."""
    key = active_recovery_key(session)
    grant = session.scalars(
        select(KeyGrant).where(
            KeyGrant.case_id == case_id, KeyGrant.key_kind == "case", KeyGrant.recipient_id == key.recipient_id
        )
    ).one()
    case_key = open_grant(
        grant.sealed,
        recipient_private=recovery_keypair(master).private,
        case_id=case_id,
        key_kind="case",
        recipient_id=key.recipient_id,
    )
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "report")).one()
    return ReportContent.from_bytes(open_item(item, case_key)).what


def populate(engine: Engine, config: Config) -> tuple[bytes, str, dict[str, int]]:
    with make_session_factory(engine, config.trust())() as session:  # audit events need the audit key
        load_seed(session)
        key, master = generate_recovery_key(session)
        trust_of(session).add_roots(recovery=[recovery_fingerprint(key)])
        session.commit()
        opd = session.scalars(select(Opd).order_by(Opd.id)).first()
        assert opd is not None
        case_id = submit_case(session, config, CANARY, opd)
        # a reviewer with a recusal and a backup code: rows hanging off `reviewer` (a table copy on
        # SQLite would cascade its drop to them)
        holder = founder(session, "rina")
        session.add(
            Affiliation(
                reviewer_id=holder.reviewer.id, opd_id=opd.id, kind="conflict", created_at=holder.reviewer.created_at
            )
        )
        session.add(BackupCode(reviewer_id=holder.reviewer.id, code_hash=bytes(32)))
        session.commit()
        return master, case_id, counts(session)


def counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Case, CaseItem, KeyGrant, AuditEvent, Opd, Reviewer, Affiliation, BackupCode)
    }


def test_data_from_the_first_migration_reaches_head_intact(db_url: str, config: Config) -> None:
    engine = make_engine(db_url)
    try:
        # given a database holding a case under the schema of the first migration
        upgrade(engine)
        master, case_id, before = populate(engine, config)
        downgrade(engine, "0001")
        columns = {c["name"] for c in inspect(engine).get_columns("reviewer")}
        assert "email" not in columns  # really the 0001 schema
        # when it is upgraded to head
        upgrade(engine)
        # then every row is still there and the report still decrypts with the recovery key
        with Session(engine) as session:
            assert counts(session) == before
            assert read_with_recovery(session, master, case_id) == CANARY
        assert "email" in {c["name"] for c in inspect(engine).get_columns("reviewer")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_online_backup_restores_a_readable_case(db_url: str, config: Config, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        master, case_id, before = populate(engine, config)
        # the backup is taken while the app's engine holds the database open
        with engine.connect():
            backup_sqlite(db_url, tmp_path / "backup.db")
        assert (tmp_path / "backup.db").stat().st_mode & 0o077 == 0  # operators only
        with pytest.raises(BackupRefused):
            backup_sqlite(db_url, tmp_path / "backup.db")  # never overwrites an older backup
    finally:
        engine.dispose()
    # restore = copy the backup into a fresh place and open it
    restored_path = tmp_path / "restored" / "kanal.db"
    restored_path.parent.mkdir()
    shutil.copy(tmp_path / "backup.db", restored_path)
    restored = make_engine(f"sqlite:///{restored_path}")
    try:
        with Session(restored) as session:
            assert counts(session) == before
            assert read_with_recovery(session, master, case_id) == CANARY
    finally:
        restored.dispose()


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    assert found, f"{name} is missing (Debian package postgresql-client)"
    return str(found)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pg_dump_restores_into_a_fresh_database_with_a_readable_case(db_url: str, config: Config) -> None:
    engine = make_engine(db_url)
    url = make_url(db_url)
    schema = str(url.query.get("options", "")).split("search_path=")[-1] if "options" in url.query else ""
    try:
        upgrade(engine)
        master, case_id, before = populate(engine, config)
    finally:
        engine.dispose()
    server = f"postgresql://{url.username}@{url.host}:{url.port or 5432}"
    dump = subprocess.run(
        [
            _pg_tool("pg_dump"),
            "-Fc",
            "--no-owner",
            *(["-n", schema] if schema else []),  # noqa: S603
            f"{server}/{url.database}",
        ],
        capture_output=True,
        check=True,
    ).stdout
    fresh = "kanal_restore_" + secrets.token_hex(4)  # other runs of the suite may share the server
    admin = make_engine(f"postgresql+psycopg://{url.username}@{url.host}:{url.port or 5432}/{url.database}")
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {fresh}")
            connection.exec_driver_sql(f"CREATE DATABASE {fresh}")
        subprocess.run(
            [_pg_tool("pg_restore"), "--no-owner", "-d", f"{server}/{fresh}"],  # noqa: S603
            input=dump,
            capture_output=True,
            check=True,
        )
        options = f"?options=-csearch_path%3D{schema}" if schema else ""
        restored = make_engine(f"postgresql+psycopg://{url.username}@{url.host}:{url.port or 5432}/{fresh}{options}")
        try:
            with Session(restored) as session:
                assert counts(session) == before
                assert read_with_recovery(session, master, case_id) == CANARY
        finally:
            restored.dispose()
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {fresh}")
        admin.dispose()
