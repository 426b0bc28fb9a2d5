"""What the signed roster costs: a cold verification per process, and the per-submission check.

Builds a roster the real way (founders, accounts created by a key-holding admin, activated,
approved with a fresh code) for N reviewers, then times (a) `roster.verified(fresh=True)`, the
walk every process does once per roster head, and (b) `eligible_reviewers`, what a submission
runs (cached roster: one head query, the roots file's stat, the rows). Measured, never asserted.

    PYTHONPATH=. .venv/bin/python bench/roster.py [--reviewers 10 50 200]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from cases.platform.db import create_schema, make_engine, make_session_factory
from cases.platform.seed import active_opds, load_seed
from cases.team import roster
from cases.team.accounts import activate, authenticate, create_founder, create_reviewer
from cases.team.grants import eligible_reviewers
from cases.team.membership import approve_reviewer
from cases.team.second_factor import finish_enrolment, start_enrolment
from cases.team.trust import Trust
from crypto.passphrase import KdfParams
from crypto.totp import current_code

CHEAP = KdfParams(memory_kib=1024, iterations=1, lanes=1)
SECRET = b"bench-review-secret-0123456789abcdef"
PASS = "kopi tubruk di pasar johar pagi hari"


def build(count: int) -> dict[str, float]:
    directory = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{directory / 'roster.db'}")
    create_schema(engine)
    trust = Trust(audit_key=b"bench-audit-key", roots_file=directory / "roots.txt", anchor_path=directory / "a.json")
    with make_session_factory(engine, trust)() as session:
        load_seed(session)
        holders = []
        for name in ("admin", "ketua"):
            row, activation, fp = create_founder(session, username=name, display_name=name)
            trust.add_roots(founders=[fp])
            signing = authenticate(session, username=name, passphrase=activation, kdf=CHEAP).signing
            holders.append((row, activate(session, reviewer=row, new_passphrase=PASS, kdf=CHEAP, signing=signing)[1]))
        (admin, admin_key), (ketua, ketua_key) = holders
        secret = start_enrolment(reviewer=ketua, server_secret=SECRET)
        now = time.time()
        finish_enrolment(session, reviewer=ketua, code=current_code(secret, now=now), server_secret=SECRET)
        for n in range(count):
            row, _ = create_reviewer(
                session, username=f"r{n}", display_name=f"R {n}", creator=admin, creator_key=admin_key
            )
            activate(session, reviewer=row, new_passphrase=PASS, kdf=CHEAP)
            ketua.totp_last_step = None  # one code per approval in a bench, not one per 30 s
            approve_reviewer(
                session,
                approver=ketua,
                approver_key=ketua_key,
                reviewer=row,
                code=current_code(secret, now=now),
                server_secret=SECRET,
            )
        session.commit()
        entries = roster.head(session)[0]
        cold = []
        for _ in range(5):
            began = time.perf_counter()
            roster.verified(session, fresh=True)
            cold.append(time.perf_counter() - began)
        opd = active_opds(session)[0].id
        warm = []
        for _ in range(200):
            began = time.perf_counter()
            readers = eligible_reviewers(session, opd_id=opd)
            warm.append(time.perf_counter() - began)
        assert len(readers) == count + 2
    engine.dispose()
    return {
        "reviewers": count + 2,
        "roster_entries": entries,
        "cold_verification_ms": round(statistics.median(cold) * 1000, 2),
        "per_submission_readers_ms": round(statistics.median(warm) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviewers", type=int, nargs="+", default=[10, 50, 200])
    args = parser.parse_args()
    print(json.dumps([build(n) for n in args.reviewers], indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
