"""Search and previews on the case list at 10,000 readable cases (issue 19, point 3).

Builds a fresh database with one real reviewer (a founder created, authenticated and activated the
real way, with a cheap KDF: the passphrase KDF is not what is measured) and N cases encrypted for
real: a case key and a team key per case, both sealed to the reviewer with HPKE (ML-KEM-768 +
X25519), the case's key tag, a 5W2H report of 200-1,500 characters and 0-4 messages each, all
through `cases.items.add_item` (padded AES-256-GCM with the metadata bound). Then times, through
`cases.triage.search.find_cases` with the reviewer's actor:

- one page of the list with its previews (PAGE_SIZE rows, each grant opened and report decrypted)
  against the same page from plaintext metadata only (`list_cases`): the difference is the cost of
  the previews;
- a search with the default bound (the newest SEARCH_BOUND cases of the filter): a word found in a
  few reports, a word found only in reporters' messages, and a word found nowhere (the worst case:
  every report and every message of the searched cases is decrypted);
- the same searches with the bound lifted to every case, and within one unit's filter.

Measured, never asserted.

    .venv/bin/python bench/search_scale.py                       # SQLite, 10,000 cases
    .venv/bin/python bench/search_scale.py --cases 2000 --url postgresql://postgres@127.0.0.1:5432/kanal_search
"""

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the project root

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from cases.items import add_item  # noqa: E402
from cases.models import Base, Case, CaseStatus, Reviewer  # noqa: E402
from cases.platform.clock import to_hour, utc_now  # noqa: E402
from cases.platform.db import create_schema, make_engine, make_session_factory  # noqa: E402
from cases.platform.seed import load_seed  # noqa: E402
from cases.reporting.report_content import ReportContent  # noqa: E402
from cases.team.accounts import activate, authenticate, create_founder  # noqa: E402
from cases.team.actor import Actor  # noqa: E402
from cases.team.grants import reviewer_key_grant, tag_case  # noqa: E402
from cases.team.trust import Trust  # noqa: E402
from cases.triage.case_list import PAGE_SIZE, CaseFilter, list_cases  # noqa: E402
from cases.triage.search import SEARCH_BOUND, find_cases  # noqa: E402
from crypto.keys import new_symmetric_key  # noqa: E402
from crypto.passphrase import KdfParams  # noqa: E402

CHEAP = KdfParams(memory_kib=1024, iterations=1, lanes=1)
PASS = "kopi tubruk di pasar johar pagi hari"
_VOCABULARY = (
    "kepala bidang meminta setoran setiap awal bulan dari staf honorer pelaksana uang diserahkan "
    "melalui bendahara amplop ruang belakang kantor dinas pelayanan izin loket pungutan tanpa kuitansi "
    "promosi jabatan eselon mutasi pegawai tanda tangan berkas rapat anggaran kegiatan perjalanan dinas "
    "laporan fiktif gratifikasi hadiah rekanan proyek pengadaan barang jasa tender paket pekerjaan "
    "atasan langsung sekretaris kepala seksi pejabat pembuat komitmen saksi rekan kerja subbagian umum"
)
WORDS = _VOCABULARY.split(" ")
IN_REPORTS = "sutrisnowati"  # in the `who` of one case in 250
IN_MESSAGES = "kuitansimerah"  # in a reporter's message of one case in 500
NOWHERE = "tidakadadimanapun"


def sentence(rng: random.Random, low: int, high: int) -> str:
    words, length = [], rng.randint(low, high)
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def make_reviewer(session: Session, trust: Trust) -> tuple[str, Actor]:
    """A founding key holder made the real way; its actor holds the keys a passphrase login unwraps."""
    row, activation, fingerprint = create_founder(session, username="penelaah", display_name="Penelaah")
    trust.add_roots(founders=[fingerprint])
    signing = authenticate(session, username="penelaah", passphrase=activation, kdf=CHEAP).signing
    keypair, signing = activate(session, reviewer=row, new_passphrase=PASS, kdf=CHEAP, signing=signing)
    session.flush()
    return row.id, Actor.unlocked(row, keypair=keypair, signing=signing)


def fill(session: Session, reviewer: Reviewer, count: int) -> None:
    rng = random.Random(19)
    now = to_hour(utc_now())
    categories = [r[0] for r in session.execute(text("SELECT id FROM category"))]
    opds = [r[0] for r in session.execute(text("SELECT id FROM opd"))]
    for n in range(count):
        received = now - timedelta(hours=rng.randint(0, 24 * 400))
        status = rng.choices([s.value for s in CaseStatus], weights=(5, 10, 10, 5, 50, 20))[0]
        case = Case(
            id=secrets.token_hex(10),
            category_id=rng.choice(categories),
            opd_id=rng.choice(opds),
            status=status,
            priority="normal",
            received_at=received,
            updated_at=received,
            first_response_due=received + timedelta(hours=24),
            next_due=None if status in ("closed", "rejected") else received + timedelta(days=30),
            receipt_lookup=secrets.token_bytes(32),
            reporter_salt=secrets.token_bytes(32),
            item_seq=0,
            reporter_seq=1,
        )
        session.add(case)
        case_key, team_key = new_symmetric_key(), new_symmetric_key()
        tag_case(session, case, case_key=case_key, team_key=team_key)
        session.add(reviewer_key_grant(case.id, case_key, key_kind="case", reviewer=reviewer))
        session.add(reviewer_key_grant(case.id, team_key, key_kind="team", reviewer=reviewer))
        report = ReportContent(
            what=sentence(rng, 200, 1500),
            who=("Ibu Sutrisnowati, " if n % 250 == 0 else "") + sentence(rng, 10, 60),
            when=sentence(rng, 5, 30),
            where=sentence(rng, 5, 40),
            how=sentence(rng, 20, 300),
            amount_rupiah=rng.choice([None, 250000, 1500000, 25000000]),
        )
        seq = 1
        add_item(
            session, case=case, key=case_key, key_kind="case", kind="report", author="reporter",
            plaintext=report.to_bytes(), seq=seq, created_at=received,
        )  # fmt: skip
        for m in range(rng.randint(0, 4)):
            seq += 1
            author = "team" if m % 2 == 0 else "reporter"
            body = sentence(rng, 60, 400) + (f" {IN_MESSAGES}" if author == "reporter" and n % 500 == 1 else "")
            add_item(
                session, case=case, key=case_key, key_kind="case", kind="message", author=author,
                plaintext=body.encode(), seq=seq, created_at=received + timedelta(hours=m + 1),
            )  # fmt: skip
            if author == "reporter":
                case.reporter_seq = seq
        case.item_seq = seq
        if n % 500 == 499:
            session.flush()
            session.expunge_all()
            reviewer = session.get(Reviewer, reviewer.id)  # type: ignore[assignment]


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(samples[-1], 1)}


def run(url: str, count: int, repeat: int) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp())
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    create_schema(engine)
    trust = Trust(audit_key=b"bench-audit-key", roots_file=directory / "roots.txt", anchor_path=directory / "a.json")
    sessions = make_session_factory(engine, trust)
    with sessions() as session, session.begin():
        load_seed(session)
        reviewer_id, _ = make_reviewer(session, trust)
    began = time.perf_counter()
    with sessions() as session, session.begin():
        reviewer = session.get(Reviewer, reviewer_id)
        assert reviewer is not None
        fill(session, reviewer, count)
    fill_seconds = time.perf_counter() - began
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with sessions() as session:
        # The actor again, as the next request would have it: the keys of a passphrase login.
        outcome = authenticate(session, username="penelaah", passphrase=PASS, kdf=CHEAP)
        assert outcome.keypair is not None
        row = session.get(Reviewer, reviewer_id)
        assert row is not None
        actor = Actor.unlocked(row, keypair=outcome.keypair)
        unit = session.execute(text('SELECT opd_id FROM "case" GROUP BY opd_id ORDER BY count(*) DESC')).scalar()

        def searched(query: str, **kw: object) -> Callable[[], object]:
            def go() -> object:
                page = find_cases(session, actor=actor, query=query, **kw)  # type: ignore[arg-type]
                session.rollback()  # the audit event of each search is not what is measured
                return page

            return go

        probe = find_cases(session, actor=actor, query=IN_REPORTS)
        everywhere = find_cases(session, actor=actor, query=IN_REPORTS, bound=count)
        in_messages = find_cases(session, actor=actor, query=IN_MESSAGES, bound=count)
        session.rollback()
        figures = {
            "list_page_metadata_only": timed(lambda: list_cases(session, reviewer=row), repeat * 3),
            "list_page_with_previews": timed(lambda: find_cases(session, actor=actor), repeat * 3),
            f"search_bound_{SEARCH_BOUND}_word_in_reports": timed(searched(IN_REPORTS), repeat),
            f"search_bound_{SEARCH_BOUND}_word_in_messages": timed(searched(IN_MESSAGES), repeat),
            f"search_bound_{SEARCH_BOUND}_word_nowhere": timed(searched(NOWHERE), repeat),
            "search_all_cases_word_in_reports": timed(searched(IN_REPORTS, bound=count), max(2, repeat // 2)),
            "search_all_cases_word_nowhere": timed(searched(NOWHERE, bound=count), max(2, repeat // 2)),
            "search_one_unit_word_nowhere": timed(searched(NOWHERE, filters=CaseFilter(opd_id=unit)), repeat),
        }
        unit_cases = find_cases(session, actor=actor, query=NOWHERE, filters=CaseFilter(opd_id=unit)).search
        session.rollback()
    engine.dispose()
    assert probe.search is not None and everywhere.search is not None and unit_cases is not None
    return {
        "dialect": engine.dialect.name,
        "cases": count,
        "fill_seconds": round(fill_seconds, 1),
        "page_rows": PAGE_SIZE,
        "bound": SEARCH_BOUND,
        "found_in_reports_within_bound": probe.total,
        "found_in_reports_all": everywhere.total,
        "found_in_messages_all": in_messages.total,
        "cases_in_the_unit": unit_cases.searched,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'search.db'}"
    print(json.dumps(run(url, args.cases, args.repeat), indent=2))


if __name__ == "__main__":
    main()
