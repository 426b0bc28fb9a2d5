"""Does response time tell a valid receipt (or account) from an invalid one?

Times `case_by_receipt` (the status check's look-up) for a valid and an unknown receipt, and
`authenticate` for an existing and an unknown account, interleaved so that
machine noise hits both alike; prints medians and their difference. Timing is
measured here, never asserted in tests.

    .venv/bin/python bench/timing.py
"""

import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from cases.platform.db import create_schema, make_engine, make_session_factory
from cases.platform.seed import active_categories, active_opds, load_seed
from cases.reporting.errors import ReceiptNotRecognised
from cases.reporting.receipts import case_by_receipt
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.accounts import activate, authenticate, new_account_row
from cases.team.errors import LoginFailed
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.trust import Trust
from crypto.passphrase import KdfParams

ROUNDS = 300
KEY = b"bench-receipt-key-0123456789abcdef"


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main() -> None:
    directory = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{directory / 'timing.db'}")
    create_schema(engine)
    trust = Trust(audit_key=b"bench-audit-key", roots_file=directory / "roster-roots.txt")
    with make_session_factory(engine, trust)() as session:
        load_seed(session)
        recovery, _ = generate_recovery_key(session)
        trust.add_roots(recovery=[recovery_fingerprint(recovery)])
        receipt = submit_report(
            session,
            category_id=active_categories(session)[0].id,
            opd_id=active_opds(session)[0].id,
            content=ReportContent(what="x" * 600),
            receipt_key=KEY,
        ).receipt
        kdf = KdfParams()  # production parameters: the login cost is the Argon2id derivation
        reviewer, _ = new_account_row(session, username="siti", display_name="Siti")
        activate(session, reviewer=reviewer, new_passphrase="kopi tubruk di pasar johar pagi hari", kdf=kdf)
        session.commit()

        hit, miss = [], []
        for _ in range(ROUNDS):
            for text, bucket in ((receipt, hit), ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", miss)):
                began = time.perf_counter()
                with contextlib.suppress(ReceiptNotRecognised):
                    case_by_receipt(session, receipt_text=text, receipt_key=KEY)
                bucket.append(time.perf_counter() - began)

        known, unknown = [], []
        for _ in range(15):
            for name, bucket in (("siti", known), ("tidakada", unknown)):
                began = time.perf_counter()
                with contextlib.suppress(LoginFailed):
                    authenticate(session, username=name, passphrase="salah salah salah salah", kdf=kdf)
                bucket.append(time.perf_counter() - began)
                session.rollback()  # keep the failure counter from locking the account
    engine.dispose()
    print(
        json.dumps(
            {
                "receipt_valid_ms": median_ms(hit),
                "receipt_unknown_ms": median_ms(miss),
                "receipt_difference_ms": round(median_ms(hit) - median_ms(miss), 3),
                "login_existing_ms": median_ms(known),
                "login_unknown_ms": median_ms(unknown),
                "login_difference_ms": round(median_ms(known) - median_ms(unknown), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
