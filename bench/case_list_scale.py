"""Case list speed at 1,000 and 100,000 cases (issue #4).

Fills a fresh database with synthetic cases in bulk (metadata as a real
deployment has it: statuses, OPDs, categories, deadlines, labels, one reviewer
grant per case; grant and item bytes are placeholders, since the list never
opens them), then times, through `cases.triage.case_list.list_cases`, the first page of the default (most
urgent first) list, two filtered pages ("status + unit" and "overdue + label") and deep pages:
page 100 (or the last page, at 1,000 cases there are 20) reached by following the "next" cursors
as the page links do, most urgent first and newest first. Each figure is one page request.

    .venv/bin/python bench/case_list_scale.py                     # SQLite
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
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the project root

from sqlalchemy import insert, text  # noqa: E402

from cases.models import Base, Case, CaseLabel, CaseStatus, KeyGrant, Reviewer  # noqa: E402
from cases.platform.clock import to_hour, utc_now  # noqa: E402
from cases.platform.db import create_schema, make_engine, make_session_factory  # noqa: E402
from cases.platform.seed import load_seed  # noqa: E402
from cases.team.trust import Trust  # noqa: E402
from cases.triage.case_list import CaseFilter, list_cases  # noqa: E402

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


def timed(fn, repeat: int = 15) -> dict[str, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2), "p90_ms": round(samples[int(0.9 * len(samples)) - 1], 2)}


def deep_filter(session, reviewer, sort: str, depth: int) -> tuple[CaseFilter, int]:  # type: ignore[no-untyped-def]
    """The filter of page `depth` (or the last page), reached through the "next" cursors."""
    flt = CaseFilter(sort=sort)
    page = list_cases(session, reviewer=reviewer, filters=flt)
    while page.page < depth and page.next_cursor is not None:
        flt = CaseFilter(sort=sort, after=page.next_cursor)
        page = list_cases(session, reviewer=reviewer, filters=flt)
    return flt, page.page


def run(url: str, count: int) -> dict[str, object]:
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
    with sessions() as session:
        reviewer = session.get(Reviewer, reviewer_id)
        assert reviewer is not None
        opd = session.execute(text("SELECT id FROM opd ORDER BY id LIMIT 1")).scalar_one()
        figures = {
            "first_page_urgency": timed(lambda: list_cases(session, reviewer=reviewer)),
            "filtered_status_opd": timed(
                lambda: list_cases(
                    session, reviewer=reviewer, filters=CaseFilter(statuses=("verifying", "investigating"), opd_id=opd)
                )
            ),
            "filtered_overdue_label": timed(
                lambda: list_cases(session, reviewer=reviewer, filters=CaseFilter(overdue=True, label="perlu audit"))
            ),
        }
        for sort in ("urgency", "newest"):
            deep, depth = deep_filter(session, reviewer, sort, 100)
            figures[f"page_100_{sort}"] = timed(lambda deep=deep: list_cases(session, reviewer=reviewer, filters=deep))
            figures[f"page_100_{sort}"]["page"] = depth
        rows = len(list_cases(session, reviewer=reviewer).rows)
        # how many cases each filtered page shows: at 1,000 cases a filter holds fewer than a page
        shown = {
            "filtered_status_opd": CaseFilter(statuses=("verifying", "investigating"), opd_id=opd),
            "filtered_overdue_label": CaseFilter(overdue=True, label="perlu audit"),
        }
        for name, flt in shown.items():
            figures[name]["rows"] = len(list_cases(session, reviewer=reviewer, filters=flt).rows)
            # the same filter showing SAME_ROWS cases at both sizes: what a larger table adds, apart
            # from a fuller page (the count still goes on to COUNT_AHEAD past the page)
            figures[f"{name}_same_rows"] = timed(
                lambda flt=flt: list_cases(session, reviewer=reviewer, filters=flt, limit=SAME_ROWS)
            )
            figures[f"{name}_same_rows"]["rows"] = SAME_ROWS
    engine.dispose()
    return {
        "dialect": engine.dialect.name,
        "cases": count,
        "fill_seconds": round(fill_seconds, 1),
        "page_rows": rows,
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        results.append(run(url, size))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
