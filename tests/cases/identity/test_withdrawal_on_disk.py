"""A withdrawn identity leaves the SQLite files too: the database file overwrites deleted rows
(secure_delete) and the write-ahead log is emptied after the withdrawal (review finding), so a copy of
the data directory taken afterwards holds no page of it."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.identity.content import IdentityContent
from cases.identity.disclosure import withdraw_identity
from cases.identity.keeping import give_identity
from cases.models import Case, CaseIdentity
from cases.platform.config import Config
from cases.platform.db import forget_old_pages
from cases.platform.seed import active_opds
from tests.domain import founder, submit_case


@pytest.mark.committed
def test_after_withdrawal_no_file_of_the_database_holds_the_identity(
    session: Session, config: Config, recovery_secret: bytes, data_dir: Path
) -> None:
    sqlite = config.database_url.startswith("sqlite")
    kustodian = founder(session, "kustodian", reviewer=False)
    from cases.identity.custodians import confirm_custodian, propose_custodian

    admin, other = founder(session, "ketua", admin=True), founder(session, "wakil")
    proposal = propose_custodian(session, actor=admin.actor, reviewer=kustodian.reviewer)
    confirm_custodian(session, actor=other.actor, proposal_id=proposal.id)
    case_id = submit_case(session, config, "Setoran bulanan ke kepala bidang", active_opds(session)[0])
    case = session.get(Case, case_id)
    assert case is not None
    give_identity(session, case=case, content=IdentityContent(name="Kanari"), protection=False)
    session.commit()
    row = session.get(CaseIdentity, case_id)
    assert row is not None and row.ciphertext is not None
    sealed = row.ciphertext[-48:]  # a piece of the ciphertext, as it sits in a page
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.name.startswith("kanal.db")]
    if sqlite:
        assert any(sealed in p.read_bytes() for p in files)  # the test can see it while it is there
    withdraw_identity(session, case=case)
    session.commit()
    # SQLite: the log is emptied; PostgreSQL: nothing to do here (its dead rows go at VACUUM, docs/IDENTITY.md)
    assert forget_old_pages(session.get_bind().engine) is sqlite  # type: ignore[union-attr]
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.name.startswith("kanal.db")]
    assert bool(files) is sqlite and not any(sealed in p.read_bytes() for p in files)
    assert session.scalars(select(CaseIdentity.ciphertext).where(CaseIdentity.case_id == case_id)).one() is None
