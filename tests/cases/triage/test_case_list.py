"""cases.triage.case_list: the team's filtered, sorted, paged case list, and the dashboard figures."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

import cases.triage.case_list as case_list
from cases.evidence.store import Limits
from cases.models import Case, CaseStatus, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import reporter_adds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.reporting.visits import Visit
from cases.team.grants import open_reviewer_key
from cases.triage.case_list import CaseFilter, CasePage, Dashboard, dashboard, list_cases
from cases.triage.deadlines import DeadlineRules, start_clocks
from cases.triage.reading import read_case
from cases.triage.workflow import add_label, assign, change_status
from crypto.keys import KeyPair
from tests.domain import as_actor, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
NOW = datetime(2024, 6, 1, 12, 0)


def _active(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username)
    return holder.reviewer, holder.keypair


def _submit(
    session: Session, config: Config, *, received: datetime | None = None, category: int = 0, opd: int = 0
) -> str:
    """A case; with `received`, its receipt time is moved there and its clocks restarted."""
    category_id, opd_id = active_categories(session)[category].id, active_opds(session)[opd].id
    case_id = submit_report(
        session,
        category_id=category_id,
        opd_id=opd_id,
        content=ReportContent(what="setoran"),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    if received is not None:
        case = _case(session, case_id)
        case.received_at = case.updated_at = received
        start_clocks(case, DeadlineRules())
    session.flush()
    return case_id


def _case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    assert case is not None
    return case


def _ids(session: Session, reviewer: Reviewer, **filters: Any) -> list[str]:
    page = list_cases(session, reviewer=reviewer, filters=CaseFilter(**filters), now=NOW, limit=100)
    return [row.id for row in page.rows]


def _pages(session: Session, reviewer: Reviewer, *, limit: int, **filters: Any) -> list[CasePage]:
    """Every page of the list, reached the way the page links do: from the first page, each next
    page through the cursor of the one before."""
    pages = [list_cases(session, reviewer=reviewer, filters=CaseFilter(**filters), now=NOW, limit=limit)]
    while pages[-1].next_cursor is not None:
        assert len(pages) < 1000, "the cursors go round in circles"
        after = CaseFilter(**filters, after=pages[-1].next_cursor)
        pages.append(list_cases(session, reviewer=reviewer, filters=after, now=NOW, limit=limit))
    return pages


def _back(session: Session, reviewer: Reviewer, last: CasePage, *, limit: int, **filters: Any) -> list[CasePage]:
    """From `last` back to the first page through the "previous" links (the link to page 1 has no
    cursor), nearest first."""
    pages, current = [], last
    while current.page > 1:
        before = CaseFilter(**filters, before=current.previous_cursor)
        current = list_cases(session, reviewer=reviewer, filters=before, now=NOW, limit=limit)
        pages.append(current)
    return pages


def _move(session: Session, who: tuple[Reviewer, KeyPair], case_id: str, *steps: str, at: datetime = NOW) -> None:
    reviewer, keys = who
    for step in steps:
        change_status(
            session,
            actor=as_actor(reviewer, keys.private),
            case_id=case_id,
            new_status=step,
            reason="alasan",
            outcome="hasil",
            now=at,
        )


def test_lists_only_cases_sealed_to_the_reviewer(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case from before joko was activated and one after
    rina, _ = _active(session, "rina")
    early = _submit(session, config, received=NOW - timedelta(hours=3))
    joko, _ = _active(session, "joko")
    late = _submit(session, config, received=NOW - timedelta(hours=1))
    # then rina lists both, joko only the later one
    assert sorted(_ids(session, rina)) == sorted([early, late])
    assert _ids(session, joko) == [late]
    assert list_cases(session, reviewer=joko, now=NOW).total == 1


def test_filters_by_status(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given cases in three statuses
    rina = _active(session, "rina")
    new, verifying, investigating = (_submit(session, config, received=NOW - timedelta(hours=h)) for h in (1, 2, 3))
    _move(session, rina, verifying, "verifying")
    _move(session, rina, investigating, "verifying", "investigating")
    # then one status, several statuses and no status select the right cases
    assert _ids(session, rina[0], statuses=("verifying",)) == [verifying]
    assert set(_ids(session, rina[0], statuses=("new", "investigating"))) == {new, investigating}
    assert _ids(session, rina[0], statuses=("closed",)) == []
    assert len(_ids(session, rina[0])) == 3


def test_filters_by_category_and_opd(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given cases about different categories and OPDs
    rina, _ = _active(session, "rina")
    plain, other_category, other_opd = (
        _submit(session, config),
        _submit(session, config, category=1),
        _submit(session, config, opd=1),
    )
    categories, opds = active_categories(session), active_opds(session)
    # then each filter selects its cases, and both together intersect
    assert set(_ids(session, rina, category_id=categories[0].id)) == {plain, other_opd}
    assert _ids(session, rina, category_id=categories[1].id) == [other_category]
    assert _ids(session, rina, opd_id=opds[1].id) == [other_opd]
    assert _ids(session, rina, category_id=categories[1].id, opd_id=opds[1].id) == []


def test_filters_by_assignee_label_and_overdue(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case assigned to sari and labelled, an unassigned overdue one, and an unassigned fresh one
    rina, keys = _active(session, "rina")
    sari, _ = _active(session, "sari")
    owned = _submit(session, config, received=NOW - timedelta(hours=2))
    late = _submit(session, config, received=NOW - timedelta(hours=30))
    fresh = _submit(session, config, received=NOW - timedelta(hours=1))
    assign(session, actor=as_actor(rina, keys.private), case_id=owned, assignee_id=sari.id)
    add_label(session, actor=as_actor(rina, keys.private), case_id=owned, label="Perlu Audit")
    # then each filter selects its cases
    assert _ids(session, rina, assignee=sari.id) == [owned]
    assert _ids(session, rina, assignee=rina.id) == []
    assert set(_ids(session, rina, assignee="none")) == {late, fresh}
    assert _ids(session, rina, label="perlu audit") == [owned]
    assert _ids(session, rina, overdue=True) == [late]
    # and rows carry the assignee's name and the labels
    row = list_cases(session, reviewer=rina, filters=CaseFilter(assignee=sari.id), now=NOW).rows[0]
    assert (row.assignee, row.labels) == ("sari", ("perlu audit",))


def test_sorts_newest_and_oldest(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina, _ = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (5, 1, 3)]
    assert _ids(session, rina, sort="newest") == [ids[1], ids[2], ids[0]]
    assert _ids(session, rina, sort="oldest") == [ids[0], ids[2], ids[1]]


def test_urgency_puts_overdue_first_then_next_due_then_closed(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given two concluded cases, and open cases due soon, due later, and overdue
    rina = _active(session, "rina")
    closed_old = _submit(session, config, received=NOW - timedelta(days=50))
    closed_new = _submit(session, config, received=NOW - timedelta(hours=5))
    _move(session, rina, closed_old, "verifying", "closed", at=NOW - timedelta(days=40))
    _move(session, rina, closed_new, "rejected", at=NOW - timedelta(hours=1))
    due_later = _submit(session, config, received=NOW - timedelta(hours=1))
    due_soon = _submit(session, config, received=NOW - timedelta(hours=20))
    overdue = _submit(session, config, received=NOW - timedelta(hours=40))
    expected = [overdue, due_soon, due_later, closed_new, closed_old]
    # when sorted by urgency (the default), then overdue first, by next due, and concluded last (newest first)
    assert _ids(session, rina[0]) == expected
    page = list_cases(session, reviewer=rina[0], now=NOW).rows
    assert [row.overdue for row in page] == [True, False, False, False, False]
    # and the same order holds across page boundaries, including the open/closed seam
    for limit in (1, 2, 3, 4):
        pages = _pages(session, rina[0], limit=limit)
        assert [row.id for p in pages for row in p.rows] == expected
        # and back again through the "previous" links
        back = _back(session, rina[0], pages[-1], limit=limit)
        assert [[row.id for row in p.rows] for p in back] == [[row.id for row in p.rows] for p in pages[-2::-1]]


@pytest.mark.parametrize("sort", ["newest", "oldest", "urgency"])
def test_pagination_covers_every_case_once(session: Session, config: Config, recovery_secret: bytes, sort: str) -> None:
    # given five cases, two of them concluded
    rina = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (1, 2, 3, 4, 30)]
    _move(session, rina, ids[1], "rejected")
    _move(session, rina, ids[3], "verifying", "closed")

    # when listed two per page, following the "next" links
    pages = _pages(session, rina[0], limit=2, sort=sort)
    # then three pages, the last with one row, and every case exactly once
    assert [(p.page, p.pages, p.total, len(p.rows)) for p in pages] == [(1, 3, 5, 2), (2, 3, 5, 2), (3, 3, 5, 1)]
    seen = [row.id for p in pages for row in p.rows]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    # and the same pages come back through the "previous" links, page 1 without a cursor
    assert [(p.page, p.rows) for p in _back(session, rina[0], pages[-1], limit=2, sort=sort)] == [
        (2, pages[1].rows),
        (1, pages[0].rows),
    ]
    assert pages[0].previous_cursor is None and pages[1].previous_cursor is None
    assert pages[2].previous_cursor is not None and pages[2].next_cursor is None


def test_empty_list_has_one_empty_page(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina, _ = _active(session, "rina")
    page = list_cases(session, reviewer=rina, filters=CaseFilter(after="5-n-20240601120000000000-ab"), now=NOW)
    assert (page.rows, page.page, page.pages, page.total) == ([], 1, 1, 0)
    assert page.next_cursor is None and page.previous_cursor is None


def test_unread_until_read_after_each_reporter_message(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a new case (the report itself is unread)
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)

    def unread() -> bool:
        return list_cases(session, reviewer=rina, now=NOW).rows[0].unread

    assert unread()
    # when rina reads it, then it is read
    read_case(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    assert not unread()
    # when the reporter writes, then it is unread again, until rina reads it
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=rina,
        private_key=keys.private,
    )
    reporter_adds(
        session, visit=Visit(_case(session, case_id), case_key), text="Bukti tambahan", files=[], limits=Limits()
    )
    assert unread()
    read_case(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
    )
    assert not unread()


def test_dashboard_counts_statuses_overdue_and_first_response_compliance(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given cases received 10 days ago (answered on time, late, never), 60 days ago (on time),
    # 2 hours ago (not yet due) and 200 days ago (outside both windows, never answered)
    rina = _active(session, "rina")
    ten_days = NOW - timedelta(days=10)
    on_time, late, _never = (_submit(session, config, received=ten_days) for _ in range(3))
    old_on_time = _submit(session, config, received=NOW - timedelta(days=60))
    _submit(session, config, received=NOW - timedelta(hours=2))
    _submit(session, config, received=NOW - timedelta(days=200))
    _move(session, rina, on_time, "verifying", at=ten_days + timedelta(hours=24))
    _move(session, rina, late, "verifying", at=ten_days + timedelta(hours=24, seconds=1))
    _move(session, rina, old_on_time, "verifying", at=NOW - timedelta(days=60) + timedelta(hours=3))
    # when the dashboard is computed
    figures = dashboard(session, viewer=rina[0], now=NOW)
    # then statuses are counted, with every status present
    assert figures.by_status == dict.fromkeys(CaseStatus, 0) | {"new": 3, "verifying": 3}
    # and never/ancient (first response) and old_on_time (assessment) are overdue
    assert figures.overdue == 3
    # and first-response compliance counts cases due within each window, on time among them
    assert figures.first_response_30 == (1, 3)
    assert figures.first_response_90 == (2, 4)
    assert (Dashboard.percent(figures.first_response_30), Dashboard.percent(figures.first_response_90)) == (33, 50)


def test_dashboard_percent_is_none_when_nothing_was_due(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given no cases, then every figure is zero and compliance has no percentage
    rina, _keys = _active(session, "rina")
    figures = dashboard(session, viewer=rina, now=NOW)
    assert figures.by_status == dict.fromkeys(CaseStatus, 0) and figures.overdue == 0
    assert figures.first_response_30 == figures.first_response_90 == (0, 0)
    assert Dashboard.percent(figures.first_response_30) is None
    assert (Dashboard.percent((3, 3)), Dashboard.percent((0, 2)), Dashboard.percent((2, 3))) == (100, 0, 67)


def test_a_long_list_is_counted_only_so_far_and_next_still_reaches_every_case(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five cases and a list that counts at most three past the page asked for
    monkeypatch.setattr(case_list, "COUNT_AHEAD", 3)
    rina = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (1, 2, 3, 4, 5)]

    # when the list is followed one case a page through the "next" links
    pages = _pages(session, rina[0], limit=1, sort="newest")
    # then the first pages say "more than", and the total becomes exact once the end is in reach
    assert [(p.exact, p.total, p.pages) for p in pages[:3]] == [(False, 3, 3), (False, 4, 4), (True, 5, 5)]
    # and the links visit every case once, newest first
    assert [row.id for p in pages for row in p.rows] == ids


def _order(session: Session, ids: list[str], sort: str) -> list[str]:
    """The expected order of these cases, computed in Python from their stored keys: the id breaks
    ties in the direction of the sort key."""
    cases = [_case(session, case_id) for case_id in ids]
    if sort == "newest":
        return [c.id for c in sorted(cases, key=lambda c: (c.received_at, c.id), reverse=True)]
    if sort == "oldest":
        return [c.id for c in sorted(cases, key=lambda c: (c.received_at, c.id))]
    open_cases = sorted((c for c in cases if c.next_due is not None), key=lambda c: (c.next_due, c.id))
    closed = sorted((c for c in cases if c.next_due is None), key=lambda c: (c.received_at, c.id), reverse=True)
    return [c.id for c in open_cases + closed]


@pytest.mark.parametrize("sort", ["urgency", "newest", "oldest"])
@pytest.mark.parametrize("filters", [{}, {"statuses": ("new", "closed")}, {"opd_id": "second"}, {"label": "kpk"}])
def test_cursors_visit_every_case_once_in_order_with_ties(
    session: Session, config: Config, recovery_secret: bytes, sort: str, filters: dict[str, Any]
) -> None:
    # given eleven cases in three receipt hours (so most share a received_at and a next_due with
    # others), in two units, three of them concluded, some labelled
    rina = _active(session, "rina")
    hours = (2, 2, 2, 2, 30, 30, 30, 30, 30, 50, 50)
    ids = [_submit(session, config, received=NOW - timedelta(hours=h), opd=n % 2) for n, h in enumerate(hours)]
    for case_id in ids[1:4] + ids[6:7]:
        _move(session, rina, case_id, "verifying", "closed")
    for case_id in ids[::2]:
        add_label(session, actor=as_actor(rina[0], rina[1].private), case_id=case_id, label="KPK")
    if filters.get("opd_id") == "second":
        filters = {"opd_id": active_opds(session)[1].id}
    every = _ids(session, rina[0], sort=sort, **filters)
    assert 0 < len(every) <= len(ids)
    assert every == _order(session, every, sort)
    for limit in (1, 2, 3, 5):
        # when the list is followed through its "next" links, then every case of the filter is
        # visited exactly once, in the order of the whole list
        pages = _pages(session, rina[0], limit=limit, sort=sort, **filters)
        assert [row.id for p in pages for row in p.rows] == every
        assert [p.page for p in pages] == list(range(1, len(pages) + 1))
        assert all(p.exact and p.total == len(every) for p in pages)
        # and the "previous" links give back the same pages
        back = _back(session, rina[0], pages[-1], limit=limit, sort=sort, **filters)
        assert [row.id for p in back[::-1] + [pages[-1]] for row in p.rows] == every
        assert [p.next_cursor for p in back] == [p.next_cursor for p in pages[-2::-1]]


def test_a_cursor_names_only_the_viewers_own_row(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given three cases, listed one a page
    rina = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (1, 2, 3)]
    first = list_cases(session, reviewer=rina[0], filters=CaseFilter(sort="newest"), now=NOW, limit=1)
    # then the next cursor is the page number, the order's segment, the shown row's receipt hour
    # and its id: nothing about any other case
    assert first.next_cursor == f"2-n-{(NOW - timedelta(hours=1)).strftime('%Y%m%d%H%M%S%f')}-{ids[0]}"
    second = list_cases(
        session, reviewer=rina[0], filters=CaseFilter(sort="newest", after=first.next_cursor), now=NOW, limit=1
    )
    assert [row.id for row in second.rows] == [ids[1]]
    assert second.next_cursor is not None and ids[1] in second.next_cursor and ids[2] not in second.next_cursor


GARBLED = [
    "",
    "x",
    "2-n-2024060112000000000-ab",  # the time one digit short
    "2-n-20241301120000000000-ab",  # month 13
    "2-n-20240601120000000000-AB",  # upper case id
    "2-n-20240601120000000000-" + "a" * 33,  # id too long
    "0-n-20240601120000000000-ab",  # page 0
    "1-n-20240601120000000000-ab",  # page 1 has no cursor
    "99999999-n-20240601120000000000-ab",  # page number too long
    "2-d-20240601120000000000-ab",  # the urgency order's segment in the newest-first order
    "2-n-20240601120000000000-ab' OR 1=1 --",
    "2-n-20240601120000000000-ab\n",
    "２-n-20240601120000000000-ab",  # a full-width digit
    "2-n-20240601120000000000-ab" * 10,
]


@pytest.mark.parametrize("token", GARBLED)
def test_a_garbled_cursor_gives_the_first_page(
    session: Session, config: Config, recovery_secret: bytes, token: str
) -> None:
    rina = _active(session, "rina")
    for h in (1, 2, 3):
        _submit(session, config, received=NOW - timedelta(hours=h))
    first = list_cases(session, reviewer=rina[0], filters=CaseFilter(sort="newest"), now=NOW, limit=2)
    for flt in (CaseFilter(sort="newest", after=token), CaseFilter(sort="newest", before=token)):
        page = list_cases(session, reviewer=rina[0], filters=flt, now=NOW, limit=2)
        assert (page.page, page.rows, page.next_cursor) == (1, first.rows, first.next_cursor)
    assert case_list.parse_cursor(token, "newest") is None


def test_a_cursor_into_the_concluded_cases_gives_the_first_page_of_overdue_ones(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    """The "overdue" filter leaves out the walk of the concluded cases (none is overdue): a cursor into
    it made by hand leads nowhere, and the first page is shown."""
    rina = _active(session, "rina")
    for h in (30, 40, 50):  # received 30 to 50 hours ago: their first responses are overdue
        _submit(session, config, received=NOW - timedelta(hours=h))
    first = list_cases(session, reviewer=rina[0], filters=CaseFilter(overdue=True), now=NOW, limit=2)
    assert len(first.rows) == 2 and first.next_cursor is not None
    token = case_list.Cursor(page=2, segment="c", key=NOW - timedelta(hours=40), id="ab" * 10).token()
    for flt in (CaseFilter(overdue=True, after=token), CaseFilter(overdue=True, before=token)):
        page = list_cases(session, reviewer=rina[0], filters=flt, now=NOW, limit=2)
        assert (page.page, page.rows, page.next_cursor) == (1, first.rows, first.next_cursor)


def test_a_forged_cursor_still_lists_only_readable_cases(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case sealed to rina only, and one sealed to both rina and sari
    rina = _active(session, "rina")
    hidden = _submit(session, config, received=NOW - timedelta(hours=3))
    sari = _active(session, "sari")
    shared = _submit(session, config, received=NOW - timedelta(hours=5))
    assert _ids(session, sari[0], sort="newest") == [shared]
    # when sari forges cursors around the hidden case's position and id, then she still sees only
    # her case, and nothing tells her the hidden one exists
    for stamp in (NOW - timedelta(hours=h) for h in (2, 3, 4)):
        for token in (f"2-n-{stamp.strftime('%Y%m%d%H%M%S%f')}-{hidden}", f"2-n-{stamp.strftime('%Y%m%d%H%M%S%f')}-0"):
            for flt in (CaseFilter(sort="newest", after=token), CaseFilter(sort="newest", before=token)):
                page = list_cases(session, reviewer=sari[0], filters=flt, now=NOW, limit=1)
                assert [row.id for row in page.rows] == [shared] and hidden not in (page.next_cursor or "")
                assert page.next_cursor is None and page.previous_cursor is None
    assert rina


def test_a_forged_cursor_into_a_filter_of_two_statuses_still_lists_only_readable_cases(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    """Two statuses are walked one by one and merged (case_list._ranges): each walk keeps the grant
    check, so forged cursors in either segment of "most urgent first" find only the viewer's cases."""
    # given a new case sealed to rina only, and one sealed to both rina and sari
    rina = _active(session, "rina")
    hidden = _submit(session, config, received=NOW - timedelta(hours=3))
    sari = _active(session, "sari")
    shared = _submit(session, config, received=NOW - timedelta(hours=5))
    keys = [_case(session, hidden).next_due, _case(session, hidden).received_at]
    # when sari forges cursors at the hidden case's keys and id, in the open and the concluded walk
    for segment in ("d", "c"):
        for key in (k + timedelta(hours=h) for k in keys if k is not None for h in (-1, 0, 1)):
            for ident in (hidden, "0", "f" * 20):
                token = f"2-{segment}-{key.strftime('%Y%m%d%H%M%S%f')}-{ident}"
                for flt in (
                    CaseFilter(statuses=("new", "closed"), after=token),
                    CaseFilter(statuses=("new", "closed"), before=token),
                ):
                    page = list_cases(session, reviewer=sari[0], filters=flt, now=NOW, limit=1)
                    # then she sees her own case or none, and the total never counts the hidden one
                    assert {row.id for row in page.rows} <= {shared}
                    assert hidden not in (page.next_cursor or "") + (page.previous_cursor or "")
                    assert page.total - (page.page - 1) <= 1  # one case a page
    assert rina


def test_a_labels_sort_keys_follow_its_case(session: Session, config: Config, recovery_secret: bytes) -> None:
    """Labels carry copies of their case's sort keys (cases.triage.label_order, issue 21): a deadline
    that moves after the label was put on moves the case in the label's list too."""
    from sqlalchemy import select

    from cases.models import CaseLabel

    rina = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (5, 40, 80, 120, 900)]
    for case_id in ids:
        add_label(session, actor=as_actor(rina[0], rina[1].private), case_id=case_id, label="KPK")
    session.flush()
    # when deadlines move after the labels were put on: one case concluded, one answered, one closed later
    _move(session, rina, ids[0], "verifying", "closed")
    _move(session, rina, ids[2], "verifying")
    _move(session, rina, ids[4], "verifying", "investigating", at=NOW - timedelta(hours=1))
    session.flush()
    # then each label holds its case's keys, and the label's list is in the order of the cases themselves
    keys = select(CaseLabel.case_id, CaseLabel.next_due, CaseLabel.received_at)
    copies = {row.case_id: (row.next_due, row.received_at) for row in session.execute(keys)}
    assert copies == {c: (_case(session, c).next_due, _case(session, c).received_at) for c in ids}
    assert _case(session, ids[0]).next_due is None
    for sort in ("urgency", "newest", "oldest"):
        assert _ids(session, rina[0], sort=sort, label="kpk") == _order(session, ids, sort)
    overdue = [c for c in _order(session, ids, "urgency") if (_case(session, c).next_due or NOW) < NOW]
    assert overdue and _ids(session, rina[0], overdue=True, label="kpk") == overdue


def test_a_label_put_on_by_a_request_that_read_the_case_earlier_copies_the_keys_as_they_are_now(
    engine: Any, session: Session, config: Config, recovery_secret: bytes
) -> None:
    """Review finding (issue 21): the copy was taken from the case object a request had read, so a
    case reopened by a colleague in between kept its old keys in the label and dropped out of
    "overdue + label". The copy is now read from the case's row, locked, when the label is written."""
    from sqlalchemy import select

    from cases.models import CaseLabel
    from cases.platform.db import make_session_factory

    rina = _active(session, "rina")
    case_id = _submit(session, config, received=NOW - timedelta(days=40))
    _move(session, rina, case_id, "verifying", "closed", at=NOW - timedelta(days=35))
    session.commit()
    make = make_session_factory(engine, config.trust())
    first, second = make(), make()
    # one reviewer's request has read the case (closed: no deadline) ...
    held = first.get(Case, case_id)
    assert held is not None and held.next_due is None
    # ... when a colleague reopens it (its assessment is then 10 days overdue) and commits
    _move(second, rina, case_id, "verifying", at=NOW - timedelta(days=1))
    second.commit()
    # and the first request then puts its label on
    add_label(first, actor=as_actor(rina[0], rina[1].private), case_id=case_id, label="KPK")
    first.commit()
    with make() as fresh:
        case = fresh.get(Case, case_id)
        assert case is not None and case.next_due is not None and case.next_due < NOW
        copy = fresh.execute(select(CaseLabel.next_due, CaseLabel.received_at)).one()
        assert tuple(copy) == (case.next_due, case.received_at)
        assert _ids(fresh, rina[0], overdue=True, label="kpk") == [case_id]


def test_a_label_put_on_a_case_not_yet_committed_takes_the_cases_keys(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    from sqlalchemy import select

    from cases.models import CaseLabel

    _active(session, "rina")
    case_id = _submit(session, config)
    session.add(CaseLabel(case_id=case_id, label="kpk"))  # before the case is committed
    session.flush()
    case = _case(session, case_id)
    assert tuple(session.execute(select(CaseLabel.next_due, CaseLabel.received_at)).one()) == (
        case.next_due,
        case.received_at,
    )
