"""Case list speed at 1,000 and 100,000 cases (issue #4).

Fills a fresh database with synthetic cases in bulk (metadata as a real
deployment has it: statuses, OPDs, categories, deadlines, labels, one reviewer
grant per case; grant and item bytes are placeholders, since the list never
opens them), then times, through `cases.triage.case_list.list_cases`, the first page of the default (most
urgent first) list, two filtered pages ("status + unit" and "overdue + label") and deep pages:
page 100 (or the last page, at 1,000 cases there are 20) reached by following the "next" cursors
as the page links do, most urgent first and newest first, and a page in the middle of the concluded
cases, which "most urgent first" lists last (at 100,000 cases page 100 is still among the open
ones). Each figure is one page request.

On SQLite both sizes are filled first and then timed interleaved (`run_interleaved`: a sample of
every page at each size per round), so the 100,000 ÷ 1,000 ratios are of the same minutes. With
`--url` (one PostgreSQL database) the sizes run one after the other.

    .venv/bin/python bench/case_list_scale.py                     # SQLite, interleaved
    .venv/bin/python bench/case_list_scale.py --url postgresql://postgres@127.0.0.1:5432/test
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the project root

from sqlalchemy import insert, text  # noqa: E402

from cases.models import Base, Case, CaseLabel, CaseStatus, KeyGrant, Reviewer  # noqa: E402
from cases.platform.clock import to_hour, utc_now  # noqa: E402
from cases.platform.db import create_schema, make_engine, make_session_factory  # noqa: E402
from cases.platform.seed import load_seed  # noqa: E402
from cases.team.trust import Trust  # noqa: E402
from cases.triage.case_list import PAGE_SIZE, CaseFilter, Cursor, list_cases  # noqa: E402

# At 1,000 cases "status + unit" matches 5 cases and "overdue + label" 11 (seeded data): both pages are
# also timed showing this many, so that the two sizes show as many rows.
SAME_ROWS = 5


def fill(session_factory, count: int, reviewer_id: str) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    now = to_hour(utc_now())
    with session_factory() as session, session.begin():
        categories = [r[0] for r in session.execute(text("SELECT id FROM category"))]
        opds = [r[0] for r in session.execute(text("SELECT id FROM opd"))]
        batch_cases, batch_grants, batch_labels = [], [], []
        for n in range(count):
            received = now - timedelta(hours=rng.randint(0, 24 * 400))
            status = rng.choices([s.value for s in CaseStatus], weights=(5, 10, 10, 5, 50, 20))[0]
            case_id = secrets.token_hex(10)
            answered = (
                None if status == "new" and rng.random() < 0.5 else received + timedelta(hours=rng.randint(1, 40))
            )
            batch_cases.append(
                {
                    "id": case_id,
                    "category_id": rng.choice(categories),
                    "opd_id": rng.choice(opds),
                    "status": status,
                    "priority": "normal",
                    "received_at": received,
                    "updated_at": received,
                    "first_response_due": received + timedelta(hours=24),
                    "first_response_at": answered,
                    "next_due": None
                    if status in ("closed", "rejected")
                    else (
                        received + timedelta(hours=24)
                        if answered is None
                        else received + timedelta(days=30)
                        if status in ("new", "verifying")
                        else received + timedelta(days=90)
                    ),
                    "assessment_due": received + timedelta(days=30),
                    "feedback_due": received + timedelta(days=90),
                    "receipt_lookup": secrets.token_bytes(32),
                    "reporter_salt": secrets.token_bytes(32),
                    "item_seq": 1,
                    "reporter_seq": 1,
                }
            )
            batch_grants.append(
                {
                    "case_id": case_id,
                    "key_kind": "case",
                    "recipient_kind": "reviewer",
                    "recipient_id": f"reviewer:{reviewer_id}",
                    "reviewer_id": reviewer_id,
                    "sealed": b"\x01" + bytes(40),
                    "created_at": received,
                }
            )
            if rng.random() < 0.1:
                case = batch_cases[-1]  # a label carries its case's sort keys (cases.triage.label_order)
                batch_labels.append(
                    {
                        "case_id": case_id,
                        "label": rng.choice(["perlu audit", "kpk", "prioritas"]),
                        "next_due": case["next_due"],
                        "received_at": case["received_at"],
                    }
                )
            if len(batch_cases) == 5000 or n == count - 1:
                session.execute(insert(Case), batch_cases)
                session.execute(insert(KeyGrant), batch_grants)
                if batch_labels:
                    session.execute(insert(CaseLabel), batch_labels)
                batch_cases, batch_grants, batch_labels = [], [], []


def median_and_p90(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"median_ms": round(statistics.median(samples), 2), "p90_ms": round(samples[int(0.9 * len(samples)) - 1], 2)}


def deep_filter(  # type: ignore[no-untyped-def]
    session, reviewer, sort: str, depth: int, statuses: tuple[str, ...] = ()
) -> tuple[CaseFilter, int]:
    """The filter of page `depth` (or the last page), reached through the "next" cursors."""
    flt = CaseFilter(sort=sort, statuses=statuses)
    page = list_cases(session, reviewer=reviewer, filters=flt)
    while page.page < depth and page.next_cursor is not None:
        flt = CaseFilter(sort=sort, statuses=statuses, after=page.next_cursor)
        page = list_cases(session, reviewer=reviewer, filters=flt)
    return flt, page.page


@dataclass
class Installation:
    """One filled database and what is timed on it: a page request per measure."""

    count: int
    engine: Any
    session: Any
    fill_seconds: float
    measures: dict[str, Callable[[], object]] = field(default_factory=dict)
    facts: dict[str, dict[str, int]] = field(default_factory=dict)  # rows shown, page reached
    page_rows: int = 0


def install(url: str, count: int) -> Installation:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    create_schema(engine)
    sessions = make_session_factory(engine, Trust(audit_key=b"bench-audit-key"))
    with sessions() as session, session.begin():
        load_seed(session)
        reviewer = Reviewer(username="bench", display_name="Bench", state="active", created_at=utc_now())
        session.add(reviewer)
        session.flush()
        reviewer_id = reviewer.id
    began = time.perf_counter()
    fill(sessions, count, reviewer_id)
    fill_seconds = time.perf_counter() - began
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    session = sessions()
    reviewer = session.get(Reviewer, reviewer_id)
    assert reviewer is not None
    opd = session.execute(text("SELECT id FROM opd ORDER BY id LIMIT 1")).scalar_one()
    site = Installation(count=count, engine=engine, session=session, fill_seconds=fill_seconds)

    def page(flt: CaseFilter | None = None, limit: int = PAGE_SIZE) -> Callable[[], object]:
        return lambda: list_cases(session, reviewer=reviewer, filters=flt, limit=limit)

    def shown(flt: CaseFilter | None = None) -> int:
        return len(list_cases(session, reviewer=reviewer, filters=flt).rows)

    statuses = ("verifying", "investigating")
    filtered = {
        "filtered_status_opd": CaseFilter(statuses=statuses, opd_id=opd),
        "filtered_overdue_label": CaseFilter(overdue=True, label="perlu audit"),
    }
    site.measures["first_page_urgency"] = page()
    for name, flt in filtered.items():
        site.measures[name] = page(flt)
    # a status filter alone (two statuses), first page and page 4 through the cursors (the last full
    # page at 1,000 cases)
    site.measures["filtered_status"] = page(CaseFilter(statuses=statuses))
    deep, depth = deep_filter(session, reviewer, "urgency", 4, statuses=statuses)
    site.measures["filtered_status_deep"] = page(deep)
    site.facts["filtered_status_deep"] = {"page": depth, "rows": shown(deep)}
    for sort in ("urgency", "newest"):
        deep, depth = deep_filter(session, reviewer, sort, 100)
        site.measures[f"page_100_{sort}"] = page(deep)
        site.facts[f"page_100_{sort}"] = {"page": depth, "rows": shown(deep)}
    # a page in the middle of the concluded cases, which "most urgent first" lists last, newest first
    # (at 100,000 cases page 100 is still among the open ones): the cursor its "next" link would carry
    concluded = session.execute(
        text('SELECT id, received_at FROM "case" WHERE next_due IS NULL ORDER BY received_at DESC, id DESC')
    ).all()
    middle = concluded[len(concluded) // 2]
    received = middle[1] if isinstance(middle[1], datetime) else datetime.fromisoformat(middle[1])
    cursor = Cursor(page=2, segment="c", key=received, id=middle[0]).token()
    site.measures["page_concluded_urgency"] = page(CaseFilter(after=cursor))
    for name, flt in filtered.items():
        # how many cases each filtered page shows: at 1,000 cases a filter holds fewer than a page
        site.facts[name] = {"rows": shown(flt)}
        # the same filter showing SAME_ROWS cases at both sizes: what a larger table adds, apart
        # from a fuller page (the count still goes on to COUNT_AHEAD past the page)
        site.measures[f"{name}_same_rows"] = page(flt, SAME_ROWS)
        site.facts[f"{name}_same_rows"] = {"rows": SAME_ROWS}
    site.page_rows = shown()
    return site


def run_interleaved(specs: list[tuple[str, int]], rounds: int = 31) -> list[dict[str, object]]:
    """Each (url, size) filled first, then timed interleaved: a round takes every measure in turn on
    every installation (the order of the installations reversed every other round), twice in a row.
    The first request of a pair comes straight after the other installation's and finds the CPU's
    caches holding the other database ("cold"); the second repeats it ("warm", as the figures before
    this interleaving were taken, each size alone in a loop). A machine that slows down or speeds up
    during the run moves both sizes alike, so the ratios hold (issue 21, point 5: interleaved).
    Each url must be its own database."""
    assert len({url for url, _count in specs}) == len(specs), "one database per size"
    sites = [install(url, count) for url, count in specs]
    samples: dict[tuple[int, str, str], list[float]] = {}
    try:
        for site in sites:
            for measure in site.measures.values():
                measure()  # the first request reads the database's pages from the OS
        for round_number in range(rounds):
            order = sites if round_number % 2 == 0 else sites[::-1]
            for name in sites[0].measures:
                for site in order:
                    for kind in ("cold", "warm"):
                        began = time.perf_counter()
                        site.measures[name]()
                        samples.setdefault((site.count, name, kind), []).append((time.perf_counter() - began) * 1000)
    finally:
        for site in sites:
            site.session.close()
            site.engine.dispose()
    results = []
    for site in sites:
        figures: dict[str, object] = {
            "dialect": site.engine.dialect.name,
            "cases": site.count,
            "fill_seconds": round(site.fill_seconds, 1),
            "page_rows": site.page_rows,
            "rounds": rounds,
        }
        for name in site.measures:
            figures[name] = {
                **median_and_p90(samples[(site.count, name, "warm")]),
                "cold": median_and_p90(samples[(site.count, name, "cold")]),
                **site.facts.get(name, {}),
            }
        results.append(figures)
    return results


def run(url: str, count: int) -> dict[str, object]:
    """One size alone (a PostgreSQL url holds one installation at a time)."""
    return run_interleaved([(url, count)])[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.url:  # one database: the sizes one after the other, not interleaved
        results = [run(args.url, size) for size in sizes]
    else:
        results = run_interleaved([(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", size) for size in sizes])
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
