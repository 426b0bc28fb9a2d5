"""The team's case list at scale, and the dashboard figures.

Only cases sealed to the reviewer are listed (a join on their grants, indexed
by recipient), and the dashboard counts only those too. Filters and sort run in SQL on plaintext metadata with indexes
(see models.Case). Pages are keyset pages, never OFFSET: the page links carry a cursor (the sort key
and id of the last row shown, for "next", or of the first, for "previous"), and each page is one
index range on (key, id) from there, so page 100 reached through the links costs what page 1 costs.
The id breaks ties in the direction of the sort. A garbled or foreign cursor gives the first page.

The total is counted exactly only up to COUNT_AHEAD cases past the start of the page
("page 2 of 7"); beyond that the list says "more than N" and counts no further
(docs/PERFORMANCE.md). Search results (cases.triage.search) keep page numbers: they are a slice of
at most SEARCH_BOUND cases decrypted in the request, not an OFFSET in SQL.
"""

import heapq
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from cases.models import Case, CaseItem, CaseLabel, CaseRead, CaseStatus, Category, Opd, Reviewer
from cases.platform.clock import utc_now
from cases.team.grants import holds_case_key
from cases.triage.deadlines import overdue_clause
from cases.triage.workflow import normalise_label

PAGE_SIZE = 50
COUNT_AHEAD = 5 * PAGE_SIZE  # five pages ahead (issue 21): the count costs what a few pages cost, at any size
SORTS = ("urgency", "newest", "oldest")


@dataclass(frozen=True)
class CaseFilter:
    statuses: tuple[str, ...] = ()
    category_id: int | None = None
    opd_id: int | None = None
    assignee: str | None = None  # a reviewer id, or "none"
    label: str | None = None
    overdue: bool = False
    sort: str = "urgency"
    page: int = 1  # search results only (cases.triage.search): the list itself pages by cursor
    after: str | None = None  # a Cursor token: the page after that row
    before: str | None = None  # a Cursor token: the page before that row


@dataclass(frozen=True)
class ReporterActivity:
    """The reporter's newest item after the report: a message or a file, and its hour (shown as a day)."""

    kind: str
    at: datetime


@dataclass(frozen=True)
class Preview:
    """The beginning of the report's "what happened", decrypted in the request for its reader; never
    stored. `tampered`: the report failed its integrity check, so nothing of it is shown."""

    text: str = ""
    truncated: bool = False
    tampered: bool = False


@dataclass(frozen=True)
class SearchScope:
    """What a search looked through: `searched` cases of the filter, newest first; `limited` when the
    filter holds more than `bound` and the older ones were not searched."""

    query: str
    searched: int
    bound: int
    limited: bool


@dataclass(frozen=True)
class CaseRow:
    id: str
    status: str
    priority: str
    category_name_id: str
    category_name_en: str
    opd_name: str
    received_at: datetime
    first_response_due: datetime
    next_due: datetime | None
    overdue: bool
    unread: bool
    assignee: str | None
    labels: tuple[str, ...] = ()
    reporter_activity: "ReporterActivity | None" = None
    preview: "Preview | None" = None  # only when decrypted for the viewer (cases.triage.search)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    page: int
    pages: int  # when the total is not exact: the pages known to exist
    total: int  # when not exact: a lower bound ("more than total")
    filters: CaseFilter = field(default_factory=CaseFilter)
    exact: bool = True
    search: SearchScope | None = None
    next_cursor: str | None = None  # the token for the next page's link, if there is one
    previous_cursor: str | None = None  # for the previous page's link, when it is not the first page


_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")


def _statuses(flt: CaseFilter) -> tuple[str, ...]:
    return tuple(sorted({s for s in flt.statuses if s in set(CaseStatus)}))


def _urgency(sort: str) -> bool:
    """ "Most urgent first": the default, and what an unknown sort gives (see `_segments`)."""
    return sort not in ("newest", "oldest")


def _filtered(query: _Q, flt: CaseFilter, now: datetime) -> _Q:
    statuses = _statuses(flt)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    if flt.category_id is not None:
        query = query.where(Case.category_id == flt.category_id)
    if flt.opd_id is not None:
        query = query.where(Case.opd_id == flt.opd_id)
    if flt.assignee == "none":
        query = query.where(Case.assigned_to_id.is_(None))
    elif flt.assignee:
        query = query.where(Case.assigned_to_id == flt.assignee)
    if flt.label:
        label = normalise_label(flt.label)  # a hand-typed "Perlu Audit" finds "perlu audit"
        # one row per case (the label is part of the key); the walk goes along the label's own index
        query = query.join(CaseLabel, CaseLabel.case_id == Case.id).where(CaseLabel.label == label)
    if flt.overdue:
        query = query.where(overdue_clause(now))
        if flt.label and _urgency(flt.sort):
            # the same bound on the label's copy of the deadline: the walk's index range ends there
            # (newest or oldest first walk the label's receipt times instead, and check the deadline)
            query = query.where(CaseLabel.next_due < now)
    return query


@dataclass(frozen=True)
class _Segment:
    """One index walk of an order: the cases it holds, its sort column and its direction (the id
    follows the same direction, so the walk is one range of the index on (column, id))."""

    code: str
    where: ColumnElement[bool] | None
    column: Any
    descending: bool
    id_column: Any


def _segments(sort: str, *, label: bool = False, overdue: bool = False) -> tuple[_Segment, ...]:
    """The order of the list as index walks glued end to end. "Most urgent first" is open cases by
    their next deadline (overdue ones have the earliest), then concluded ones newest first (none of
    them is overdue: that walk is left out). Filtered by a label, the walks go along the label's
    copies of the keys (cases.triage.label_order)."""
    table: Any = CaseLabel if label else Case
    due, received, ident = table.next_due, table.received_at, CaseLabel.case_id if label else Case.id
    if sort == "newest":
        return (_Segment("n", None, received, True, ident),)
    if sort == "oldest":
        return (_Segment("o", None, received, False, ident),)
    open_cases = _Segment("d", due.is_not(None), due, False, ident)
    if overdue:
        return (open_cases,)
    return (open_cases, _Segment("c", due.is_(None), received, True, ident))


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the sort key and id of a row the viewer was shown (the last row of
    their page for "next", the first for "previous"), the segment of the order it is in, and the
    number of the page it leads to. Nothing else: it reveals nothing the page did not show."""

    page: int
    segment: str
    key: datetime
    id: str

    def token(self) -> str:
        return f"{self.page}-{self.segment}-{self.key.strftime('%Y%m%d%H%M%S%f')}-{self.id}"


_TOKEN = re.compile(r"([1-9][0-9]{0,6})-([a-z])-([0-9]{20})-([0-9a-f]{1,32})")


def parse_cursor(token: str | None, sort: str) -> Cursor | None:
    """The cursor in `token`, or None when it is missing, garbled, or of another sort (the caller
    shows the first page then). Strict: the whole token must match, the time must exist."""
    if not token or len(token) > 80:
        return None
    match = _TOKEN.fullmatch(token)
    if match is None or match[2] not in {segment.code for segment in _segments(sort)}:
        return None
    try:
        key = datetime.strptime(match[3], "%Y%m%d%H%M%S%f")
    except ValueError:
        return None
    page = int(match[1])
    return Cursor(page=page, segment=match[2], key=key, id=match[4]) if page >= 2 else None


def _beyond(segment: _Segment, cursor: Cursor, *, forward: bool, inclusive: bool = False) -> ColumnElement[bool]:
    """The rows of `segment` after the cursor (forward) or before it, in the segment's order:
    `column >= key AND (column > key OR id > cursor id)` for an ascending walk, so the index range
    starts at the key."""
    later = forward != segment.descending  # the walk goes to larger keys
    column = segment.column
    if later:
        bound = column >= cursor.key
        strict = column > cursor.key
        past = segment.id_column >= cursor.id if inclusive else segment.id_column > cursor.id
    else:
        bound = column <= cursor.key
        strict = column < cursor.key
        past = segment.id_column <= cursor.id if inclusive else segment.id_column < cursor.id
    return and_(bound, or_(strict, past))


def _walk(
    session: Session,
    base: Any,
    sort: str,
    cursor: Cursor | None,
    *,
    forward: bool,
    limit: int,
    label: bool = False,
    overdue: bool = False,
    statuses: tuple[str, ...] = (),
) -> list[tuple[str, str, datetime]]:
    """Up to `limit` rows (segment, id, key) from the cursor on (or from the start), forward in the
    list's order or backward (then returned nearest the cursor first). No OFFSET: each segment is
    one index range from the cursor's key, so page 100 costs what page 1 costs. Filtered by more
    than one status, each status is its own range (an index on (status, key, ...) is in the list's
    order for one status only; `status IN (...)` made SQLite sort every case of the statuses), and
    the ranges are merged here."""
    segments = _segments(sort, label=label, overdue=overdue)
    if not forward:
        segments = segments[::-1]
    if cursor is not None:
        codes = [segment.code for segment in segments]
        if cursor.segment not in codes:  # a hand-made cursor into a walk this filter leaves out
            return []
        segments = segments[codes.index(cursor.segment) :]
    rows: list[tuple[str, str, datetime]] = []
    for segment in segments:
        query = base.add_columns(segment.column)
        if segment.where is not None:
            query = query.where(segment.where)
        if cursor is not None and segment.code == cursor.segment:
            query = query.where(_beyond(segment, cursor, forward=forward))
        descending = segment.descending == forward
        ident = segment.id_column
        order = (segment.column.desc(), ident.desc()) if descending else (segment.column, ident)
        for case_id, key in _ranges(session, query.order_by(*order), limit - len(rows), statuses, descending):
            rows.append((segment.code, case_id, key))
        if len(rows) >= limit:
            break
    return rows


def _ranges(
    session: Session, query: Any, limit: int, statuses: tuple[str, ...], descending: bool
) -> list[tuple[str, datetime]]:
    """The first `limit` rows (id, key) of an ordered walk; with several statuses, one walk each,
    merged in the same order (key, then id)."""
    if len(statuses) < 2:
        return [(case_id, key) for case_id, key in session.execute(query.limit(limit))]
    walks = [
        [(case_id, key) for case_id, key in session.execute(query.where(Case.status == status).limit(limit))]
        for status in statuses
    ]
    merged = heapq.merge(*walks, key=lambda row: (row[1], row[0]), reverse=descending)
    return list(itertools.islice(merged, limit))


def _count_from(
    session: Session, base: Any, sort: str, cursor: Cursor, probe: int, *, label: bool = False, overdue: bool = False
) -> int:
    """How many cases of `base` there are at or after the cursor's row in the list's order, counted
    no further than `probe`: segment by segment, each count one capped index range (one count over
    "this segment's range OR the later segments" made SQLite gather every row of both first)."""
    segments = _segments(sort, label=label, overdue=overdue)
    codes = [segment.code for segment in segments]
    counted = 0
    for segment in segments[codes.index(cursor.segment) :]:
        query = base if segment.where is None else base.where(segment.where)
        if segment.code == cursor.segment:
            query = query.where(_beyond(segment, cursor, forward=True, inclusive=True))
        counted += session.scalar(select(func.count()).select_from(query.limit(probe - counted).subquery())) or 0
        if counted >= probe:
            break
    return counted


def _at(page: int, row: tuple[str, str, datetime]) -> Cursor:
    segment, case_id, key = row
    return Cursor(page=page, segment=segment, key=key, id=case_id)


def list_cases(
    session: Session,
    *,
    reviewer: Reviewer,
    filters: CaseFilter | None = None,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> CasePage:
    """One page of the list. `filters.after` / `filters.before` hold a cursor token from the page
    links (cases.triage.case_list.Cursor): the page after the row it names, or the page before it.
    A missing, garbled or stale one gives the first page."""
    flt = filters or CaseFilter()
    now = now or utc_now()
    base = readable_cases(reviewer, flt, now)
    rows: list[tuple[str, str, datetime]] = []
    number, more = 1, False
    before = parse_cursor(flt.before, flt.sort) if not flt.after else None
    after = parse_cursor(flt.after, flt.sort)
    label, overdue = bool(flt.label), flt.overdue

    def walk(cursor: Cursor | None, *, forward: bool) -> list[tuple[str, str, datetime]]:
        return _walk(
            session,
            base,
            flt.sort,
            cursor,
            forward=forward,
            limit=limit + 1,
            label=label,
            overdue=overdue,
            statuses=_statuses(flt),
        )

    if after is not None:
        rows = walk(after, forward=True)
        number, more = after.page, len(rows) > limit
    elif before is not None:
        back = walk(before, forward=False)
        if len(back) > limit:  # a full page with more before it
            rows = back[:limit][::-1]
            number, more = before.page, True  # the cursor's own row comes next
    if not rows:  # the first page: asked for, or the cursor led nowhere
        number = 1
        rows = walk(None, forward=True)
        more = len(rows) > limit
    rows = rows[:limit]
    probe = max(COUNT_AHEAD, limit) + 1
    if number > 1:
        counted = _count_from(session, base, flt.sort, _at(number, rows[0]), probe, label=label, overdue=overdue)
    else:
        counted = session.scalar(select(func.count()).select_from(base.limit(probe).subquery())) or 0
    exact = counted < probe
    total = (number - 1) * limit + (counted if exact else counted - 1)
    pages = max(number, -(-total // limit))
    last = rows[-1] if rows else None
    first = rows[0] if rows else None
    return CasePage(
        rows=case_rows(session, reviewer=reviewer, ids=[case_id for _segment, case_id, _key in rows], now=now),
        page=number,
        pages=pages,
        total=total,
        filters=flt,
        exact=exact,
        next_cursor=_at(number + 1, last).token() if more and last else None,
        previous_cursor=_at(number - 1, first).token() if number > 2 and first else None,
    )


def readable_cases(reviewer: Reviewer, flt: CaseFilter, now: datetime) -> "Select[str]":
    """The ids of the cases sealed to `reviewer` that pass the filter (unordered)."""
    return _filtered(select(Case.id).where(holds_case_key(reviewer)), flt, now)


def case_rows(session: Session, *, reviewer: Reviewer, ids: list[str], now: datetime) -> list[CaseRow]:
    """The rows of these cases, in this order, from plaintext metadata only (no key is opened). Only the
    columns a row shows are read: loading whole `Case` objects cost most of a full page (issue 21)."""
    if not ids:
        return []
    details = {
        row.id: row
        for row in session.execute(
            select(
                Case.id,
                Case.status,
                Case.priority,
                Case.received_at,
                Case.first_response_due,
                Case.next_due,
                Case.reporter_seq,
                Category.name_id.label("category_name_id"),
                Category.name_en.label("category_name_en"),
                Opd.name.label("opd_name"),
                func.coalesce(CaseRead.seen_seq, 0).label("seen"),
                Reviewer.display_name.label("assignee"),
            )
            .join(Category, Case.category_id == Category.id)
            .join(Opd, Case.opd_id == Opd.id)
            .outerjoin(CaseRead, and_(CaseRead.case_id == Case.id, CaseRead.reviewer_id == reviewer.id))
            .outerjoin(Reviewer, Reviewer.id == Case.assigned_to_id)
            .where(Case.id.in_(ids))
        )
    }
    labels: dict[str, list[str]] = {}
    for case_id, label in session.execute(
        select(CaseLabel.case_id, CaseLabel.label).where(CaseLabel.case_id.in_(ids)).order_by(CaseLabel.label)
    ):
        labels.setdefault(case_id, []).append(label)
    activity = reporter_activity(
        session, [ThreadHead(row.id, row.reporter_seq, row.received_at) for row in (details[i] for i in ids)]
    )
    rows = []
    for case_id in ids:
        row = details[case_id]
        rows.append(
            CaseRow(
                id=row.id,
                status=row.status,
                priority=row.priority,
                category_name_id=row.category_name_id,
                category_name_en=row.category_name_en,
                opd_name=row.opd_name,
                received_at=row.received_at,
                first_response_due=row.first_response_due,
                next_due=row.next_due,
                overdue=row.next_due is not None and row.next_due < now,
                unread=row.reporter_seq > row.seen,
                assignee=row.assignee,
                labels=tuple(labels.get(case_id, ())),
                reporter_activity=activity.get(case_id),
            )
        )
    return rows


class ThreadHead(NamedTuple):
    """What `reporter_activity` needs of a case: its id, the reporter's newest item, its hour of receipt."""

    id: str
    reporter_seq: int
    received_at: datetime


def reporter_activity(session: Session, cases: list[ThreadHead]) -> dict[str, ReporterActivity]:
    """The reporter's newest item after the report, per case, from plaintext metadata (author, kind,
    seq, the hour): `case.reporter_seq` is the reporter's newest item. Files sent with the report are
    items 2, 3 ... by the reporter in the hour of receipt; the first item that is not one of them
    (a message, a team item, a later hour) ends them, so only what came after counts. A reporter who
    adds files alone, before anything else and within the hour of the report, is not told apart from
    the report's own files: that is within the report's hour anyway."""
    later = {case.id: case for case in cases if case.reporter_seq > 1}
    if not later:
        return {}
    items: dict[str, list[tuple[int, str, str, datetime]]] = {}
    for case_id, seq, kind, author, created_at in session.execute(
        select(CaseItem.case_id, CaseItem.seq, CaseItem.kind, CaseItem.author, CaseItem.created_at)
        .join(Case, Case.id == CaseItem.case_id)
        .where(CaseItem.case_id.in_(later), CaseItem.seq > 1, CaseItem.seq <= Case.reporter_seq)
        .order_by(CaseItem.case_id, CaseItem.seq)
    ):
        items.setdefault(case_id, []).append((seq, kind, author, created_at))
    found = {}
    for case_id, case in later.items():
        thread = items.get(case_id, [])
        with_report = 0
        for _seq, kind, author, created_at in thread:
            if author != "reporter" or kind != "attachment" or created_at != case.received_at:
                break
            with_report += 1
        newest = [entry for entry in thread[with_report:] if entry[2] == "reporter"]
        if newest:
            _seq, kind, _author, created_at = newest[-1]
            found[case_id] = ReporterActivity(kind=kind, at=created_at)
    return found


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[str, int]
    overdue: int
    first_response_30: tuple[int, int]  # (on time, due) among cases received in the last 30 days
    first_response_90: tuple[int, int]

    @staticmethod
    def percent(pair: tuple[int, int]) -> int | None:
        on_time, due = pair
        return None if due == 0 else round(100 * on_time / due)


def _compliance(session: Session, now: datetime, days: int, readable: ColumnElement[bool]) -> tuple[int, int]:
    window = and_(readable, Case.received_at >= now - timedelta(days=days), Case.first_response_due <= now)
    due = session.scalar(select(func.count()).select_from(Case).where(window)) or 0
    on_time = (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(window, Case.first_response_at.is_not(None), Case.first_response_at <= Case.first_response_due)
        )
        or 0
    )
    return on_time, due


def first_response_overdue(session: Session, *, viewer: Reviewer, now: datetime | None = None) -> int:
    """Cases sealed to `viewer` whose first response is late (the reporter was promised 1×24 hours):
    the first thing on the case list. The caller checks that `viewer` is a reader."""
    now = now or utc_now()
    return (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                holds_case_key(viewer),
                Case.first_response_at.is_(None),
                Case.first_response_due < now,
                Case.status.not_in(list(CaseStatus.CONCLUDED)),
            )
        )
        or 0
    )


def dashboard(session: Session, *, viewer: Reviewer, now: datetime | None = None) -> Dashboard:
    """Figures over the cases sealed to `viewer` (plaintext metadata only): a case the viewer may not
    read, e.g. about a unit they are recused from, is not counted, so the figures do not betray it.
    Whether `viewer` may see figures at all is the caller's check (cases.team.grants.is_reader)."""
    now = now or utc_now()
    readable = holds_case_key(viewer)
    counts = dict(session.execute(select(Case.status, func.count()).where(readable).group_by(Case.status)).all())
    overdue = session.scalar(select(func.count()).select_from(Case).where(readable, overdue_clause(now))) or 0
    return Dashboard(
        by_status={status: counts.get(status, 0) for status in CaseStatus},
        overdue=overdue,
        first_response_30=_compliance(session, now, 30, readable),
        first_response_90=_compliance(session, now, 90, readable),
    )
