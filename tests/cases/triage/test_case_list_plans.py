"""The case list's walks read an index in the list's order and never sort a whole filter (SQLite).

A page that sorts every case its filter holds costs more as the table grows; a walk along an index
in the list's order stops after a page (issue 21, point 6). `bench/case_list_scale.py` measures the
cost; this test keeps the plans. Every walk statement of every page, for each sort and each filter
the list offers, reached through the "next" and the "previous" links, is checked with EXPLAIN QUERY
PLAN for "USE TEMP B-TREE FOR ORDER BY" (SQLite's sort of the whole result). "RIGHT PART OF ORDER
BY" (ties of one deadline put in id order) is allowed. SQLite only: PostgreSQL plans by its
statistics and at test sizes always sorts.

Before migration 0019 "most urgent first" sorted every concluded case for each page past the open
ones, and a status filter sorted every case of its statuses; this test failed on both."""

import random
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from cases.models import Case, CaseLabel, CaseStatus, Category, KeyGrant, Opd, Reviewer
from cases.triage.case_list import CaseFilter, CasePage, list_cases
from tests.domain import founder

NOW = datetime(2026, 6, 1, 12, 0)

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _fill(session: Session, recipient_id: str, reviewer_id: str, count: int = 240) -> None:
    """`count` cases sealed to the reviewer, metadata as the list reads it (the grant's bytes are a
    placeholder: the list never opens a grant): every status, several units, categories and
    assignees, a label on one case in four, deadlines past and future."""
    rng = random.Random(21)
    categories = list(session.scalars(select(Category.id).order_by(Category.id)))
    opds = list(session.scalars(select(Opd.id).order_by(Opd.id)))[:4]
    cases, grants, labels = [], [], []
    for _ in range(count):
        received = NOW - timedelta(hours=rng.randint(0, 24 * 200))
        status = rng.choice(list(CaseStatus))
        concluded = status in CaseStatus.CONCLUDED
        next_due = None if concluded else received + timedelta(days=rng.choice((1, 30, 90)))
        case_id = secrets.token_hex(10)
        cases.append(
            {
                "id": case_id,
                "category_id": rng.choice(categories[:3]),
                "opd_id": rng.choice(opds),
                "status": status.value,
                "priority": "normal",
                "received_at": received,
                "updated_at": received,
                "first_response_due": received + timedelta(hours=24),
                "first_response_at": received + timedelta(hours=2),
                "next_due": next_due,
                "assessment_due": received + timedelta(days=30),
                "feedback_due": received + timedelta(days=90),
                "assigned_to_id": rng.choice((None, reviewer_id)),
                "receipt_lookup": secrets.token_bytes(32),
                "reporter_salt": secrets.token_bytes(32),
                "item_seq": 1,
                "reporter_seq": 1,
            }
        )
        grants.append(
            {
                "case_id": case_id,
                "key_kind": "case",
                "recipient_kind": "reviewer",
                "recipient_id": recipient_id,
                "reviewer_id": reviewer_id,
                "sealed": b"\x01" + bytes(40),
                "created_at": received,
            }
        )
        if rng.random() < 0.25:
            labels.append({"case_id": case_id, "label": "kpk", "next_due": next_due, "received_at": received})
    session.execute(insert(Case), cases)
    session.execute(insert(KeyGrant), grants)
    session.execute(insert(CaseLabel), labels)
    session.flush()


def _filters(session: Session, reviewer_id: str) -> dict[str, dict[str, Any]]:
    opd = session.scalars(select(Opd.id).order_by(Opd.id)).first()
    category = session.scalars(select(Category.id).order_by(Category.id)).first()
    return {
        "none": {},
        "status": {"statuses": ("verifying", "investigating")},
        "concluded": {"statuses": ("closed",)},
        "unit": {"opd_id": opd},
        "unit + status": {"opd_id": opd, "statuses": ("verifying", "investigating")},
        "category": {"category_id": category},
        "unassigned": {"assignee": "none"},
        "assignee": {"assignee": reviewer_id},
        "label": {"label": "kpk"},
        "overdue": {"overdue": True},
        "overdue + label": {"overdue": True, "label": "kpk"},
        "status + label": {"statuses": ("new", "closed"), "label": "kpk"},
    }


_DETAILS = re.compile(r'("case"\.id|case_label\.case_id|case_item\.case_id) IN \(')


def _sorting_walks(session: Session, reviewer: Reviewer, sort: str, chosen: dict[str, Any]) -> tuple[list[str], int]:
    """The walks that sorted their whole result, on every page of the filter reached through the
    "next" links, 20 cases a page, and back through the "previous" links; and the pages seen."""
    walks: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        if "ORDER BY" in statement and not _DETAILS.search(statement):  # a walk, not the rows' details
            walks.append((statement, parameters))

    def visit(flt: CaseFilter) -> CasePage:
        walks.clear()
        page = list_cases(session, reviewer=reviewer, filters=flt, now=NOW, limit=20)
        for statement, parameters in list(walks):
            plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            if "USE TEMP B-TREE FOR ORDER BY" in plan:
                sorting.append(f"page {page.page}: {statement.split('WHERE', 1)[-1]} {plan}")
        return page

    connection = session.connection()
    sorting: list[str] = []
    event.listen(connection, "before_cursor_execute", record)
    try:
        pages = [visit(CaseFilter(sort=sort, **chosen))]
        while pages[-1].next_cursor is not None:
            pages.append(visit(CaseFilter(sort=sort, after=pages[-1].next_cursor, **chosen)))
        back = pages[-1]
        while back.previous_cursor is not None:
            back = visit(CaseFilter(sort=sort, before=back.previous_cursor, **chosen))
        assert sum(len(page.rows) for page in pages) > 0
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return sorting, len(pages)


@pytest.mark.parametrize("sort", ["urgency", "newest", "oldest"])
def test_no_page_of_the_list_sorts_a_whole_filter(session: Session, recovery_secret: bytes, sort: str) -> None:
    # given 240 cases sealed to a reviewer, in every status, some labelled
    holder = founder(session, "rina")
    _fill(session, holder.reviewer.recipient_id, holder.reviewer.id)
    # when every page of every filter is visited through the "next" and the "previous" links
    sorting = {}
    for name, chosen in _filters(session, holder.reviewer.id).items():
        found, pages = _sorting_walks(session, holder.reviewer, sort, chosen)
        assert pages > 1 or name in ("unit + status", "overdue + label", "status + label"), name  # cursors used
        if found:
            sorting[name] = found
    # then no walk sorted the cases of its filter: each read an index in the list's order
    assert sorting == {}


def test_the_plan_check_sees_a_sort(session: Session, recovery_secret: bytes) -> None:
    """The check above can fail: without the index of the concluded cases' walk (dropped here, inside
    the test's rolled-back transaction), the pages among them are seen sorting."""
    holder = founder(session, "rina")
    _fill(session, holder.reviewer.recipient_id, holder.reviewer.id)
    session.execute(text("DROP INDEX ix_case_next_due_received_at_id"))
    found, _pages = _sorting_walks(session, holder.reviewer, "urgency", {})
    assert found and all("next_due IS NULL" in walk for walk in found)
