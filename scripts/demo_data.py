"""Fill a throw-away development database with a few hundred demo cases, for the
statistics page and the management dashboard (and their screenshots).

Run after `flask --app wsgi:review dev-setup`, with the same KANAL_* environment:

    .venv/bin/python scripts/demo_data.py [--cases 320] [--seed 9]

Reports go in through `cases.reporting.submission.submit_report` (encrypted as usual; the texts
are invented). Their triage metadata (when received, first response, status,
assignment) is then spread over the past twelve months directly in the case columns:
the demo needs history, and the real triage operations would need a reviewer's key
and today's date. Never run this against a real database: it refuses production.
"""

import argparse
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from cases.models import Case, CaseStatus, Category, Opd, Reviewer  # noqa: E402
from cases.platform.clock import to_hour, utc_now  # noqa: E402
from cases.platform.config import load_config  # noqa: E402
from cases.platform.db import make_engine, make_session_factory  # noqa: E402
from cases.reporting.report_content import ReportContent  # noqa: E402
from cases.reporting.submission import submit_report  # noqa: E402
from cases.team.accounts import new_account_row  # noqa: E402

REVIEWERS = [("rina", "Rina Kartika"), ("budi", "Budi Santoso"), ("dewi", "Dewi Lestari"), ("agus", "Agus Pratama")]
WHAT = [
    "Pungutan di loket pelayanan tanpa kuitansi.",
    "Pengadaan barang dengan harga jauh di atas pasar.",
    "Absensi pegawai dipalsukan setiap Jumat.",
    "Izin usaha hanya keluar setelah ada uang pelicin.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=320)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    config = load_config()
    if config.production:
        raise SystemExit("demo data is for development databases only")
    chance = random.Random(args.seed)  # noqa: S311 - demo data, not secrets
    now = to_hour(utc_now())
    with make_session_factory(make_engine(config.database_url), config.trust())() as session, session.begin():
        categories = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
        opds = list(session.scalars(select(Opd).order_by(Opd.id)))
        reviewers = []
        for username, name in REVIEWERS:
            reviewer = session.scalars(select(Reviewer).where(Reviewer.username == username)).first()
            reviewers.append(reviewer or new_account_row(session, username=username, display_name=name)[0])
        category_weights = [float(chance.choice((1, 3, 6, 10))) for _ in categories]
        category_weights[-2] = 0.1  # a rare kind: its count shows as "< 5" on the statistics page
        opd_weights = [chance.choice((1, 1, 2, 5, 12)) for _ in opds]
        for n in range(args.cases):
            submitted = submit_report(
                session,
                category_id=chance.choices(categories, category_weights)[0].id,
                opd_id=chance.choices(opds, opd_weights)[0].id,
                content=ReportContent(what=chance.choice(WHAT) + f" (demo {n})"),
                receipt_key=config.receipt_key_bytes,
                first_response_hours=config.first_response_hours,
            )
            case = session.get(Case, submitted.case_id)
            assert case is not None
            age_days = int(chance.triangular(0, 365, 60))  # more recent reports than old ones
            case.received_at = now - timedelta(days=age_days, hours=chance.randrange(24))
            if age_days > 1 or chance.random() < 0.5:
                case.first_response_at = case.received_at + timedelta(hours=chance.choice((2, 5, 9, 20, 23, 30, 52)))
            case.assigned_to_id = chance.choice(reviewers).id if chance.random() < 0.8 else None
            if age_days > 20 and chance.random() < 0.7:
                case.status = chance.choices((CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED), (6, 3, 2))[
                    0
                ]
                if case.status in CaseStatus.CONCLUDED:
                    case.closed_at = case.received_at + timedelta(days=chance.randrange(5, max(6, age_days)))
            elif case.first_response_at is not None:
                case.status = chance.choice((CaseStatus.VERIFYING, CaseStatus.INVESTIGATING))
            if case.status not in CaseStatus.CONCLUDED:
                case.next_due = now + timedelta(days=chance.randrange(-10, 20))
    sys.stdout.write(f"{args.cases} demo cases added.\n")


if __name__ == "__main__":
    main()
