"""Long fuzz run over every review-app endpoint, signed in (issue 8; outside CI).

In-process, like bench/fuzz_portal.py, against a fresh SQLite database or (with
`--db postgresql`) a fresh PostgreSQL schema. A few reports with files are sent
through the portal first; an admin and a second reviewer are activated with TOTP.
Then each input is a random request to a random rule of the review app's URL map,
its parameters filled with a real id (case, attachment, reviewer, table name) or
random text, GET or POST, with the session's CSRF token or not, and random values
under every form field name the app's pages use. The admin is signed in again
whenever a request logged them out. Counts 500s and exceptions that escape the
app; exits 1 if there is any.

    .venv/bin/python bench/fuzz_review.py --n 20000 [--seed 9] [--db postgresql]
"""

import argparse
import io
import json
import logging
import random
import re
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz_portal import CSRF, random_text, throwaway_database  # noqa: E402

from cases.web.app import dispose  # noqa: E402
from portal import create_app as create_portal  # noqa: E402
from review import create_app as create_review  # noqa: E402
from tests import actions  # noqa: E402
from tests.actions import login, post_multipart, report_form, upload  # noqa: E402
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer  # noqa: E402

NAME = re.compile(r'name="([a-z_]+)"')
TABLES = ["sla", "backlog", "workload", "opd", "category", "nope"]


def seed_reports(portal_app: Any, count: int) -> None:
    for n in range(count):
        client = portal_app.test_client()
        form: dict[str, object] = dict(report_form(client, what=f"Laporan uji fuzz nomor {n}, setoran bulanan."))
        form["evidence"] = [upload(f"rekap {n}\n".encode() * 40, f"rekap{n}.txt")]
        assert post_multipart(client, "/lapor", form).status_code == 200


def signed_in(review_app: Any) -> Any:
    client = review_app.test_client()
    response = login(client, "admin", NEW_PASSPHRASE)
    if response.headers.get("Location", "").endswith("/login/code"):
        actions.enter_code(client, "admin")
    return client


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    clock = actions.TotpClock()  # one fresh TOTP step per code asked for, as in the tests
    actions.CLOCK = clock
    import cases.team.second_factor

    cases.team.second_factor.time = clock  # type: ignore[assignment]
    with throwaway_database(args.db) as config:
        review_app, portal_app = create_review(config), create_portal(config)
        review_app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
        logging.getLogger().setLevel(logging.CRITICAL)  # each 500 is logged by the app; counted here instead
        client = review_app.test_client()
        activated_reviewer(review_app, client, "admin", "--admin")
        activated_reviewer(review_app, review_app.test_client(), "rina")
        seed_reports(portal_app, 4)
        client = signed_in(review_app)
        pages = [client.get(url).get_data(as_text=True) for url in ("/", "/team", "/audit", "/management")]
        case_ids = sorted(set(re.findall(r'href="/cases/([0-9a-f]{20,})"', pages[0])))
        case_pages = [client.get(f"/cases/{case_id}").get_data(as_text=True) for case_id in case_ids]
        case_pages += [client.get(f"/cases/{case_id}/export").get_data(as_text=True) for case_id in case_ids]
        files = sorted(set(re.findall(r'/files/([0-9a-f]+)"', "".join(case_pages))))
        reviewers = sorted(set(re.findall(r"/team/([0-9a-f]+)/", pages[1])))
        fields = sorted(set(NAME.findall("".join(pages + case_pages))) | {"code", "passphrase", "next"})
        assert case_ids and files and reviewers, (case_ids, files, reviewers)
        values = {
            "case_id": case_ids,
            "attachment_id": files,
            "reviewer_id": reviewers,
            "name": TABLES,
            "filename": ["review.css", "review.js", "../wsgi.py", "favicon.svg"],
        }
        rules = [rule for rule in review_app.url_map.iter_rules()]
        statuses: Counter[int] = Counter()
        server_errors: list[str] = []
        escaped: list[str] = []
        relogins = 0
        began = time.perf_counter()
        for done in range(1, args.n + 1):
            rule = rng.choice(rules)
            params = {
                arg: (rng.choice(values[arg]) if rng.random() < 0.8 else random_text(rng)[:80] or "x")
                for arg in rule.arguments
            }
            try:
                path = review_app.url_map.bind("localhost").build(rule.endpoint, params)
            except Exception:  # noqa: BLE001 - text a URL cannot carry: send it raw instead
                path = rule.rule
            methods = sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"})
            method = rng.choice(methods)
            data: dict[str, object] = {}
            if method == "POST":
                for name in rng.sample(fields, rng.randrange(0, min(len(fields), 8))):
                    data[name] = random_text(rng)
                if rng.random() < 0.7:
                    found = CSRF.search(client.get("/team").get_data(as_text=True))
                    if found:
                        data["csrf_token"] = found.group(1)
                if rng.random() < 0.05:
                    data["file"] = (io.BytesIO(rng.randbytes(rng.randrange(0, 3000))), "x.pdf")
            query = (
                {rng.choice(fields + ["status", "page", "sort", "lang"]): random_text(rng)[:60]}
                if rng.random() < 0.3
                else None
            )
            try:
                response = client.open(
                    path,
                    method=method,
                    data=data,
                    query_string=query,
                    content_type="multipart/form-data" if "file" in data else None,
                )
            except Exception:  # noqa: BLE001 - that is what is being counted
                escaped.append(traceback.format_exc(limit=3))
                continue
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(f"{method} {rule.rule} {sorted(data)} {query}")
            if response.status_code == 302 and response.headers.get("Location", "").endswith("/login"):
                client = signed_in(review_app)  # logged out (or the session expired): sign in again
                relogins += 1
            if done % 2_000 == 0:
                sys.stderr.write(f"{done} inputs, {time.perf_counter() - began:.0f} s, 500s: {len(server_errors)}\n")
        seconds = time.perf_counter() - began
        dispose(review_app)
        dispose(portal_app)
    print(
        json.dumps(
            {
                "database": args.db,
                "inputs": args.n,
                "seconds": round(seconds, 1),
                "server_errors_5xx": len(server_errors),
                "uncaught_exceptions": len(escaped),
                "statuses": dict(sorted(statuses.items())),
                "rules": len(rules),
                "relogins": relogins,
                "first_server_errors": server_errors[:5],
                "first_exceptions": escaped[:3],
            },
            indent=2,
        )
    )
    return 0 if not server_errors and not escaped else 1


if __name__ == "__main__":
    sys.exit(main())
