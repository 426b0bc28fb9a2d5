"""cases.triage.case_text and the list's rows: the report's beginning decrypted for its reader (never
stored), and the reporter's newest activity from plaintext metadata."""

import io
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.evidence.store import Limits, PreparedFile, Upload, prepare_file
from cases.models import Case, CaseItem
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import reporter_adds, team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.triage.case_list import Preview
from cases.triage.case_text import PREVIEW_CHARS, preview_of
from cases.triage.search import find_cases
from tests.domain import Holder, database_text, founder

CANARY = "KANARI-PRATINJAU-7d41"


def _submit(session: Session, config: Config, what: str, **extra: object) -> str:
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[0].id,
        content=ReportContent(what=what),
        receipt_key=config.receipt_key_bytes,
        **extra,  # type: ignore[arg-type]
    ).case_id
    session.flush()
    return case_id


class SizedStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


def _text_file(name: str) -> PreparedFile:
    return prepare_file(Upload(name, SizedStream(b"kuitansi pembayaran")), limits=Limits())


def _visit(session: Session, holder: Holder, case_id: str) -> Visit:
    case = session.get(Case, case_id)
    assert case is not None
    return Visit(
        case,
        open_reviewer_key(session, case_id=case_id, reviewer=holder.reviewer, private_key=holder.keypair.private),
    )


def test_preview_is_the_beginning_of_what_happened_cut_at_a_word() -> None:
    short = ReportContent(what="  Kabid\nmeminta   setoran.  ")
    assert preview_of(short) == Preview(text="Kabid meminta setoran.")
    long = ReportContent(what="Setiap awal bulan " + "kepala bidang meminta setoran dari staf " * 10)
    shown = preview_of(long)
    assert shown.truncated and len(shown.text) <= PREVIEW_CHARS and long.what.startswith(shown.text)
    assert not shown.text.endswith(" ") and shown.text.split()[-1] in long.what.split()
    unbroken = preview_of(ReportContent(what="x" * 500))
    assert unbroken.text == "x" * PREVIEW_CHARS and unbroken.truncated
    assert preview_of(None) == Preview(tampered=True)


def test_the_reader_sees_the_report_beginning_and_the_database_holds_no_preview(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a reader and a report whose first words carry a canary
    rina = founder(session, "rina")
    case_id = _submit(session, config, f"{CANARY} Kepala bidang meminta setoran setiap awal bulan.")
    # when she opens the list, then the row shows the report's beginning
    row = find_cases(session, actor=rina.actor).rows[0]
    assert row.id == case_id and row.preview is not None and row.preview.text.startswith(CANARY)
    # and nothing of it is in the database, before or after the list was shown
    assert CANARY.encode() not in database_text(session)


def test_a_tampered_report_previews_as_failing_its_check(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    rina = founder(session, "rina")
    case_id = _submit(session, config, "setoran")
    report = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "report")).one()
    report.ciphertext = report.ciphertext[:-1] + bytes([report.ciphertext[-1] ^ 1])
    session.flush()
    assert find_cases(session, actor=rina.actor).rows[0].preview == Preview(tampered=True)


def test_reporter_activity_is_the_newest_reporter_item_after_the_report(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a report sent with a file: the file is part of the report, not later activity
    rina = founder(session, "rina")
    photo = _text_file("bukti.txt")
    case_id = _submit(session, config, "setoran", files=[photo])

    def activity() -> object:
        return find_cases(session, actor=rina.actor).rows[0].reporter_activity

    assert activity() is None
    # when the team asks, nothing changes; when the reporter answers, the row says so, with the hour kept
    team_replies(session, actor=rina.actor, case_id=case_id, text="Siapa saksinya?")
    assert activity() is None
    reporter_adds(session, visit=_visit(session, rina, case_id), text="Dua rekan.", files=[], limits=Limits())
    shown = activity()
    message = session.scalars(
        select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.author == "reporter", CaseItem.kind == "message")
    ).one()
    assert shown is not None and (shown.kind, shown.at) == ("message", message.created_at)  # type: ignore[attr-defined]
    # and a file sent later, in a later hour, is the newest activity
    reporter_adds(
        session,
        visit=_visit(session, rina, case_id),
        text="",
        files=[_text_file("kuitansi.txt")],
        limits=Limits(),
    )
    later = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id).order_by(CaseItem.seq.desc())).first()
    assert later is not None
    later.created_at += timedelta(hours=5)
    session.flush()
    assert activity().kind == "attachment"  # type: ignore[attr-defined]


def test_a_reporter_file_in_a_later_hour_counts_even_before_any_message(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    rina = founder(session, "rina")
    case_id = _submit(session, config, "setoran")
    reporter_adds(
        session,
        visit=_visit(session, rina, case_id),
        text="",
        files=[_text_file("kuitansi.txt")],
        limits=Limits(),
    )
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.seq == 2)).one()
    item.created_at += timedelta(hours=1)
    session.flush()
    shown = find_cases(session, actor=rina.actor).rows[0].reporter_activity
    assert shown is not None and shown.kind == "attachment"
