"""A/B of the in-process submission cost between two checkouts (run it with each tree as cwd):

    PYTHONPATH=. .venv/bin/python bench/submission_ab.py 150 [KIB]

Five readers, 13 grants a case; works on trees from before the roster (no cases.team.trust) too.
With KIB, every report carries a text file of that size (stored in 64 KiB chunks)."""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from cases.platform.db import create_schema, make_engine, make_session_factory
from cases.platform.seed import active_categories, active_opds, load_seed
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.recovery_keys import generate_recovery_key
from crypto.passphrase import KdfParams

CHEAP = KdfParams(memory_kib=1024, iterations=1, lanes=1)
PASS = "kopi tubruk di pasar johar pagi hari"
d = Path(tempfile.mkdtemp())
engine = make_engine(f"sqlite:///{d / 'x.db'}")
create_schema(engine)
try:
    from cases.team.accounts import activate, authenticate, create_founder
    from cases.team.recovery_keys import recovery_fingerprint
    from cases.team.trust import Trust

    trust = Trust(audit_key=b"k" * 32, roots_file=d / "roots.txt", anchor_path=d / "a.json")
    factory = make_session_factory(engine, trust)
    new = True
except ImportError:
    factory = make_session_factory(engine)
    new = False
    from cases.team.accounts import activate, create_reviewer
with factory() as s:
    load_seed(s)
    key, _ = generate_recovery_key(s)
    for i in range(5):
        if new:
            trust.add_roots(recovery=[recovery_fingerprint(key)])
            r, act, fp = create_founder(s, username=f"r{i}", display_name="R")
            trust.add_roots(founders=[fp])
            sig = authenticate(s, username=f"r{i}", passphrase=act, kdf=CHEAP).signing
            activate(s, reviewer=r, new_passphrase=PASS, kdf=CHEAP, signing=sig)
        else:
            r, _ = create_reviewer(s, username=f"r{i}", display_name="R")
            activate(s, reviewer=r, new_passphrase=PASS, kdf=CHEAP)
            r.approved_at = r.activated_at
    s.commit()
    cat, opd = active_categories(s)[0].id, active_opds(s)[0].id
    times = []
    kib = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    for _ in range(int(sys.argv[1])):
        files = []
        if kib:
            import io

            from cases.evidence.store import Limits, Upload, prepare_file

            data = io.BytesIO(b"daftar setoran bulan ini\n" * (kib * 1024 // 25))
            data.size = len(data.getvalue())  # type: ignore[attr-defined]
            files = [prepare_file(Upload("bukti.txt", data), limits=Limits())]
        t = time.perf_counter()
        submit_report(
            s,
            category_id=cat,
            opd_id=opd,
            content=ReportContent(what="setoran " * 80),
            receipt_key=b"r" * 32,
            **({"files": files} if files else {}),
        )
        s.commit()
        times.append(time.perf_counter() - t)
    from sqlalchemy import func, select

    from cases.models import KeyGrant

    print(
        ("new" if new else "base"),
        round(statistics.median(times) * 1000, 3),
        "ms median;",
        s.scalar(select(func.count()).select_from(KeyGrant)) // int(sys.argv[1]),
        "grants/case",
    )
