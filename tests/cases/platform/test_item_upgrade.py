"""cases.platform.item_upgrade: format 1 items and unpadded file streams stay readable, and the recovery key
re-seals them as format 2 (items) and padded format 3 (streams)."""

import dataclasses
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.evidence.store import Limits, Upload, prepare_file
from cases.models import Attachment, AttachmentChunk, CaseItem, Reviewer
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.item_upgrade import legacy_counts, unpadded_count, upgrade_legacy_items
from cases.platform.readiness import _legacy_item_warnings
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.errors import RecoveryMismatch
from cases.team.grants import open_reviewer_key
from cases.team.trust import trust_of
from cases.triage.reading import download_attachment, read_case
from cases.triage.workflow import add_note
from crypto.keys import KeyPair
from crypto.recovery import new_master_secret
from crypto.stream import is_padded, stored_length
from tests.domain import as_actor, founder
from tests.legacy_format import downgrade_item, downgrade_stream

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
REPORT = "Kepala bidang meminta setoran bulanan."
TEAM_TEXT = "Mohon kirim bukti transfernya."
NOTE_TEXT = "Catatan internal: cocokkan dengan audit 2025."
FILE = b"Daftar setoran Januari sampai Maret, per nama staf honorer.\n" * 2500  # ~150 KB: three chunks


class SizedStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


@dataclass(frozen=True)
class OldCase:
    reviewer: Reviewer
    keys: KeyPair
    case_id: str
    attachment_id: str


@pytest.fixture
def old_case(session: Session, config: Config, recovery_secret: bytes) -> OldCase:
    """A case written before this change: every item and its file in format 1."""
    holder = founder(session, "rina", display_name="Rina")
    reviewer, keys = holder.reviewer, holder.keypair
    prepared = prepare_file(Upload("setoran.txt", SizedStream(FILE)), limits=Limits())
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=REPORT),
        receipt_key=config.receipt_key_bytes,
        files=[prepared],
    ).case_id
    team_replies(session, actor=as_actor(reviewer, keys.private), case_id=case_id, text=TEAM_TEXT)
    add_note(session, actor=as_actor(reviewer, keys.private), case_id=case_id, text=NOTE_TEXT)
    keyring = {
        kind: open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=keys.private, key_kind=kind)
        for kind in ("case", "team")
    }
    attachment = session.scalars(select(Attachment).where(Attachment.case_id == case_id)).one()
    assert downgrade_stream(session, attachment, keyring["case"]) == FILE
    for item in session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)).all():
        downgrade_item(session, item, keyring[item.key_kind])
    session.commit()
    return OldCase(reviewer, keys, case_id, attachment.id)


def _texts(session: Session, old: OldCase) -> dict[int, str | None]:
    detail = read_case(
        session,
        actor=as_actor(old.reviewer, old.keys.private),
        case_id=old.case_id,
    )
    assert detail.report is not None and detail.report.what == REPORT
    return {e.seq: e.text for e in detail.thread}


def _download(session: Session, old: OldCase) -> bytes:
    sessions = make_session_factory(session.get_bind(), trust_of(session))  # type: ignore[arg-type]
    return b"".join(
        download_attachment(
            session,
            sessions=sessions,
            actor=as_actor(old.reviewer, old.keys.private),
            case_id=old.case_id,
            attachment_id=old.attachment_id,
        ).chunks
    )


def _relabel_team_reply(session: Session, old: OldCase) -> None:
    session.execute(
        update(CaseItem).where(CaseItem.case_id == old.case_id, CaseItem.kind == "message").values(author="reporter")
    )
    session.commit()
    session.expire_all()


@pytest.mark.committed  # prod-check's warning reads the database through an engine of its own
def test_format_1_items_stay_readable_until_upgraded(session: Session, old_case: OldCase, config: Config) -> None:
    # given a case whose four items and file are all format 1
    assert legacy_counts(session) == (4, 1)
    # then the team still reads everything, file included
    assert TEAM_TEXT in _texts(session, old_case).values() and NOTE_TEXT in _texts(session, old_case).values()
    assert _download(session, old_case) == FILE
    # and prod-check warns that their metadata is not yet authenticated
    assert any("format 1" in w for w in _legacy_item_warnings(config.database_url))


def test_before_the_upgrade_a_relabelled_format_1_item_goes_unnoticed(session: Session, old_case: OldCase) -> None:
    # the limitation the upgrade removes (docs/CRYPTO.md): format 1 binds no author
    _relabel_team_reply(session, old_case)
    assert TEAM_TEXT in _texts(session, old_case).values()


@pytest.mark.committed  # prod-check's warning reads the database through an engine of its own
def test_upgrade_reseals_everything_and_binds_the_metadata(
    session: Session, old_case: OldCase, recovery_secret: bytes, config: Config
) -> None:
    # when the recovery key upgrades the case
    report = upgrade_legacy_items(session, master_secret=recovery_secret)
    session.commit()
    # then every item is format 2 and the file padded format 3, and they read as before
    assert dataclasses.astuple(report) == (1, 4, 1, 0, 0, 0)
    assert legacy_counts(session) == (0, 0) and _legacy_item_warnings(config.database_url) == []
    assert unpadded_count(session) == 0 and _stored(session, old_case) == stored_length(len(FILE))
    assert TEAM_TEXT in _texts(session, old_case).values()
    assert _download(session, old_case) == FILE
    # and now a relabelled item fails its integrity check
    _relabel_team_reply(session, old_case)
    assert TEAM_TEXT not in _texts(session, old_case).values()
    # and running it again changes nothing
    assert dataclasses.astuple(upgrade_legacy_items(session, master_secret=recovery_secret)) == (0, 0, 0, 0, 0, 0)


def _stored(session: Session, old: OldCase) -> int:
    """The ciphertext the file takes, after checking the chunk count and the header."""
    session.expire_all()
    attachment = session.get(Attachment, old.attachment_id)
    assert attachment is not None and is_padded(attachment.header)
    chunks = session.scalars(
        select(AttachmentChunk.data)
        .where(AttachmentChunk.attachment_id == old.attachment_id)
        .order_by(AttachmentChunk.seq)
    ).all()
    assert attachment.chunk_count == len(chunks)
    return sum(map(len, chunks))


@pytest.mark.committed  # prod-check's warning reads the database through an engine of its own
@pytest.mark.parametrize("size", [len(FILE), 3 * 65536, 0x10000 - 3, 1])
def test_an_unpadded_stream_stays_readable_and_is_padded_by_the_upgrade(
    session: Session, config: Config, recovery_secret: bytes, size: int
) -> None:
    # given a file stored before padding (format 2: its stored length is its exact size)
    holder = founder(session, "rina", display_name="Rina")
    data = (FILE * 2)[:size]
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=REPORT),
        receipt_key=config.receipt_key_bytes,
        files=[prepare_file(Upload("setoran.txt", SizedStream(data)), limits=Limits())],
    ).case_id
    key = open_reviewer_key(
        session, case_id=case_id, reviewer=holder.reviewer, private_key=holder.keypair.private, key_kind="case"
    )
    attachment = session.scalars(select(Attachment).where(Attachment.case_id == case_id)).one()
    downgrade_stream(session, attachment, key, version=b"\x02")
    session.commit()
    old = OldCase(holder.reviewer, holder.keypair, case_id, attachment.id)
    assert legacy_counts(session) == (0, 0) and unpadded_count(session) == 1
    # then it still downloads, and prod-check says it is not padded
    assert _download(session, old) == data
    assert any("not padded" in w for w in _legacy_item_warnings(config.database_url))
    # when the recovery key upgrades it, then it is padded in place, and downloads the same
    report = upgrade_legacy_items(session, master_secret=recovery_secret)
    session.commit()
    assert (report.cases, report.items, report.streams, report.failed) == (1, 0, 1, 0)
    assert unpadded_count(session) == 0 and _legacy_item_warnings(config.database_url) == []
    assert _stored(session, old) == stored_length(size)
    assert _download(session, old) == data


def test_upgrade_with_a_wrong_secret_is_refused(session: Session, old_case: OldCase) -> None:
    with pytest.raises(RecoveryMismatch):
        upgrade_legacy_items(session, master_secret=new_master_secret())
    session.rollback()
    assert legacy_counts(session) == (4, 1)


def test_upgrade_does_not_bless_an_attachment_row_repointed_before_it(
    session: Session, old_case: OldCase, recovery_secret: bytes
) -> None:
    # given a format 1 attachment row pointed at the team's reply before the upgrade runs
    reply = session.scalars(
        select(CaseItem).where(CaseItem.case_id == old_case.case_id, CaseItem.kind == "message")
    ).one()
    session.execute(update(Attachment).where(Attachment.id == old_case.attachment_id).values(item_id=reply.id))
    session.commit()
    # when upgrading, then the reply, the orphaned details and the stream are left alone and counted
    report = upgrade_legacy_items(session, master_secret=recovery_secret)
    assert (report.items, report.streams, report.failed) == (2, 0, 3)
    session.commit()
    assert legacy_counts(session) == (2, 1)
