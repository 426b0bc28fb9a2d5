"""What padding evidence streams costs on upload (issue 16, point 3).

For each size, times (median of --runs) the encryption of a file alone (`encrypt_stream`) and
storing it through `submit_report` (prepare, encrypt, insert the chunks, commit) minus the same
submission without a file, on a throw-away SQLite database (or --database-url: an empty
PostgreSQL database or schema, e.g. `...?options=-csearch_path%3Dbench`).
Prints a JSON report with the stored bytes. Run it against an older checkout with
PYTHONPATH=<checkout> to compare (it also works with the unpadded `encrypt_stream`).

    .venv/bin/python bench/padding_cost.py --mb 1 10
"""

import argparse
import inspect
import io
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from cases.evidence.store import Limits, Upload, prepare_file
from cases.models import AttachmentChunk
from cases.platform.config import Config
from cases.platform.db import create_schema, make_engine, make_session_factory
from cases.platform.seed import active_categories, active_opds, load_seed
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.trust import trust_of
from crypto.passphrase import KdfParams
from crypto.stream import encrypt_stream, new_header


class Sized(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


def _encrypt(data: bytes) -> int:
    extra = {"size": len(data)} if "size" in inspect.signature(encrypt_stream).parameters else {}
    chunks = encrypt_stream(
        bytes(32), new_header(), io.BytesIO(data), case_id="c", attachment_id="a", item_id="i", **extra
    )
    return sum(len(chunk) for chunk in chunks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{data_dir / 'bench.db'}"
    config = Config(
        env="test",
        data_dir=data_dir,
        database_url=url,
        portal_secret_key="bench-portal-" + secrets.token_hex(16),
        review_secret_key="bench-review-" + secrets.token_hex(16),
        receipt_key="bench-receipt-" + secrets.token_hex(16),
        audit_key="bench-audit-" + secrets.token_hex(16),
        roster_roots_file=str(data_dir / "roster-roots.txt"),
        kdf=KdfParams(memory_kib=1024, iterations=1, lanes=1),
    )
    engine = make_engine(url)
    create_schema(engine)
    sessions = make_session_factory(engine, config.trust())
    with sessions() as session, session.begin():
        load_seed(session)
        key, _master = generate_recovery_key(session)
        assert trust_of(session).add_roots(recovery=[recovery_fingerprint(key)])

    def submit(data: bytes | None) -> float:
        with sessions() as session:
            files = [prepare_file(Upload("bukti.txt", Sized(data)), limits=Limits())] if data is not None else []
            started = time.perf_counter()
            submit_report(
                session,
                category_id=active_categories(session)[0].id,
                opd_id=active_opds(session)[0].id,
                content=ReportContent(what="setoran"),
                receipt_key=config.receipt_key_bytes,
                files=files,
                limits=Limits(file_bytes=100 * 1024**2, case_bytes=200 * 1024**2, hour_bytes=100 * 1024**3),
            )
            session.commit()
            return time.perf_counter() - started

    report = []
    for mb in args.mb:
        size = int(mb * 1024**2)
        data = secrets.token_hex(size // 2 + 1).encode()[:size]
        encrypt = [0.0] * args.runs
        store = [0.0] * args.runs
        for run in range(args.runs):
            started = time.perf_counter()
            stored = _encrypt(data)
            encrypt[run] = time.perf_counter() - started
            store[run] = submit(data) - submit(None)
        with sessions() as session:
            total = session.scalar(select(func.sum(func.length(AttachmentChunk.data))))
        report.append(
            {
                "size_bytes": size,
                "stored_bytes": stored,
                "encrypt_ms_median": round(1000 * statistics.median(encrypt), 1),
                "store_ms_median": round(1000 * statistics.median(store), 1),
                "database_chunk_bytes_so_far": int(total or 0),
            }
        )
    json.dump(
        {"database": engine.dialect.name, "python": sys.version.split()[0], "sizes": report}, sys.stdout, indent=2
    )
    print()
    engine.dispose()


if __name__ == "__main__":
    main()
