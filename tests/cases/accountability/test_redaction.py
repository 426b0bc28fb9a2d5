"""cases.accountability.redaction: withheld phrases and files stay out of exports; the original stays;
lifting needs another reviewer; a database writer cannot quietly make a withheld phrase reappear."""

import io
import json
import zipfile

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from cases.accountability.errors import ExportRefused, RedactionRefused, RedactionTampered
from cases.accountability.export import CaseExport, ExportSelection, export_case, export_choices
from cases.accountability.redaction import active_redactions, add_redaction, all_redactions, lift_redaction
from cases.accountability.redaction_preview import redaction_preview
from cases.errors import CaseNotFound
from cases.evidence.store import Limits, Upload, prepare_file
from cases.items import open_item
from cases.models import AuditEvent, Case, CaseItem
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.reporting.conversation import reporter_adds, team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.team.trust import trust_of
from cases.triage.reading import read_case
from cases.triage.workflow import add_note
from tests.domain import Holder, activated, events, founder, report
from tests.pdf_text import pdf_text

CANARY = "Kanari Wijayakusuma"
REPORT = f"Sekretaris dinas, kanari wijayakusuma, memungut setoran. Saksi: {CANARY.upper()}."
MESSAGE = f"Saya bekerja satu ruangan dengan {CANARY} di lantai dua."
NOTE = f"Catatan: {CANARY} pernah dilaporkan tahun lalu."
FILE_BYTES = b"Daftar setoran: kanari-bytes-0123456789\n" * 40
FILE_NAME = "daftar setoran Wijayakusuma.txt"


class SizedStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


@pytest.fixture
def two_readers(session: Session, config: Config, recovery_secret: bytes) -> tuple[Holder, Holder, str]:
    """Two reviewers holding a case whose report, a message, a note and a file name hold the canary."""
    rina, tono = founder(session, "rina", display_name="Rina"), founder(session, "tono", display_name="Tono")
    prepared = prepare_file(Upload(FILE_NAME, SizedStream(FILE_BYTES)), limits=Limits())
    case_id = report(session, config, ReportContent(what=REPORT), files=[prepared]).case_id
    case = session.get(Case, case_id)
    assert case is not None
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=rina.reviewer, private_key=rina.keypair.private)
    reporter_adds(session, visit=Visit(case, case_key), text=MESSAGE, files=[], limits=Limits())
    team_replies(session, actor=rina.actor, case_id=case_id, text="Terima kasih.")
    add_note(session, actor=rina.actor, case_id=case_id, text=NOTE)
    session.commit()
    return rina, tono, case_id


def _seqs(session: Session, case_id: str, kind: str) -> list[int]:
    return list(
        session.scalars(
            select(CaseItem.seq).where(CaseItem.case_id == case_id, CaseItem.kind == kind).order_by(CaseItem.seq)
        )
    )


def _everything(session: Session, case_id: str) -> ExportSelection:
    return ExportSelection(
        reason="Rujukan ke Inspektorat",
        message_seqs=frozenset(_seqs(session, case_id, "message")),
        attachment_seqs=frozenset(_seqs(session, case_id, "attachment")),
        include_history=True,
        include_notes=True,
    )


def _export(session: Session, engine: Engine, holder: Holder, case_id: str) -> CaseExport:
    sessions = make_session_factory(engine, trust_of(session))
    return export_case(
        session, sessions=sessions, actor=holder.actor, case_id=case_id, selection=_everything(session, case_id)
    )


def _unzip(export: CaseExport) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(b"".join(export.stream()))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _leaks(members: dict[str, bytes]) -> list[str]:
    """Where a withheld word or file shows up in an export: member names, raw bytes, parsed JSON, PDF text."""
    text = pdf_text(members["export.pdf"]).casefold() + json.dumps(json.loads(members["export.json"])).casefold()
    found = [w for w in ("kanari", "wijayakusuma") if w in text or any(w in n.casefold() for n in members)]
    found += [name for name, data in members.items() if b"kanari-bytes" in data or b"ijayakusuma" in data.lower()]
    return found


def test_a_redacted_export_holds_no_withheld_word_or_file_and_says_what_was_withheld(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    # given an unredacted export, which carries the canary everywhere
    rina, tono, case_id = two_readers
    assert _leaks(_unzip(_export(session, engine, rina, case_id)))
    # when Rina withholds the name (in another case) and the file
    [file_seq] = _seqs(session, case_id, "attachment")
    seq = add_redaction(
        session,
        actor=rina.actor,
        case_id=case_id,
        phrases=["kanari WIJAYAKUSUMA", "Wijayakusuma"],
        file_seqs=frozenset({file_seq}),
    )
    # then an export of everything, ticked file included, holds none of it
    members = _unzip(_export(session, engine, tono, case_id))
    assert _leaks(members) == [] and set(members) == {"export.pdf", "export.json"}
    document = json.loads(members["export.json"])
    assert document["redaction"] == {
        "mark": "[disamarkan]",
        "passages": 4,  # twice in the report, once in the message, once in the note (the file is left out)
        "withheld_files": [file_seq],
        "redaction_items": [seq],
    }
    assert "[disamarkan]" in document["report"]["what"] and document["attachments"] == []
    text = pdf_text(members["export.pdf"])
    assert "[disamarkan]" in text and f"#{file_seq}" in text
    # and the export's audit line says so in numbers only
    [event] = [e for e in events(session, "case.export") if "redacted=" in e.detail]
    assert f"withheld={file_seq}" in event.detail and "kanari" not in event.detail.casefold()
    # while the case itself is unchanged
    detail = read_case(session, actor=tono.actor, case_id=case_id)
    assert detail.report is not None and detail.report.what == REPORT
    assert MESSAGE in [e.text for e in detail.thread] and NOTE in [e.text for e in detail.thread]
    assert [e.kind for e in detail.thread].count("redaction") == 0


def test_the_redaction_is_a_team_item_audited_without_content(
    session: Session, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, _, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.seq == seq)).one()
    assert (item.kind, item.key_kind, item.reviewer_id) == ("redaction", "team", rina.reviewer.id)
    assert CANARY.encode() not in item.ciphertext
    [event] = events(session, "redaction.add")
    assert event.detail == f"item={seq} phrases=1 files=-" and event.actor_id == rina.reviewer.id


def test_phrases_and_files_are_checked(session: Session, two_readers: tuple[Holder, Holder, str]) -> None:
    rina, _, case_id = two_readers
    message_seq = _seqs(session, case_id, "message")[0]
    for phrases, files, problem in (
        ([" ", ""], frozenset(), "empty"),
        (["x"], frozenset(), "phrase"),
        (["disamarkan"], frozenset(), "phrase"),
        ([f"nama {n}" for n in range(51)], frozenset(), "too_many"),
        ([], frozenset({message_seq}), "unknown_item"),  # a message is not a file
        ([], frozenset({999}), "unknown_item"),
    ):
        with pytest.raises(RedactionRefused) as refused:
            add_redaction(session, actor=rina.actor, case_id=case_id, phrases=phrases, file_seqs=files)
        assert refused.value.problem == problem
    assert events(session, "redaction.add") == []


def test_a_reviewer_without_the_case_keys_cannot_redact(
    session: Session, two_readers: tuple[Holder, Holder, str]
) -> None:
    _, _, case_id = two_readers
    stranger = activated(session, "asing")  # activated, never approved: no grant
    with pytest.raises(CaseNotFound):
        add_redaction(session, actor=stranger.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    assert _seqs(session, case_id, "redaction") == []


def test_lifted_by_another_reviewer_the_phrase_returns_in_the_next_export(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    # the author may not lift it
    with pytest.raises(RedactionRefused) as own:
        lift_redaction(session, actor=rina.actor, case_id=case_id, redaction_seq=seq)
    assert own.value.problem == "own"
    # another reviewer may, once
    lift_redaction(session, actor=tono.actor, case_id=case_id, redaction_seq=seq)
    with pytest.raises(RedactionRefused) as again:
        lift_redaction(session, actor=tono.actor, case_id=case_id, redaction_seq=seq)
    assert again.value.problem == "lifted"
    [lifted] = all_redactions(session, case=session.get(Case, case_id), team_key=_team_key(session, tono, case_id))
    assert lifted.lifted and lifted.lifted_by_name == "Tono"
    assert [e.detail for e in events(session, "redaction.lift")] == [f"item={seq + 1} of={seq}"]
    document = json.loads(_unzip(_export(session, engine, rina, case_id))["export.json"])
    assert document["redaction"] is None and CANARY in document["messages"][0]["text"]


def _team_key(session: Session, holder: Holder, case_id: str) -> bytes:
    return open_reviewer_key(
        session, case_id=case_id, reviewer=holder.reviewer, private_key=holder.keypair.private, key_kind="team"
    )


def test_a_database_writer_who_deletes_a_redaction_stops_the_export(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    session.commit()
    # when someone with write access to the database deletes the redaction item
    session.execute(delete(CaseItem).where(CaseItem.case_id == case_id, CaseItem.seq == seq))
    session.commit()
    # then the audit chain still names it, so the export refuses instead of letting the name out
    with pytest.raises(ExportRefused) as refused:
        _export(session, engine, tono, case_id)
    assert refused.value.problem == "redaction_tampered"
    assert export_choices(session, actor=tono.actor, case_id=case_id).redaction is None
    with pytest.raises(RedactionTampered):
        redaction_preview(session, actor=tono.actor, case_id=case_id)


def test_a_database_writer_who_edits_or_relabels_a_redaction_stops_the_export(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.seq == seq)).one()
    original = item.ciphertext
    # a flipped bit
    item.ciphertext = original[:-1] + bytes([original[-1] ^ 1])
    session.flush()
    with pytest.raises(ExportRefused):
        _export(session, engine, tono, case_id)
    # relabelled as a lift (or as anything else): fails its integrity check, or goes missing from the log
    item.ciphertext, item.kind = original, "redaction_lift"
    session.flush()
    with pytest.raises(ExportRefused):
        _export(session, engine, tono, case_id)
    item.kind = "note"
    session.flush()
    with pytest.raises(ExportRefused):
        _export(session, engine, tono, case_id)


def _forged_lift(session: Session, author: Holder, colleague: Holder, case_id: str, seq: int) -> CaseItem:
    """A lift of redaction `seq` written by hand by its author (who holds the team key), in the
    colleague's name, with no audit event."""
    from cases.items import add_item, next_seq

    case = session.get(Case, case_id)
    assert case is not None
    item = add_item(
        session,
        case=case,
        key=_team_key(session, author, case_id),
        key_kind="team",
        kind="redaction_lift",
        author="team",
        plaintext=json.dumps({"by": colleague.reviewer.id, "lifts": seq}).encode(),
        seq=next_seq(session, case),
        reviewer_id=colleague.reviewer.id,
    )
    session.flush()
    return item


def test_a_lift_cannot_be_forged_by_the_author_or_written_without_the_log(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    # given a rogue key holder with database access, who writes a lift of their own redaction by hand
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    _forged_lift(session, rina, tono, case_id, seq)  # claims Tono lifted it
    # then, with no audit event for it, the export refuses rather than dropping the redaction
    with pytest.raises(ExportRefused) as refused:
        _export(session, engine, tono, case_id)
    assert refused.value.problem == "redaction_tampered"


def test_a_lift_event_inserted_without_the_audit_key_is_not_believed(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    """The author with database access writes the lift in a colleague's name AND its audit row (with a
    hash they cannot compute): the row fails its keyed check, so the export refuses (review finding)."""
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    session.commit()
    item = _forged_lift(session, rina, tono, case_id, seq)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    session.add(
        AuditEvent(
            at=last.at,
            sealed_at=b"x",
            actor_id=tono.reviewer.id,
            action="redaction.lift",
            case_id=case_id,
            detail=f"item={item.seq} of={seq}",
            prev_hash=last.hash,
            hash=bytes(32),
            version=3,
        )
    )
    session.commit()
    with pytest.raises(ExportRefused) as refused:
        _export(session, engine, rina, case_id)
    assert refused.value.problem == "redaction_tampered"


def test_a_redaction_whose_log_line_is_relabelled_stops_the_export(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    """The item deleted and its "redaction.add" event relabelled as something else (kept in its place
    in the chain): the relabelled event fails its keyed check, so the export refuses (review finding)."""
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    session.commit()
    session.execute(delete(CaseItem).where(CaseItem.case_id == case_id, CaseItem.seq == seq))
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "redaction.add")):
        event.action = "case.view"
    session.commit()
    with pytest.raises(ExportRefused) as refused:
        _export(session, engine, tono, case_id)
    assert refused.value.problem == "redaction_tampered"


def test_a_deleted_lift_only_withholds_again(
    session: Session, engine: Engine, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, tono, case_id = two_readers
    seq = add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    lift_redaction(session, actor=tono.actor, case_id=case_id, redaction_seq=seq)
    session.execute(delete(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "redaction_lift"))
    session.flush()
    # the log still records the lift, so this too is noticed (and, at worst, the name would stay withheld)
    with pytest.raises(ExportRefused):
        _export(session, engine, tono, case_id)
    session.execute(delete(AuditEvent).where(AuditEvent.action == "redaction.lift"))
    session.flush()
    active = active_redactions(session, case=session.get(Case, case_id), team_key=_team_key(session, tono, case_id))
    assert active.phrases == (CANARY,)  # the deletion of the log line is for `flask audit verify` to find


def test_redaction_items_never_reach_the_reporter_or_the_thread(
    session: Session, two_readers: tuple[Holder, Holder, str]
) -> None:
    rina, _, case_id = two_readers
    add_redaction(session, actor=rina.actor, case_id=case_id, phrases=[CANARY], file_seqs=frozenset())
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "redaction")).one()
    case_key = open_reviewer_key(session, case_id=case_id, reviewer=rina.reviewer, private_key=rina.keypair.private)
    from cases.errors import ItemTampered

    with pytest.raises(ItemTampered):  # sealed under the team key: the case key (the reporter's) cannot open it
        open_item(item, case_key)
    kinds = [e.kind for e in read_case(session, actor=rina.actor, case_id=case_id).thread]
    assert "redaction" not in kinds and "redaction_lift" not in kinds


def test_a_paragraph_of_the_report_is_withheld_whole_wherever_it_is_quoted(
    session: Session, engine: Engine, config: Config, recovery_secret: bytes
) -> None:
    rina = founder(session, "rina")
    witness = "Saksi kunci bekerja di loket tiga setiap Senin."
    content = ReportContent(what=f"Pungutan liar di loket izin.\n\n{witness}", who="Petugas loket")
    case_id = report(session, config, content).case_id
    add_note(session, actor=rina.actor, case_id=case_id, text=f"Kutipan: {witness.upper()}")
    with pytest.raises(RedactionRefused) as unknown:
        add_redaction(
            session,
            actor=rina.actor,
            case_id=case_id,
            phrases=[],
            file_seqs=frozenset(),
            paragraphs=frozenset({"what:9"}),
        )
    assert unknown.value.problem == "unknown_item"
    add_redaction(
        session, actor=rina.actor, case_id=case_id, phrases=[], file_seqs=frozenset(), paragraphs=frozenset({"what:1"})
    )
    document = json.loads(_unzip(_export(session, engine, rina, case_id))["export.json"])
    assert document["report"]["what"] == "Pungutan liar di loket izin.\n\n[disamarkan]"
    assert document["internal_notes"][0]["text"] == "Kutipan: [disamarkan]"
    assert document["report"]["who"] == "Petugas loket" and document["redaction"]["passages"] == 2
