"""Long fuzz run over every portal endpoint (issue 8; outside CI): --n random requests.

In-process (Flask's test client, for speed) against a fresh SQLite database, or with
`--db postgresql` a fresh schema in BENCH_DATABASE_URL (default: the local `test`
database; the schema is dropped afterwards). Each
input is a random request: any public path (or a made-up one), GET or POST, a
CSRF token or not (or a wrong one), random form fields with random text (unicode,
control characters, huge, empty, numbers, look-alike receipts, real choices),
sometimes a multipart body with a random file, a random Accept-Language, and
a random query string. Every visit is a fresh client half of the time; otherwise
it keeps its cookies (so a receipt found opens /laporan-saya and gets fuzzed too).
Counts 500s and exceptions that escape the app; exits 1 if there is any.

    .venv/bin/python bench/fuzz_portal.py --n 100000 [--seed 8] [--db postgresql]
"""

import argparse
import io
import json
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from cases.platform.config import Config  # noqa: E402
from cases.platform.db import create_schema, make_engine, make_session_factory  # noqa: E402
from cases.platform.seed import load_seed  # noqa: E402
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint  # noqa: E402
from cases.web.app import dispose  # noqa: E402
from crypto.passphrase import KdfParams  # noqa: E402
from crypto.receipts import new_receipt  # noqa: E402

PATHS = [
    "/",
    "/lapor",
    "/status",
    "/laporan-saya",
    "/lupakan",
    "/panduan",
    "/tersimpan",
    "/terima-kasih",
    "/statistik",
    "/robots.txt",
    "/healthz",
    "/static/portal.css",
    "/static/../wsgi.py",
    "/%00",
    "/lapor/",
    "/" + "a" * 300,
]
FIELDS = [
    "csrf_token",
    "category",
    "opd",
    "what",
    "who",
    "when",
    "where",
    "how",
    "amount",
    "contact",
    "homepage",
    "receipt",
    "text",
    "evidence",
    "lang",
    "x",
]
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt"[^>]*>([^<]+)<')


def random_text(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind == 0:
        return ""
    if kind == 1:
        return str(rng.choice([0, -1, 1, 2, 3, 10**20, 2**63]))
    if kind == 2:
        return new_receipt() if rng.random() < 0.5 else new_receipt().lower().replace("-", " ")
    if kind == 3:
        return "Rp " + ".".join(str(rng.randrange(1000)) for _ in range(rng.randrange(1, 8)))
    if kind == 4:
        return rng.choice(
            [
                "<script>alert(1)</script>",
                "' OR 1=1 --",
                "{{7*7}}",
                "%s%n",
                "\x00",
                "\r\n\r\n",
                "../../etc/passwd",
                "=cmd|' /C calc'!A0",
                "\ud7ff\ufeff\u202e",
                "😀" * 50,
            ]
        )
    if kind == 5:
        return "x" * rng.choice([19, 20, 2000, 20001, 100_000])
    length = rng.randrange(0, 400)
    alphabet = rng.choice([None, "abc 0123456789-", "\x00\x01\x1f\x7f\u0085\u2028", "ĀăЖ中文العربية"])
    if alphabet is None:
        return "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0xD7FF), rng.randrange(0xE000, 0x10FFFF)]))
            for _ in range(length)
        )
    return "".join(rng.choice(alphabet) for _ in range(length))


def header_text(rng: random.Random) -> str:
    """Random text a client can put in a header (no line breaks; those cannot be sent)."""
    return re.sub(r"[\r\n]", "", random_text(rng))[:100]


def make_config(data_dir: Path, database_url: str) -> Config:
    unlimited = "1000000000/minute"
    return Config(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        portal_secret_key="fuzz-portal-" + secrets.token_hex(16),
        review_secret_key="fuzz-review-" + secrets.token_hex(16),
        receipt_key="fuzz-receipt-" + secrets.token_hex(16),
        audit_key="fuzz-audit-" + secrets.token_hex(16),
        roster_roots_file=str(data_dir / "roster-roots.txt"),
        kdf=KdfParams(memory_kib=1024, iterations=1, lanes=1),
        limit_status=unlimited,
        limit_status_global=unlimited,
        limit_submit=unlimited,
        limit_submit_global=unlimited,
        max_upload_mb_per_hour=10**9,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=0, help="stop early after this long (0: no limit)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with throwaway_database(args.db) as config:
        return fuzz(config, rng, args.n, args.minutes)


@contextmanager
def throwaway_database(db: str) -> Iterator[Config]:
    """A fresh SQLite file or PostgreSQL schema with the seed data and a recovery key,
    and a configuration with every limit raised; removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="kanal-fuzz-"))
    schema = ""
    if db == "postgresql":
        base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        schema = "fuzz_" + secrets.token_hex(4)
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        database_url = f"{base}?options=-csearch_path%3D{schema}"
    else:
        database_url = f"sqlite:///{data_dir / 'kanal.db'}"
    config = make_config(data_dir, database_url)
    engine = make_engine(config.database_url)
    create_schema(engine)
    with make_session_factory(engine, config.trust())() as session, session.begin():
        load_seed(session)
        key, _ = generate_recovery_key(session)
        config.trust().add_roots(recovery=[recovery_fingerprint(key)])
    engine.dispose()
    try:
        yield config
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def fuzz(config: Config, rng: random.Random, n: int, minutes: float) -> int:
    import logging

    from portal import create_app

    app = create_app(config)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    logging.getLogger().setLevel(logging.CRITICAL)  # the app logs each 500; they are counted here instead
    form = app.test_client().get("/lapor").get_data(as_text=True)
    choices = {
        name: re.findall(r'<option value="(\d+)"', part)
        for name, part in zip(("category", "opd"), form.split('name="opd"'), strict=True)
    }
    statuses: Counter[int] = Counter()
    by_endpoint: Counter[str] = Counter()
    escaped: list[str] = []
    server_errors: list[str] = []
    receipts = 0
    client = app.test_client()
    began = time.perf_counter()
    done = 0
    for done in range(1, n + 1):
        if minutes and time.perf_counter() - began > minutes * 60:
            done -= 1
            break
        if rng.random() < 0.5:
            client = app.test_client()
        path = rng.choice(PATHS + ["/lapor", "/status", "/laporan-saya"] * 4)
        method = "POST" if rng.random() < 0.7 else "GET"
        data: dict[str, object] = {}
        if method == "POST":
            for name in rng.sample(FIELDS, rng.randrange(0, len(FIELDS))):
                data[name] = random_text(rng)
            token_kind = rng.randrange(4)
            if token_kind < 2:
                page = client.get(path if path in ("/lapor", "/status", "/laporan-saya") else "/status")
                found = CSRF.search(page.get_data(as_text=True))
                if found:
                    data["csrf_token"] = found.group(1)
            if rng.random() < 0.4:
                for name in ("category", "opd"):
                    data[name] = rng.choice(choices[name])
                data["what"] = "Laporan uji acak yang cukup panjang. " + random_text(rng)
            if rng.random() < 0.1:
                data["evidence"] = (
                    io.BytesIO(rng.randbytes(rng.randrange(0, 5000))),
                    rng.choice(["a.pdf", "b.jpg", "c.docx", "../x.exe", "", "\x00.png", "d.ogg"]),
                )
        headers = {"Accept-Language": rng.choice(["id", "en", "*", "xx", "en;q=abc", header_text(rng)])}
        query = {"lang": random_text(rng)[:50]} if rng.random() < 0.2 else None
        try:
            response = client.open(
                path,
                method=method,
                data=data,
                headers=headers,
                query_string=query,
                content_type="multipart/form-data" if "evidence" in data else None,
            )
        except Exception:  # noqa: BLE001 - that is what is being counted
            escaped.append(traceback.format_exc(limit=3))
            continue
        statuses[response.status_code] += 1
        by_endpoint[f"{method} {path[:30]}"] += 1
        if response.status_code >= 500 and path != "/healthz":
            server_errors.append(f"{method} {path} {sorted(data)}")
        if RECEIPT.search(response.get_data(as_text=True)):
            receipts += 1
        if done % 10_000 == 0:
            sys.stderr.write(f"{done} inputs, {time.perf_counter() - began:.0f} s, 500s: {len(server_errors)}\n")
    seconds = time.perf_counter() - began
    dispose(app)
    print(
        json.dumps(
            {
                "database": "postgresql" if config.database_url.startswith("postgresql") else "sqlite",
                "inputs": done,
                "seconds": round(seconds, 1),
                "server_errors_5xx": len(server_errors),
                "uncaught_exceptions": len(escaped),
                "statuses": dict(sorted(statuses.items())),
                "receipts_issued": receipts,
                "endpoints": len(by_endpoint),
                "first_server_errors": server_errors[:5],
                "first_exceptions": escaped[:3],
            },
            indent=2,
        )
    )
    return 0 if not server_errors and not escaped else 1


if __name__ == "__main__":
    sys.exit(main())
