"""Genuine reports under a flood (issue 17, point 6): what share of genuine submissions is accepted.

The portal runs under gunicorn (4 workers) with the shipped, production limits, counted in Redis
under a throw-away key prefix (removed afterwards). While it runs, flooder threads send

- junk reports: each from a fresh visit (GET the form for a CSRF token, then POST it with an invalid
  form: the "what happened" field empty), the way a script floods a form, and
- receipt guesses that drop their cookie: a fresh visit per guess, a well-formed random receipt,
- hostile files (`--bomb-threads`): valid reports each carrying one of the hostile-input corpus's
  bombs (pixel bombs, a PDF filter chain, an object-stream bomb, a zip bomb, a lying zip; from
  tests/cases/evidence/hostile.py), one after another,

and reporter threads send genuine reports (a fresh visit each, as `harness.submit`), spaced out so
that on their own they stay far below every limit. Printed: the genuine reports accepted (200 with a
receipt) and refused (429 or other), and what the flood got.

    .venv/bin/python bench/flood.py [--seconds 60] [--junk-threads 4] [--guess-threads 2] [--bomb-threads 1]
                                    [--genuine 40]

Run it in a checkout of the commit to compare (the script uses only `bench/harness.py`).
"""

import argparse
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import harness

REDIS = "redis://127.0.0.1:6379/13"


def _fresh_visit_post(base: str, path: str, fields: dict[str, str]) -> int:
    client = harness.opener()
    status, page = harness.request(client, base + path, timeout=30)
    token = harness.CSRF.search(page)
    if status != 200 or not token:
        return status
    return harness.request(client, base + path, {"csrf_token": token.group(1), **fields}, timeout=30)[0]


def _receipt() -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    text = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--junk-threads", type=int, default=4)
    parser.add_argument("--guess-threads", type=int, default=2)
    parser.add_argument("--bomb-threads", type=int, default=1)
    parser.add_argument("--genuine", type=int, default=40)
    args = parser.parse_args()

    import redis

    prefix = "kanal-flood-" + secrets.token_hex(4)
    store = redis.Redis.from_url(REDIS)
    store.ping()
    deployment = harness.deploy(
        "sqlite",
        extra={"KANAL_REDIS_URL": REDIS, "KANAL_REDIS_PREFIX": prefix, **harness.CHEAP_KDF},
        prefix="kanal-flood-",
    )
    server = harness.Server("wsgi:portal", deployment.env, deployment.tmp / "portal.log", workers=4)
    stop = threading.Event()
    junk: Counter[int] = Counter()
    guesses: Counter[int] = Counter()
    genuine: Counter[str] = Counter()
    lock = threading.Lock()
    try:
        base = server.base
        choices = harness.form_choices(base)
        fields = {"category": choices.category, "opd": choices.opd, "what": ""}

        def flood_junk() -> None:
            while not stop.is_set():
                code = _fresh_visit_post(base, "/lapor", fields)
                with lock:
                    junk[code] += 1

        def flood_guesses() -> None:
            while not stop.is_set():
                code = _fresh_visit_post(base, "/status", {"receipt": _receipt()})
                with lock:
                    guesses[code] += 1

        bombs_sent: Counter[str] = Counter()

        def flood_bombs() -> None:
            from hostile_files import submit_file

            from tests.cases.evidence import hostile

            corpus = [
                ("bomb.png", hostile.png_bomb()),
                ("bomb.jpg", hostile.jpeg_bomb()),
                ("chain.pdf", hostile.pdf_filter_chain()),
                ("objstm.pdf", hostile.pdf_object_stream_bomb()),
                ("zip.docx", hostile.zip_bomb("docx")),
                ("lying.docx", hostile.lying_zip_bomb()),
            ]
            n = 0
            while not stop.is_set():
                name, data = corpus[n % len(corpus)]
                code, receipt = submit_file(base, choices, name, data, timeout=120)
                with lock:
                    bombs_sent[f"{code}{' receipt' if receipt else ''}"] += 1
                n += 1

        def reporter(n: int) -> None:
            due = started + 3 + n * (args.seconds - 6) / args.genuine  # spread over the run, flood already on
            time.sleep(max(0.0, due - time.monotonic()))
            result = harness.submit(base, f"KANARI-{n}", choices)
            outcome = "accepted" if result.receipt else f"refused {result.status}"
            with lock:
                genuine[outcome] += 1

        floods = [threading.Thread(target=flood_junk) for _ in range(args.junk_threads)]
        floods += [threading.Thread(target=flood_guesses) for _ in range(args.guess_threads)]
        floods += [threading.Thread(target=flood_bombs) for _ in range(args.bomb_threads)]
        started = time.monotonic()
        for thread in floods:
            thread.start()
        with ThreadPoolExecutor(max_workers=args.genuine) as pool:
            list(pool.map(reporter, range(args.genuine)))
        elapsed = time.monotonic() - started
        stop.set()
        for thread in floods:
            thread.join()
        accepted = genuine["accepted"]
        print(f"run: {elapsed:.0f} s, portal on 4 gunicorn workers, shipped limits, Redis {REDIS} ({prefix})")  # noqa: T201
        print(f"junk reports (fresh visit, invalid form): {dict(sorted(junk.items()))}")  # noqa: T201
        print(f"receipt guesses (fresh visit each): {dict(sorted(guesses.items()))}")  # noqa: T201
        print(f"reports with a bomb attached: {dict(sorted(bombs_sent.items()))}")  # noqa: T201
        print(f"genuine reports: {dict(genuine)}")  # noqa: T201
        print(f"genuine accepted: {accepted}/{args.genuine} = {100 * accepted / args.genuine:.1f} %")  # noqa: T201
    finally:
        stop.set()
        server.stop()
        deployment.drop()
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()


if __name__ == "__main__":
    main()
