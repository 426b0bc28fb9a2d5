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
        pages = list_cases(session, reviewer=rina[0], now=NOW, limit=limit).pages
        paged = [
            row.id
            for p in range(1, pages + 1)
            for row in list_cases(session, reviewer=rina[0], filters=CaseFilter(page=p), now=NOW, limit=limit).rows
        ]
        assert paged == expected


@pytest.mark.parametrize("sort", ["newest", "oldest", "urgency"])
def test_pagination_covers_every_case_once(session: Session, config: Config, recovery_secret: bytes, sort: str) -> None:
    # given five cases, two of them concluded
    rina = _active(session, "rina")
    ids = [_submit(session, config, received=NOW - timedelta(hours=h)) for h in (1, 2, 3, 4, 30)]
    _move(session, rina, ids[1], "rejected")
    _move(session, rina, ids[3], "verifying", "closed")

    def page(number: int) -> CasePage:
        return list_cases(session, reviewer=rina[0], filters=CaseFilter(sort=sort, page=number), limit=2, now=NOW)

    # when listed two per page, then three pages, the last with one row, and every case exactly once
    first, second, third = page(1), page(2), page(3)
    assert [(p.page, p.pages, p.total, len(p.rows)) for p in (first, second, third)] == [
        (1, 3, 5, 2),
        (2, 3, 5, 2),
        (3, 3, 5, 1),
    ]
    seen = [row.id for p in (first, second, third) for row in p.rows]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    # and pages out of range are clamped to the first and the last
    beyond, before = page(99), page(0)
    assert beyond.page == 3 and beyond.rows == third.rows
    assert before.page == 1 and before.rows == first.rows


def test_empty_list_has_one_empty_page(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina, _ = _active(session, "rina")
    page = list_cases(session, reviewer=rina, filters=CaseFilter(page=5), now=NOW)
    assert (page.rows, page.page, page.pages, page.total) == ([], 1, 1, 0)


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

    def page(number: int) -> CasePage:
        return list_cases(session, reviewer=rina[0], filters=CaseFilter(sort="newest", page=number), limit=1, now=NOW)

    # then the first pages say "more than", and the total becomes exact once the end is in reach
    assert [(p.exact, p.total, p.pages) for p in (page(1), page(2), page(3))] == [
        (False, 3, 3),
        (False, 4, 4),
        (True, 5, 5),
    ]
    # and following "next" while the total is not exact visits every case once, newest first
    seen, number = [], 1
    while True:
        current = page(number)
        seen += [row.id for row in current.rows]
        if current.exact and current.page >= current.pages:
            break
        number += 1
    assert seen == ids
