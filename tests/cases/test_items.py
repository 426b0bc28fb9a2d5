"""cases.items: a database writer who edits an item's plaintext columns gets ItemTampered, never the content.

Each test is the attack: a case with a report, two files, a reporter message, a team reply and an
internal note; then one UPDATE the way someone with write access to the database would run it.
"""

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.accountability.errors import ExportRefused
from cases.accountability.export import ExportSelection, export_case, export_choices
from cases.errors import ItemTampered
from cases.evidence.store import Limits, Upload, prepare_file
from cases.items import open_item
from cases.models import Attachment, Case, CaseItem, Reviewer
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import reporter_adds, team_replies, thread
from cases.reporting.receipts import reporter_view
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.team.trust import trust_of
from cases.triage.reading import download_attachment, read_case
from cases.triage.workflow import add_note
from crypto.keys import KeyPair
from tests.domain import as_actor, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
REPORT = "Kepala bidang meminta setoran bulanan."
REPORTER_TEXT = "Saya punya bukti transfer tanggal 3 Maret."
TEAM_TEXT = "Tim integritas: mohon kirim bukti transfernya."
NOTE_TEXT = "Catatan internal: cocokkan dengan audit 2025."
# seq of each item in the case built below
REPORT_SEQ, FILE_A_SEQ, FILE_B_SEQ, REPORTER_SEQ, TEAM_SEQ, NOTE_SEQ = 1, 2, 3, 4, 5, 6


class SizedStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


@dataclass(frozen=True)
class Scene:
    reviewer: Reviewer
    keys: KeyPair
    case_id: str
    case_key: bytes


def _file(name: str, text: bytes) -> Upload:
    return Upload(name, SizedStream(text * 40))


@pytest.fixture
def scene(session: Session, config: Config, recovery_secret: bytes) -> Scene:
    holder = founder(session, "rina", display_name="Rina")
    reviewer, keys = holder.reviewer, holder.keypair
    files = [
        prepare_file(_file(name, text), limits=Limits())
        for name, text in (("a.txt", b"berkas A\n"), ("b.txt", b"berkas B\n"))
    ]
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=REPORT),
        receipt_key=config.receipt_key_bytes,
        files=files,
    ).case_id
    case = session.get(Case, case_id)
    assert case is not None
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=reviewer,
        private_key=keys.private,
    )
    reporter_adds(session, visit=Visit(case, case_key), text=REPORTER_TEXT, files=[], limits=Limits())
    team_replies(session, actor=as_actor(reviewer, keys.private), case_id=case_id, text=TEAM_TEXT)
    add_note(session, actor=as_actor(reviewer, keys.private), case_id=case_id, text=NOTE_TEXT)
    session.commit()
    return Scene(reviewer, keys, case_id, case_key)


def _write(session: Session, scene: Scene, at: int, /, **values: object) -> None:
    """What a database writer does: one UPDATE of item number `at`, outside the application."""
    session.execute(update(CaseItem).where(CaseItem.case_id == scene.case_id, CaseItem.seq == at).values(**values))
    session.commit()
    session.expire_all()


def _item(session: Session, scene: Scene, seq: int) -> CaseItem:
    return session.scalars(select(CaseItem).where(CaseItem.case_id == scene.case_id, CaseItem.seq == seq)).one()


def _team_view(session: Session, scene: Scene) -> dict[int, tuple[bool, str | None]]:
    detail = read_case(
        session,
        actor=as_actor(scene.reviewer, scene.keys.private),
        case_id=scene.case_id,
    )
    return {e.seq: (e.tampered, e.text) for e in detail.thread}


def _reporter_view(session: Session, scene: Scene) -> dict[int, tuple[bool, str | None]]:
    case = session.get(Case, scene.case_id)
    assert case is not None
    return {
        e.seq: (e.tampered, e.text)
        for e in reporter_view(
            session,
            visit=Visit(case, scene.case_key),
        ).thread
    }


def test_untouched_case_reads_in_full(session: Session, scene: Scene) -> None:
    team = _team_view(session, scene)
    assert team[REPORTER_SEQ] == (False, REPORTER_TEXT) and team[TEAM_SEQ] == (False, TEAM_TEXT)
    assert team[NOTE_SEQ] == (False, NOTE_TEXT)
    assert _reporter_view(session, scene)[TEAM_SEQ] == (False, TEAM_TEXT)


def test_team_message_relabelled_as_the_reporters_fails_for_team_and_reporter(session: Session, scene: Scene) -> None:
    # given a database writer who makes the team's question look like the reporter's own words
    _write(session, scene, TEAM_SEQ, author="reporter")
    # then opening it raises the clear error
    with pytest.raises(ItemTampered) as caught:
        open_item(_item(session, scene, TEAM_SEQ), scene.case_key)
    assert caught.value.seq == TEAM_SEQ
    # and neither the team nor the reporter sees the text under the false author; the rest still reads
    assert _team_view(session, scene)[TEAM_SEQ] == (True, None)
    assert _reporter_view(session, scene)[TEAM_SEQ] == (True, None)
    assert _team_view(session, scene)[REPORTER_SEQ] == (False, REPORTER_TEXT)


@pytest.mark.parametrize(
    ("seq", "change"),
    [
        (TEAM_SEQ, {"kind": "outcome"}),  # a question turned into the case's official outcome
        (NOTE_SEQ, {"kind": "status_note"}),
        (REPORTER_SEQ, {"key_kind": "team"}),
        (NOTE_SEQ, {"key_kind": "case"}),
        (TEAM_SEQ, {"seq": 40}),
    ],
    ids=["message-to-outcome", "note-to-status-note", "case-key-to-team", "team-key-to-case", "renumbered"],
)
def test_edited_kind_key_kind_or_seq_fails(session: Session, scene: Scene, seq: int, change: dict[str, object]) -> None:
    # given one column of one item edited in the database
    _write(session, scene, seq, **change)
    edited = _item(session, scene, int(change.get("seq", seq)))  # type: ignore[call-overload]
    key = (
        scene.case_key
        if edited.key_kind == "case"
        else open_reviewer_key(
            session, case_id=scene.case_id, reviewer=scene.reviewer, private_key=scene.keys.private, key_kind="team"
        )
    )
    # then it no longer opens, and the team's page marks it instead of showing it
    with pytest.raises(ItemTampered):
        open_item(edited, key)
    assert _team_view(session, scene)[edited.seq] == (True, None)


def test_two_items_with_swapped_seq_both_fail(session: Session, scene: Scene) -> None:
    # given the reporter's message and the team's reply swapped in the conversation's order
    _write(session, scene, REPORTER_SEQ, seq=-1)
    _write(session, scene, TEAM_SEQ, seq=REPORTER_SEQ)
    _write(session, scene, -1, seq=TEAM_SEQ)
    # then both are marked, for the team and for the reporter
    team = _team_view(session, scene)
    assert team[REPORTER_SEQ] == (True, None) and team[TEAM_SEQ] == (True, None)
    reporter = _reporter_view(session, scene)
    assert reporter[REPORTER_SEQ] == (True, None) and reporter[TEAM_SEQ] == (True, None)


def _attachments(session: Session, scene: Scene) -> tuple[Attachment, Attachment]:
    rows = session.execute(
        select(Attachment, CaseItem.seq)
        .join(CaseItem, CaseItem.id == Attachment.item_id)
        .where(Attachment.case_id == scene.case_id)
        .order_by(CaseItem.seq)
    ).all()
    return rows[0][0], rows[1][0]


def test_attachment_pointed_at_another_details_item_fails(session: Session, scene: Scene) -> None:
    # given two files, and a database writer who swaps which details item each attachment row points at
    first, second = _attachments(session, scene)
    first_item, second_item = first.item_id, second.item_id
    report_item = _item(session, scene, REPORT_SEQ).id  # a free id to pass the unique constraint
    for attachment_id, item_id in ((first.id, report_item), (second.id, first_item), (first.id, second_item)):
        session.execute(update(Attachment).where(Attachment.id == attachment_id).values(item_id=item_id))
    session.commit()
    session.expire_all()
    # then both files are marked on the team's and the reporter's page, and neither can be downloaded
    assert _team_view(session, scene)[FILE_A_SEQ][0] and _team_view(session, scene)[FILE_B_SEQ][0]
    assert _reporter_view(session, scene)[FILE_A_SEQ][0]
    sessions = make_session_factory(session.get_bind(), trust_of(session))  # type: ignore[arg-type]
    for attachment_id in (first.id, second.id):
        with pytest.raises(ItemTampered):
            download_attachment(
                session,
                sessions=sessions,
                actor=as_actor(scene.reviewer, scene.keys.private),
                case_id=scene.case_id,
                attachment_id=attachment_id,
            )


def test_attachment_pointed_at_a_message_fails_both(session: Session, scene: Scene) -> None:
    # given an attachment row moved onto the reporter's message (the stream now "belongs" to it)
    first, _ = _attachments(session, scene)
    message = _item(session, scene, REPORTER_SEQ)
    session.execute(update(Attachment).where(Attachment.id == first.id).values(item_id=message.id))
    session.commit()
    session.expire_all()
    # then the message and the orphaned details item are both marked; the other file still reads
    team = _team_view(session, scene)
    assert team[REPORTER_SEQ] == (True, None) and team[FILE_A_SEQ][0] and not team[FILE_B_SEQ][0]


def test_tampered_report_is_withheld_everywhere(session: Session, scene: Scene) -> None:
    # given the report's author column edited
    _write(session, scene, REPORT_SEQ, author="team")
    # then neither the team nor the reporter gets the report, and the rest of the case still reads
    detail = read_case(
        session,
        actor=as_actor(scene.reviewer, scene.keys.private),
        case_id=scene.case_id,
    )
    assert detail.report is None and {e.seq: e.text for e in detail.thread}[TEAM_SEQ] == TEAM_TEXT
    case = session.get(Case, scene.case_id)
    assert (
        case is not None
        and reporter_view(
            session,
            visit=Visit(case, scene.case_key),
        ).report
        is None
    )
    # and an export refuses to include it
    sessions = make_session_factory(session.get_bind(), trust_of(session))  # type: ignore[arg-type]
    with pytest.raises(ExportRefused) as refused:
        export_case(
            session,
            sessions=sessions,
            actor=as_actor(scene.reviewer, scene.keys.private),
            case_id=scene.case_id,
            selection=ExportSelection(reason="rujukan"),
        )
    assert refused.value.problem == "tampered"


def test_a_message_relabelled_as_the_report_withholds_the_report(session: Session, scene: Scene) -> None:
    # given a team message whose kind was set to "report" (two report rows now)
    _write(session, scene, TEAM_SEQ, kind="report")
    # then the report is withheld rather than guessed, and no error escapes
    detail = read_case(
        session,
        actor=as_actor(scene.reviewer, scene.keys.private),
        case_id=scene.case_id,
    )
    assert detail.report is None


def test_export_offers_no_tampered_message_and_refuses_one(session: Session, scene: Scene) -> None:
    _write(session, scene, TEAM_SEQ, author="reporter")
    choices = export_choices(
        session,
        actor=as_actor(scene.reviewer, scene.keys.private),
        case_id=scene.case_id,
    )
    assert [m.seq for m in choices.messages] == [REPORTER_SEQ]
    sessions = make_session_factory(session.get_bind(), trust_of(session))  # type: ignore[arg-type]
    with pytest.raises(ExportRefused) as refused:
        export_case(
            session,
            sessions=sessions,
            actor=as_actor(scene.reviewer, scene.keys.private),
            case_id=scene.case_id,
            selection=ExportSelection(reason="rujukan", message_seqs=frozenset({TEAM_SEQ})),
        )
    assert refused.value.problem == "tampered"


def test_the_thread_never_returns_tampered_text(session: Session, scene: Scene) -> None:
    # the lowest layer: even the thread function itself carries no text for a tampered entry
    _write(session, scene, REPORTER_SEQ, author="team")
    case = session.get(Case, scene.case_id)
    assert case is not None
    entries = thread(session, case=case, case_key=scene.case_key, audience="reporter")
    assert all(e.text != REPORTER_TEXT for e in entries)
