"""Where the portal's CPU goes, in-process (issue 21: "the profile's top functions after the change").

    .venv/bin/python bench/profile_portal.py [FLOWS] [flow|post|status]

Sets up a throw-away installation (dev-setup), makes the portal app, and drives it with Flask's test
client (no network, no gunicorn): FLOWS new-report flows (form GET + POST), POSTs alone, or status
checks (a valid receipt). Prints the CPU per flow without the profiler, then cProfile's top functions
by own time and by cumulative time. Rate limits count in Redis when one answers (as in production),
otherwise in memory (which starts a thread per hit: shown in the profile as lock waits).
KANAL_PROFILE_WARM=N makes N reports first (a larger database); KANAL_PROFILE_TOP=N prints N rows;
KANAL_PROFILE_DUMP=FILE keeps the profile for pstats;
KANAL_PROFILE_SQL=1 prints the SQL statements of one more flow (what a round trip is spent on).
"""

import cProfile
import io
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.harness import UNLIMITED, limits_storage  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt"[^>]*>([^<]+)<')


def _option(page: str, name: str) -> str:
    found = re.search(r'<option value="(\d+)"', page.split(f'name="{name}"', 1)[1])
    assert found
    return found.group(1)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    flows = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    what = sys.argv[2] if len(sys.argv) > 2 else "flow"
    data_dir = Path(tempfile.mkdtemp(prefix="kanal-profile-"))
    os.environ.update({**UNLIMITED, **limits_storage(), "KANAL_DATA_DIR": str(data_dir)})
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    from portal import create_app

    app = create_app()

    def form() -> tuple[object, dict[str, str]]:
        client = app.test_client()
        page = client.get("/lapor").get_data(as_text=True)
        fields = {
            "csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
            "form_token": TOKEN.search(page).group(1),  # type: ignore[union-attr]
            "category": _option(page, "category"),
            "opd": _option(page, "opd"),
            "what": "Kepala bidang meminta setoran setiap bulan dari semua staf pelaksana.",
            "who": "Kepala bidang",
            "when": "setiap awal bulan",
            "where": "ruang kepala bidang",
            "how": "tunai, lewat bendahara",
            "amount": "500.000",
        }
        return client, fields

    def post(prepared: tuple[object, dict[str, str]]) -> str:
        client, fields = prepared
        answer = client.post("/lapor", data=fields)  # type: ignore[attr-defined]
        found = RECEIPT.search(answer.get_data(as_text=True))
        assert answer.status_code == 200 and found, answer.status_code
        return found.group(1).strip()

    receipts = [post(form()) for _ in range(int(os.environ.get("KANAL_PROFILE_WARM", "10")))][:10]

    def status(index: int) -> None:
        client = app.test_client()
        page = client.get("/status").get_data(as_text=True)
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        answer = client.post("/status", data={"csrf_token": token, "receipt": receipts[index % len(receipts)]})
        assert answer.status_code == 302, answer.status_code

    def run(profile: cProfile.Profile | None) -> float:
        prepared = [form() for _ in range(flows)] if what == "post" else []
        began = _cpu()
        if profile:
            profile.enable()
        for index in range(flows):
            if what == "flow":
                post(form())
            elif what == "post":
                post(prepared[index])
            else:
                status(index)
        if profile:
            profile.disable()
        return (_cpu() - began) * 1000 / flows

    print(f"{what}: {run(None):.2f} ms CPU each, without the profiler ({flows} each)")
    if os.environ.get("KANAL_PROFILE_SQL"):
        _print_statements(lambda: run_one(what, post, form, status))
    profile = cProfile.Profile()
    run(profile)
    if os.environ.get("KANAL_PROFILE_DUMP"):
        profile.dump_stats(os.environ["KANAL_PROFILE_DUMP"])
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(int(os.environ.get("KANAL_PROFILE_TOP", "25")))
        print(out.getvalue())


def run_one(what: str, post, form, status) -> None:  # type: ignore[no-untyped-def]
    prepared = form() if what == "post" else None
    if what == "flow":
        post(form())
    elif what == "post":
        post(prepared)
    else:
        status(0)


def _print_statements(action) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split())[:160] + (" [many]" if executemany else ""))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    print(f"{len(seen)} statements:")
    for line in seen:
        print("  ", line)


if __name__ == "__main__":
    main()
