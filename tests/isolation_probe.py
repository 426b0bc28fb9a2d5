"""Run by tests/test_database_isolation.py in a pytest of its own, without xdist, in file order:
every `test_1_*` writes and commits rows (through the portal and through a session), in each kind
of database tests/conftest.py gives; every `test_2_*`, run after all of them on the same backend,
finds none of those rows. Not part of the suite itself: its name does not start with test_.
"""

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import Base, Case, Category, Opd
from cases.platform.seed import CATEGORIES, DEFAULT_OPD_FILE, read_opd_file
from tests.actions import submit_report

MARK = "isolation-probe"
WRITERS = {"rolled back, seeded", "rolled back, bare", "committed, seeded", "committed, bare"}
WRITTEN: dict[str, set[str]] = {}  # backend -> the writers that ran, in this process


def _backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.node.callspec.params["db_url"]
    return backend


def _rows(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _write(request: pytest.FixtureRequest, session: Session, writer: str, portal: FlaskClient | None = None) -> None:
    if portal is not None:
        submit_report(portal)  # the portal's own session commits a case
        assert session.scalar(select(func.count()).select_from(Case)) == 1
    session.add(Opd(name=f"{MARK} {writer}"))
    session.add(Category(code=MARK, name_id=MARK, name_en=MARK, position=99))
    session.commit()
    assert set(session.scalars(select(Opd.name).where(Opd.name.like(f"{MARK}%")))) == {f"{MARK} {writer}"}
    WRITTEN.setdefault(_backend(request), set()).add(writer)


def _nothing_left(request: pytest.FixtureRequest, session: Session, *, seeded: bool) -> None:
    assert WRITTEN.get(_backend(request)) == WRITERS  # every writer ran before, in this process
    expected = dict.fromkeys(_rows(session), 0)
    if seeded:  # what recovery_secret promises, no more
        expected |= {
            "category": len(CATEGORIES) + 1,  # and the retaliation category (issue 20)
            "opd": len(read_opd_file(DEFAULT_OPD_FILE)) + 1,  # and "Tidak tahu / lainnya"
            "recovery_key": 1,
            "audit_event": 1,
            "reference_version": 1,  # the lists' token (cases.platform.seed.new_reference_token)
        }
    assert _rows(session) == expected


def test_1_rolled_back_seeded(
    request: pytest.FixtureRequest, portal: FlaskClient, session: Session, recovery_secret: bytes
) -> None:
    _write(request, session, "rolled back, seeded", portal)


def test_1_rolled_back_bare(request: pytest.FixtureRequest, session: Session) -> None:
    _write(request, session, "rolled back, bare")


@pytest.mark.committed
def test_1_committed_seeded(
    request: pytest.FixtureRequest, portal: FlaskClient, session: Session, recovery_secret: bytes
) -> None:
    _write(request, session, "committed, seeded", portal)


@pytest.mark.committed
def test_1_committed_bare(request: pytest.FixtureRequest, session: Session) -> None:
    _write(request, session, "committed, bare")


def test_2_rolled_back_seeded(request: pytest.FixtureRequest, session: Session, recovery_secret: bytes) -> None:
    _nothing_left(request, session, seeded=True)


def test_2_rolled_back_bare(request: pytest.FixtureRequest, session: Session) -> None:
    _nothing_left(request, session, seeded=False)


@pytest.mark.committed
def test_2_committed_seeded(request: pytest.FixtureRequest, session: Session, recovery_secret: bytes) -> None:
    _nothing_left(request, session, seeded=True)


@pytest.mark.committed
def test_2_committed_bare(request: pytest.FixtureRequest, session: Session) -> None:
    _nothing_left(request, session, seeded=False)
