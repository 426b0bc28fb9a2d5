"""cases.triage.search: the case list with previews, and search by what cases say, decrypted in the
request within the filter, newest first, bounded; only cases sealed to the viewer."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import cases.triage.search as search
from cases.evidence.store import Limits
from cases.models import AuditEvent, Case, CaseItem
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import reporter_adds, team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.team.membership import add_affiliation
from cases.triage.case_list import CaseFilter, CasePage
from cases.triage.search import find_cases, search_terms
from cases.triage.workflow import add_note
from tests.domain import Holder, founder


def _submit(session: Session, config: Config, content: ReportContent, *, opd: int = 0, hours_ago: int = 0) -> str:
    case_id = submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=active_opds(session)[opd].id,
        content=content,
        receipt_key=config.receipt_key_bytes,
    ).case_id
    case = session.get(Case, case_id)
    assert case is not None
    case.received_at -= timedelta(hours=hours_ago)
    session.flush()
    return case_id


def _reporter_says(session: Session, holder: Holder, case_id: str, text: str) -> None:
    case = session.get(Case, case_id)
    assert case is not None
    key = open_reviewer_key(session, case_id=case_id, reviewer=holder.reviewer, private_key=holder.keypair.private)
    reporter_adds(session, visit=Visit(case, key), text=text, files=[], limits=Limits())


def _found(page: CasePage) -> list[str]:
    return [row.id for row in page.rows]


def test_search_finds_a_case_by_a_word_of_its_report_or_of_a_reporter_message_in_any_case(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a reader and three cases: one names a person in its report, one in a reporter's message
    rina = founder(session, "rina")
    by_report = _submit(session, config, ReportContent(what="Setoran bulanan", who="Pak Sutrisno, Kabid Anggaran"))
    by_message = _submit(session, config, ReportContent(what="Pungutan izin"), hours_ago=1)
    _reporter_says(session, rina, by_message, "Yang meminta adalah bendahara SUTRISNO sendiri.")
    other = _submit(session, config, ReportContent(what="Jual beli jabatan"), hours_ago=2)
    # when she searches a word in another case (upper, lower, mixed), then both cases are found, newest first
    for query in ("sutrisno", "SUTRISNO", "SuTrIsNo"):
        page = find_cases(session, actor=rina.actor, query=query)
        assert _found(page) == [by_report, by_message]
        assert page.search is not None and page.search.searched == 3 and not page.search.limited
    # every word must occur, in the report or in a message
    assert _found(find_cases(session, actor=rina.actor, query="bendahara izin")) == [by_message]
    assert _found(find_cases(session, actor=rina.actor, query="bendahara jabatan")) == []
    # and the results carry their previews, like the list
    assert [row.preview.text for row in find_cases(session, actor=rina.actor, query="jabatan").rows] == [
        "Jual beli jabatan"
    ]
    assert other not in _found(find_cases(session, actor=rina.actor, query="sutrisno"))


def test_search_reads_every_field_of_the_report_and_the_team_messages_but_not_internal_notes(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    rina = founder(session, "rina")
    content = ReportContent(
        what="apa", who="siapa", when="kapanpun", where="Gedung Gradhika", how="lewat amplop", amount_rupiah=1500000
    )
    case_id = _submit(session, config, content)
    team_replies(session, actor=rina.actor, case_id=case_id, text="Apakah ada kuitansinya?")
    add_note(session, actor=rina.actor, case_id=case_id, text="RAHASIA-INTERNAL catatan tim")
    for query in ("siapa", "kapanpun", "gradhika", "amplop", "1.500.000", "1500000", "kuitansinya"):
        assert _found(find_cases(session, actor=rina.actor, query=query)) == [case_id], query
    assert _found(find_cases(session, actor=rina.actor, query="rahasia-internal")) == []


def test_search_stays_inside_the_filter(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given two cases with the same word, about two units
    rina = founder(session, "rina")
    first = _submit(session, config, ReportContent(what="setoran kepada atasan"), opd=0)
    second = _submit(session, config, ReportContent(what="setoran kepada atasan"), opd=1)
    # when she searches within one unit, then only that unit's case is searched and found
    unit = active_opds(session)[1].id
    page = find_cases(session, actor=rina.actor, query="setoran", filters=CaseFilter(opd_id=unit))
    assert _found(page) == [second] and page.search is not None and page.search.searched == 1
    # and within a status nothing matches
    assert (
        _found(find_cases(session, actor=rina.actor, query="setoran", filters=CaseFilter(statuses=("closed",)))) == []
    )
    assert set(_found(find_cases(session, actor=rina.actor, query="setoran"))) == {first, second}


def test_a_recused_or_later_reviewer_learns_nothing_from_a_search(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko, conflicted with unit 0, and a case about that unit that everyone else reads
    rina, joko = founder(session, "rina"), founder(session, "joko")
    add_affiliation(
        session, actor=joko.actor, reviewer=joko.reviewer, opd_id=active_opds(session)[0].id, kind="conflict"
    )
    hidden = _submit(session, config, ReportContent(what="Kepala BKD menerima gratifikasi"), opd=0)
    seen = _submit(session, config, ReportContent(what="Sekretaris menerima gratifikasi"), opd=1)
    # and sari, who joined after both cases
    sari = founder(session, "sari")
    # when each searches the word both cases share
    assert set(_found(find_cases(session, actor=rina.actor, query="gratifikasi"))) == {hidden, seen}
    page = find_cases(session, actor=joko.actor, query="gratifikasi")
    # then joko finds only the case he may read, and the count of searched cases does not betray the other
    assert _found(page) == [seen] and page.search is not None and page.search.searched == 1
    assert _found(find_cases(session, actor=joko.actor, query="bkd")) == []
    late = find_cases(session, actor=sari.actor, query="gratifikasi")
    assert _found(late) == [] and late.search is not None and late.search.searched == 0


def test_the_bound_is_stated_when_the_filter_holds_more(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a search bound of 2 and three matching cases, the oldest received three hours ago
    monkeypatch.setattr(search, "SEARCH_BOUND", 2)
    rina = founder(session, "rina")
    oldest = _submit(session, config, ReportContent(what="setoran"), hours_ago=3)
    newer = [_submit(session, config, ReportContent(what="setoran"), hours_ago=n) for n in (2, 1)]
    # when she searches, then the two newest are searched and found, and the page knows the bound was hit
    page = find_cases(session, actor=rina.actor, query="setoran")
    assert _found(page) == newer[::-1]
    assert page.search is not None and page.search.limited and (page.search.searched, page.search.bound) == (2, 2)
    assert oldest not in _found(page)
    # and a narrower filter that holds no more than the bound is not limited
    narrow = find_cases(session, actor=rina.actor, query="setoran", bound=3)
    assert narrow.search is not None and not narrow.search.limited and len(narrow.rows) == 3


def test_search_is_paged_and_records_no_term(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina = founder(session, "rina")
    ids = [_submit(session, config, ReportContent(what=f"setoran ke-{n} KANARI-CARI"), hours_ago=n) for n in range(3)]
    first = find_cases(session, actor=rina.actor, query="kanari-cari", limit=2)
    second = find_cases(session, actor=rina.actor, query="kanari-cari", limit=2, filters=CaseFilter(page=2))
    assert (_found(first), _found(second)) == (ids[:2], ids[2:]) and (first.pages, first.total) == (2, 3)
    details = [e.detail for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "case.search"))]
    assert details == ["searched=3 found=3", "searched=3 found=3"]


def test_search_terms_are_folded_deduplicated_and_capped() -> None:
    assert search_terms("  Setoran  SETORAN ﬁle  ") == ("setoran", "file")
    assert search_terms("") == () and search_terms("   ") == ()
    assert len(search_terms(" ".join(f"w{n}" for n in range(50)))) == search.MAX_TERMS
    assert len("".join(search_terms("x" * 5000))) == search.MAX_QUERY_CHARS


def test_without_a_query_the_list_has_previews_and_no_search(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    rina = founder(session, "rina")
    _submit(session, config, ReportContent(what="Kabid meminta setoran setiap bulan"))
    page = find_cases(session, actor=rina.actor)
    assert page.search is None and page.rows[0].preview is not None
    assert page.rows[0].preview.text == "Kabid meminta setoran setiap bulan"


def test_a_tampered_message_is_not_searched(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina = founder(session, "rina")
    case_id = _submit(session, config, ReportContent(what="apa"))
    _reporter_says(session, rina, case_id, "nama saksi: Wulandari")
    assert _found(find_cases(session, actor=rina.actor, query="wulandari")) == [case_id]
    message = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "message")).one()
    message.author = "team"  # a database writer relabels it: it no longer opens
    session.flush()
    assert _found(find_cases(session, actor=rina.actor, query="wulandari")) == []
