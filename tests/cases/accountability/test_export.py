"""cases.accountability.export: a case export holds exactly what was selected, and is audited without content."""

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cases.accountability.errors import ExportRefused
from cases.accountability.export import CaseExport, ExportSelection, audit_detail, export_case, export_choices
from cases.errors import CaseNotFound
from cases.evidence.store import Limits, Upload, prepare_file
from cases.models import AuditEvent, Case, CaseItem, Reviewer
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import reporter_adds, team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.team.trust import trust_of
from cases.triage.reading import download_attachment
from cases.triage.workflow import add_note, change_status
from crypto.keys import KeyPair
from tests.domain import as_actor, founder
from tests.pdf_text import pdf_text

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
REPORT = "Kepala bidang meminta setoran bulanan dari semua staf honorer."
CONTACT = "sinyal: 0812-0000-1111"
KEPT = "Saya punya bukti transfer tanggal 3 Maret."
LEFT_OUT = "Nama saya jangan disebut, saya bekerja di ruang arsip."
NOTE = "Catatan internal: cocokkan dengan laporan audit 2025."
FILE_BYTES = b"Bukti: daftar setoran bulan Januari sampai Maret.\n" * 50


class SizedStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


def _active(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username, display_name=username.title())
    return holder.reviewer, holder.keypair


@pytest.fixture
def case_with_thread(session: Session, config: Config, recovery_secret: bytes) -> tuple[Reviewer, KeyPair, str]:
    """A case with a report (and contact details), a file, two reporter messages, a reply, a note, a status change."""
    rina, keys = _active(session, "rina")
    prepared = prepare_file(Upload("bukti setoran.txt", SizedStream(FILE_BYTES)), limits=Limits())
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=REPORT, contact=CONTACT),
        receipt_key=config.receipt_key_bytes,
        files=[prepared],
    ).case_id
    case = session.get(Case, case_id)
    assert case is not None
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=rina,
        private_key=keys.private,
    )
    reporter_adds(session, visit=Visit(case, case_key), text=KEPT, files=[], limits=Limits())
    reporter_adds(session, visit=Visit(case, case_key), text=LEFT_OUT, files=[], limits=Limits())
    team_replies(session, actor=as_actor(rina, keys.private), case_id=case_id, text="Terima kasih, kami cek.")
    add_note(session, actor=as_actor(rina, keys.private), case_id=case_id, text=NOTE)
    change_status(session, actor=as_actor(rina, keys.private), case_id=case_id, new_status="verifying")
    session.commit()
    return rina, keys, case_id


def _seq(session: Session, case_id: str, kind: str, n: int = 0) -> int:
    return list(
        session.scalars(
            select(CaseItem.seq).where(CaseItem.case_id == case_id, CaseItem.kind == kind).order_by(CaseItem.seq)
        )
    )[n]


def _sessions(engine: Engine, session: Session) -> sessionmaker[Session]:
    return make_session_factory(engine, trust_of(session))


def _export(
    session: Session, engine: Engine, reviewer: Reviewer, keys: KeyPair, case_id: str, selection: ExportSelection
) -> CaseExport:
    return export_case(
        session,
        sessions=_sessions(engine, session),
        actor=as_actor(reviewer, keys.private),
        case_id=case_id,
        selection=selection,
    )


def _unzip(export: CaseExport) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(b"".join(export.stream()))) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_export_contains_exactly_the_selected_parts(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    # given a case with two reporter messages, a file, a note and contact details
    rina, keys, case_id = case_with_thread
    kept, file_seq = _seq(session, case_id, "message", 0), _seq(session, case_id, "attachment")
    # when the reviewer exports the report, one message, the file and the history
    export = _export(
        session,
        engine,
        rina,
        keys,
        case_id,
        ExportSelection(
            reason="Rujukan ke Inspektorat Provinsi",
            message_seqs=frozenset({kept}),
            attachment_seqs=frozenset({file_seq}),
            include_history=True,
        ),
    )
    members = _unzip(export)
    # then the ZIP holds the PDF, the JSON and that one file
    assert set(members) == {"export.pdf", "export.json", "attachments/1-bukti setoran.txt"}
    document = json.loads(members["export.json"])
    assert document["schema"] == "kanal-integritas/case-export/v1"
    assert document["report"]["what"] == REPORT and "contact" not in document["report"]
    assert [m["text"] for m in document["messages"]] == [KEPT]
    assert [a["seq"] for a in document["attachments"]] == [file_seq]
    assert [(h["from"], h["to"], h["by"]) for h in document["status_history"]] == [("new", "verifying", "Rina")]
    assert document["contact"] is None and document["internal_notes"] is None
    text = pdf_text(members["export.pdf"])
    assert KEPT in text and "Rujukan ke Inspektorat Provinsi" in text and case_id in text
    # and what was not selected is in none of the three
    for absent in (LEFT_OUT, CONTACT, NOTE):
        assert absent not in text
        assert all(absent.encode() not in data for data in members.values())


def test_unselected_report_and_history_stay_out(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    members = _unzip(
        _export(session, engine, rina, keys, case_id, ExportSelection(reason="hanya metadata", include_report=False))
    )
    document = json.loads(members["export.json"])
    assert document["report"] is None and document["status_history"] is None and document["messages"] == []
    assert set(members) == {"export.pdf", "export.json"}
    assert REPORT not in pdf_text(members["export.pdf"]) and REPORT.encode() not in members["export.json"]


def test_contact_details_need_the_box_and_a_reason(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    # a reason without the box: left out
    members = _unzip(
        _export(session, engine, rina, keys, case_id, ExportSelection(reason="rujukan", contact_reason="saksi kunci"))
    )
    assert CONTACT.encode() not in members["export.json"] and CONTACT not in pdf_text(members["export.pdf"])
    # the box without a reason: refused, nothing audited
    with pytest.raises(ExportRefused) as refused:
        _export(
            session,
            engine,
            rina,
            keys,
            case_id,
            ExportSelection(reason="rujukan", include_contact=True, contact_reason="   "),
        )
    assert refused.value.problem == "contact_reason"
    assert len(_events(session, "case.export")) == 1
    # both: included, and the inclusion is audited with its own reason
    members = _unzip(
        _export(
            session,
            engine,
            rina,
            keys,
            case_id,
            ExportSelection(
                reason="rujukan", include_contact=True, contact_reason="APH perlu menghubungi pelapor sebagai saksi"
            ),
        )
    )
    document = json.loads(members["export.json"])
    assert document["contact"] == {"text": CONTACT, "reason": "APH perlu menghubungi pelapor sebagai saksi"}
    assert CONTACT in pdf_text(members["export.pdf"])
    [contact_event] = _events(session, "case.export.contact")
    assert contact_event.detail == "reason=APH perlu menghubungi pelapor sebagai saksi"
    assert CONTACT not in contact_event.detail


def test_export_is_audited_with_its_reason_and_no_content(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    kept, file_seq = _seq(session, case_id, "message", 0), _seq(session, case_id, "attachment")
    export = _export(
        session,
        engine,
        rina,
        keys,
        case_id,
        ExportSelection(
            reason="Rujukan ke Kejaksaan",
            message_seqs=frozenset({kept}),
            attachment_seqs=frozenset({file_seq}),
            include_notes=True,
        ),
    )
    members = _unzip(export)
    [event] = _events(session, "case.export")
    assert event.actor_id == rina.id and event.case_id == case_id
    assert event.detail.endswith("reason=Rujukan ke Kejaksaan")
    assert f"messages={kept} files={file_seq}" in event.detail and "notes=1 contact=0" in event.detail
    # the hash pins the exact JSON handed over, which lists every file's hash
    assert f"json_sha256={hashlib.sha256(members['export.json']).hexdigest()}" in event.detail
    for content in (REPORT, KEPT, NOTE, CONTACT, "bukti setoran"):
        assert content not in event.detail


def test_blank_reason_is_refused_before_anything_is_read(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    with pytest.raises(ExportRefused) as refused:
        _export(session, engine, rina, keys, case_id, ExportSelection(reason=" \n "))
    assert refused.value.problem == "reason"
    assert _events(session, "case.export") == []


def test_items_of_the_wrong_kind_or_another_case_are_refused(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    file_seq, note_seq = _seq(session, case_id, "attachment"), _seq(session, case_id, "note")
    for selection in (
        ExportSelection(reason="x", message_seqs=frozenset({file_seq})),
        ExportSelection(reason="x", message_seqs=frozenset({note_seq})),
        ExportSelection(reason="x", attachment_seqs=frozenset({999})),
    ):
        with pytest.raises(ExportRefused):
            _export(session, engine, rina, keys, case_id, selection)


def test_internal_notes_only_when_selected(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    document = json.loads(
        _unzip(_export(session, engine, rina, keys, case_id, ExportSelection(reason="x", include_notes=True)))[
            "export.json"
        ]
    )
    texts = [n["text"] for n in document["internal_notes"]]
    assert NOTE in texts and any(t.startswith("new → verifying") for t in texts)


def test_reviewer_without_a_grant_cannot_export(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    _, _, case_id = case_with_thread
    joko, joko_keys = _active(session, "joko")  # activated after the case: holds no key for it
    with pytest.raises(CaseNotFound):
        _export(session, engine, joko, joko_keys, case_id, ExportSelection(reason="x"))
    with pytest.raises(CaseNotFound):
        export_choices(
            session,
            actor=as_actor(joko, joko_keys.private),
            case_id=case_id,
        )
    assert _events(session, "case.export") == []


def test_exported_file_is_byte_identical_to_the_stored_cleaned_version(
    session: Session, engine: Engine, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    choices = export_choices(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    [choice] = choices.attachments
    members = _unzip(
        _export(
            session, engine, rina, keys, case_id, ExportSelection(reason="x", attachment_seqs=frozenset({choice.seq}))
        )
    )
    stored = b"".join(
        download_attachment(
            session,
            sessions=_sessions(engine, session),
            actor=as_actor(rina, keys.private),
            case_id=case_id,
            attachment_id=choice.info.attachment_id,
        ).chunks
    )
    exported = members["attachments/1-bukti setoran.txt"]
    assert exported == stored == FILE_BYTES
    [listed] = json.loads(members["export.json"])["attachments"]
    assert listed["sha256"] == hashlib.sha256(stored).hexdigest() and listed["size"] == len(stored)
    assert listed["sha256"] in pdf_text(members["export.pdf"])


def test_choices_offer_messages_files_and_say_whether_there_is_contact(
    session: Session, case_with_thread: tuple[Reviewer, KeyPair, str]
) -> None:
    rina, keys, case_id = case_with_thread
    choices = export_choices(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    assert [m.preview for m in choices.messages] == [KEPT, LEFT_OUT, "Terima kasih, kami cek."]
    assert [a.info.name for a in choices.attachments] == ["bukti setoran.txt"]
    assert choices.has_contact and choices.note_count == 1


def test_any_unicode_renders_and_the_json_keeps_it_exactly(
    session: Session, engine: Engine, config: Config, recovery_secret: bytes
) -> None:
    rina, keys = _active(session, "rina")
    what = "Pungli Rp 5 juta — ĝ ş ñ 中文 ✓ ꦗꦮ (aksara Jawa)\n\tbaris kedua " + "x" * 300
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=what),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    session.commit()
    members = _unzip(_export(session, engine, rina, keys, case_id, ExportSelection(reason="uji")))
    assert json.loads(members["export.json"])["report"]["what"] == what
    text = pdf_text(members["export.pdf"])
    assert "Pungli Rp 5 juta — ĝ ş ñ" in text and "✓" in text
    assert "\ufffd" in text  # glyphs DejaVu lacks are marked, never dropped silently


def test_audit_detail_fits_the_column_with_a_long_reason_and_many_items() -> None:
    selection = ExportSelection(
        reason="r" * 300, message_seqs=frozenset(range(2, 400, 2)), attachment_seqs=frozenset(range(3, 400, 2))
    )
    detail = audit_detail(selection, json_sha256="a" * 64, reason="r" * 300)
    assert len(detail) <= 500 and "messages=199 files=199" in detail and detail.endswith("r" * 300)
    short = audit_detail(
        ExportSelection(reason="x", message_seqs=frozenset({2, 3, 4, 7})), json_sha256="a" * 64, reason="x"
    )
    assert "messages=2-4,7 files=-" in short
