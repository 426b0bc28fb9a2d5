"""`make bench`: every figure of issue 8, point 1, as a ratio measured in the same run.

Starts, on loopback, a bare Flask app (bench/hello_app.py, the ceiling), the
portal and the review app, all under gunicorn with the shared gunicorn.conf.py
(the bare app and the portal on the portal's production default, one sync worker
per core; the review app on 4), over a throw-away SQLite data dir with the
production Argon2id parameters (64 MiB, t=3, p=4). Load for submissions and status
checks comes from wrk (a compiled client, Debian's `wrk`; Lua scripts in
bench/wrk/), bare and portal interleaved in rounds, so the bare ceiling is not
bound by the client (issue 21, point 5); the server's CPU per request is read
from /proc of its processes, and wrk's own CPU is reported beside it. The urllib
client stays for what wrk cannot do (the reviewer's login with TOTP, the case view
of a signed-in reviewer) and, at concurrency 8, as the "before" client of the
same run. The machine is shared and noisy, so only ratios within this run are
compared with the targets. Writes bench/results/latest.json and latest.md.

    .venv/bin/python bench/run.py [--quick]
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import (
    PASS,
    ROOT,
    UNLIMITED,
    Server,
    canaries,
    csrf,
    deploy,
    form_choices,
    opener,
    request,
    reviewer,
    submit,
)

sys.path.insert(0, str(ROOT))
from case_list_scale import run_interleaved as case_list_run_interleaved  # noqa: E402

from crypto.passphrase import KdfParams, derive_passphrase_keys, new_salt  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": str(os.cpu_count()),
        "memory": f"{int(mem.split()[0]) // 1024} MiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "load_average_at_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def cpu_ticks() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs since boot (/proc/stat): the time a virtual machine's CPUs
    were ready to run but the host ran something else."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return fields[7], sum(fields[:8])


def summary(samples: list[float]) -> dict[str, float]:
    """Milliseconds: p50, p99 (inclusive quantiles), n."""
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "n": len(ordered),
    }


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def no_redirect_opener() -> urllib.request.OpenerDirector:
    import http.cookiejar

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())


def kdf_cost(rounds: int) -> dict[str, float]:
    params = KdfParams()
    samples = [timed(lambda: derive_passphrase_keys(PASS, salt=new_salt(), params=params)) for _ in range(rounds)]
    return {**summary(samples), "params": params.encode()}  # type: ignore[dict-item]


def hello_pair(base: str) -> None:
    client = opener()
    status, _ = request(client, base + "/")
    status2, _ = request(client, base + "/", {"text": "Setoran bulanan dari staf ke atasan setiap tanggal lima."})
    assert status == status2 == 200


def load_level(
    action: Callable[[int], None], count: int, concurrency: int, server: Server | None = None
) -> dict[str, float]:
    """Latency and throughput of `count` actions; with `server`, also the server's CPU per action
    (from /proc: independent of the client's own cost)."""
    samples: list[float] = []

    def one(index: int) -> None:
        samples.append(timed(lambda: action(index)))

    cpu_before = server.cpu_seconds() if server else 0.0
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    seconds = time.perf_counter() - began
    out = {**summary(samples), "per_s": round(count / seconds, 1)}
    if server:
        out["cpu_ms"] = round((server.cpu_seconds() - cpu_before) * 1000 / count, 2)
    return out


WRK_DIR = ROOT / "bench" / "wrk"


def wrk(script: str, base: str, connections: int, seconds: int, server: Server, *args: str) -> dict[str, object]:
    """One wrk run (one connection per wrk thread: the Lua scripts keep a state per connection).

    Returns wrk's JSON summary (bench/wrk/common.lua), the flow latencies in seconds ("samples"),
    the server's CPU over the run (from /proc) and wrk's own CPU (its rusage, from wait4)."""
    with tempfile.NamedTemporaryFile(prefix="kanal-wrk-", suffix=".txt") as samples_file:
        env = {**os.environ, "KANAL_WRK_SAMPLES": samples_file.name}
        command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s"]
        cpu_before = server.cpu_seconds()
        process = subprocess.Popen(  # noqa: S603 - Debian's wrk, our own scripts
            [*command, "-s", script, base, "--", *args],  # noqa: S607
            cwd=WRK_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout
        output = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        time.sleep(0.3)  # the requests in flight when wrk stopped are answered (and paid for) too
        server_cpu = server.cpu_seconds() - cpu_before
        line = next((text for text in output.splitlines() if text.startswith('{"flows"')), None)
        assert process.returncode == 0 and line, output
        result: dict[str, object] = json.loads(line)
        result["samples"] = [float(value) for value in Path(samples_file.name).read_text().split()]
    result["server_cpu_s"] = server_cpu
    result["client_cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def wrk_version() -> str:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (scripts/bench-deps.sh), or apt-get install wrk")
    first = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    return first.splitlines()[0].split(" [")[0] if first else "wrk"


def merged(runs: list[dict[str, object]]) -> dict[str, float]:
    """Rounds of one measure, together: flows per second over all rounds, flow p50/p99 over every
    flow, server and client CPU per flow."""
    flows = sum(int(run["flows"]) for run in runs)  # type: ignore[call-overload]
    seconds = sum(float(run["seconds"]) for run in runs)  # type: ignore[arg-type]
    samples = [value for run in runs for value in run["samples"]]  # type: ignore[attr-defined]
    server_cpu = sum(float(run["server_cpu_s"]) for run in runs)  # type: ignore[arg-type]
    client_cpu = sum(float(run["client_cpu_s"]) for run in runs)  # type: ignore[arg-type]
    errors = sum(sum(run["errors"].values()) for run in runs)  # type: ignore[attr-defined]
    return {
        **summary(samples),
        "per_s": round(flows / seconds, 1),
        "flows": flows,
        "failures": sum(int(run["failures"]) for run in runs),  # type: ignore[call-overload]
        "wrk_errors": errors,
        "requests": sum(int(run["requests"]) for run in runs),  # type: ignore[call-overload]
        "seconds": round(seconds, 2),
        "cpu_ms": round(server_cpu * 1000 / flows, 2),
        "client_cpu_ms": round(client_cpu * 1000 / flows, 3),
        "rounds": len(runs),
    }


Measure = tuple[str, Server, tuple[str, ...]] | Callable[[], dict[str, object]]


def interleaved(
    measures: dict[str, Measure], connections: int, seconds: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Each measure (name -> wrk script, server, script arguments; or a function that measures one
    round itself) for `seconds`, in turn, `rounds` times: machine noise falls on all of them alike."""
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in measures}
    for _round in range(rounds):
        for name, measure in measures.items():
            if callable(measure):
                runs[name].append(measure())
                continue
            script, server, args = measure
            runs[name].append(wrk(script, server.base, connections, seconds, server, *args))
    return {name: merged(values) for name, values in runs.items()}


def submissions(
    hello_server: Server, portal_server: Server, levels: tuple[int, ...], seconds: int, rounds: int, urllib_count: int
) -> dict[str, dict[str, dict[str, float]]]:
    """wrk at each concurrency: the bare GET + POST pair and the portal's new-report flow, interleaved;
    at concurrency 8 also the threaded urllib client of before (issue 8), in the same rounds."""
    measures: dict[str, Measure] = {
        "hello": ("hello_pair.lua", hello_server, ()),
        "portal": ("report_flow.lua", portal_server, ()),
    }
    out = {}
    for level in levels:
        extra: dict[str, Measure] = {}
        if level == 8:
            extra = urllib_measures(hello_server, portal_server, urllib_count // rounds, level)
        out[str(level)] = interleaved({**measures, **extra}, level, seconds, rounds)
    return out


def urllib_measures(hello_server: Server, portal_server: Server, count: int, concurrency: int) -> dict[str, Measure]:
    """The bare pair and the new-report flow with the urllib client: `count` flows a round, on
    `concurrency` threads. Its own CPU is this process's CPU over the round (nothing else runs)."""
    hello, portal = hello_server.base, portal_server.base
    choices = form_choices(portal)

    def portal_one(_index: int) -> None:
        assert submit(portal, canaries(1)[0], choices).receipt, "no receipt"

    def one_round(action: Callable[[int], None], server: Server) -> dict[str, object]:
        samples: list[float] = []
        client_before, server_before = time.process_time(), server.cpu_seconds()
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(lambda index: samples.append(timed(lambda: action(index))), range(count)))
        seconds = time.perf_counter() - began
        client_cpu = time.process_time() - client_before
        time.sleep(0.3)
        return {
            "flows": count,
            "failures": 0,
            "errors": {},
            "requests": 2 * count,
            "seconds": seconds,
            "samples": samples,
            "server_cpu_s": server.cpu_seconds() - server_before,
            "client_cpu_s": client_cpu,
        }

    return {
        "hello_urllib": lambda: one_round(lambda _i: hello_pair(hello), hello_server),
        "portal_urllib": lambda: one_round(portal_one, portal_server),
    }


def status_checks(
    hello_server: Server, portal_server: Server, receipt: str, seconds: int, rounds: int
) -> dict[str, dict[str, float]]:
    """wrk at concurrency 1: POST /status with a valid and an invalid receipt, the status and report
    forms' GET (fresh pages, kept per process), and the bare GET, in turn."""
    return interleaved(
        {
            "hello_get": ("hello_get.lua", hello_server, ()),
            "valid": ("status_check.lua", portal_server, (receipt, "302")),
            "invalid": ("status_check.lua", portal_server, ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "200")),
            "status_page": ("page_get.lua", portal_server, ("/status",)),
            "report_form": ("page_get.lua", portal_server, ("/lapor",)),
        },
        1,
        seconds,
        rounds,
    )


def logins(review: str, rounds: int, backup_codes: list[str]) -> dict[str, float]:
    """POST /login with the right passphrase (the step that runs Argon2id) -> 302 to the code step.

    Every attempt counts against the account until the second factor clears it (cases/team/login_throttle.py:
    3 free), so every third login is completed with a backup code (a TOTP code works once per 30 s).
    """
    samples, derivations = [], []
    params = KdfParams()
    for index in range(rounds):
        # one derivation here, interleaved, so that machine noise hits both alike
        derivations.append(timed(lambda: derive_passphrase_keys(PASS, salt=new_salt(), params=params)))
        client = no_redirect_opener()
        token = csrf(client, review + "/login")
        began = time.perf_counter()
        status, _ = request(client, review + "/login", {"csrf_token": token, "username": "admin", "passphrase": PASS})
        samples.append(time.perf_counter() - began)
        assert status == 302, status
        if index % 3 == 2:
            status, _ = request(
                client,
                review + "/login/code",
                {"csrf_token": csrf(client, review + "/login/code"), "code": backup_codes.pop()},
            )
            assert status == 302, status
    return {**summary(samples), "kdf_interleaved_p50_ms": summary(derivations)["p50_ms"]}


def case_views(review: str, hello: str, client: urllib.request.OpenerDirector, rounds: int) -> dict[str, object]:
    """The case page of a signed-in reviewer (urllib: wrk cannot sign in with TOTP), and the bare GET
    with the same client, interleaved."""
    listing = request(client, review + "/")[1]
    found = re.search(r'href="(/cases/[0-9a-f]+)"', listing)
    assert found, "no case in the list: " + " ".join(re.findall(r"<(?:h1|p)[^>]*>([^<]+)", listing))[:300]
    url = review + found.group(1)
    assert "KANARI-" in request(client, url)[1], "the case page shows no decrypted report"
    views, bare = [], []
    for _ in range(rounds):
        views.append(timed(lambda: request(client, url)))
        bare.append(timed(lambda: request(opener(), hello + "/")))
    return {**summary(views), "hello_get_urllib": summary(bare)}


def attachment(mb: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "bench/attachment_memory.py", "--mb", str(mb)],  # noqa: S603
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small counts, 10k cases instead of 100k, 20 MB file")
    args = parser.parse_args()
    quick = args.quick
    started = time.perf_counter()
    report: dict[str, object] = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    steal_at_start, total_at_start = cpu_ticks()
    wrk_found = wrk_version()  # before anything starts: without wrk there is nothing to measure with
    report["kdf_one_derivation"] = kdf_cost(5 if quick else 9)
    deployment = deploy("sqlite", extra=UNLIMITED, prefix="kanal-benchrun-")  # production KDF parameters
    logs = deployment.tmp
    cores = os.cpu_count() or 1
    servers = [
        # the bare app on the same worker count as the portal: the ceiling under the same settings
        Server("hello_app:app", deployment.env, logs / "hello.log", workers=cores),
        Server("wsgi:portal", deployment.env, logs / "portal.log", workers=cores),  # its production default
        Server("wsgi:review", deployment.env, logs / "review.log"),
    ]
    hello, portal, review = (server.base for server in servers)
    report["workers"] = {"hello": cores, "portal": cores, "review": 4}
    seconds, rounds = (2, 2) if quick else (5, 3)
    report["wrk"] = {"seconds_per_round": seconds, "rounds": rounds, "version": wrk_found}
    try:
        # activated first: cases are sealed to the reviewers active when they arrive
        client, backup_codes = reviewer(review, deployment.one_time_passphrase)
        for _warm in range(5):
            assert submit(portal, "KANARI-warm", form_choices(portal)).receipt
        report["submission"] = submissions(servers[0], servers[1], (1, 8, 32), seconds, rounds, 120 if quick else 450)
        receipt = submit(portal, "KANARI-status", form_choices(portal)).receipt
        assert receipt
        report["status_check"] = status_checks(servers[0], servers[1], receipt, seconds, rounds)
        report["case_view"] = case_views(review, hello, client, 30 if quick else 100)
        report["reviewer_login"] = logins(review, 7 if quick else 15, backup_codes)
    finally:
        for server in servers:
            server.stop()
        deployment.drop()
    large = 10_000 if quick else 100_000
    folders = [Path(tempfile.mkdtemp(prefix="kanal-list-")) for _size in (1000, large)]
    try:  # both sizes filled, then timed interleaved (case_list_scale.run_interleaved)
        report["case_list"] = case_list_run_interleaved(
            [(f"sqlite:///{folder / 'list.db'}", size) for folder, size in zip(folders, (1000, large), strict=True)]
        )
    finally:
        for folder in folders:
            shutil.rmtree(folder)
    report["attachment_100mb"] = attachment(20 if quick else 100)
    report["ratios"] = ratios(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_at_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    steal, total = cpu_ticks()
    # a run with the host busy elsewhere is slower throughout, and its ratios move too: shown, to judge it by
    report["steal_percent"] = round(100 * (steal - steal_at_start) / max(1, total - total_at_start), 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(report))
    sys.stdout.write(markdown(report))
    return 0


def ratios(report: dict[str, object]) -> list[dict[str, object]]:
    sub: dict[str, dict[str, dict[str, float]]] = {
        level: dict(measures)
        for level, measures in report["submission"].items()  # type: ignore[attr-defined]
    }
    status: dict[str, dict[str, float]] = report["status_check"]  # type: ignore[assignment]
    kdf: dict[str, float] = report["kdf_one_derivation"]  # type: ignore[assignment]
    login: dict[str, float] = report["reviewer_login"]  # type: ignore[assignment]
    view: dict[str, Any] = report["case_view"]  # type: ignore[assignment]
    lists: list[dict[str, Any]] = report["case_list"]  # type: ignore[assignment]
    upload: dict[str, dict[str, float]] = report["attachment_100mb"]  # type: ignore[assignment]
    workers: dict[str, int] = report["workers"]  # type: ignore[assignment]
    rows: list[dict[str, object]] = []

    def row(name: str, value: float, target: str, met: bool | None, detail: str) -> None:
        rows.append(
            {
                "measure": name,
                "value": value,
                "target": target,
                "met": "yes" if met else ("no" if met is not None else "—"),
                "detail": detail,
            }
        )

    old = {"portal": sub["8"].pop("portal_urllib"), "hello": sub["8"].pop("hello_urllib")}
    for level in sub:
        portal, hello = sub[level]["portal"], sub[level]["hello"]
        row(
            f"server CPU per new-report flow (form GET + POST), concurrency {level} ÷ bare Flask pair",
            ratio(portal["cpu_ms"], hello["cpu_ms"]),
            "",
            None,
            f"{portal['cpu_ms']} vs {hello['cpu_ms']} ms (from /proc: the client's cost is not in it)",
        )
        share = ratio(portal["per_s"], hello["per_s"])
        row(
            f"submission throughput (wrk), concurrency {level} ÷ bare Flask",
            share,
            "≥ 0.5" if level == "8" else "",
            share >= 0.5 if level == "8" else None,
            f"{portal['per_s']}/s vs {hello['per_s']}/s ({portal['flows']} and {hello['flows']} flows, "
            f"{portal['failures'] + portal['wrk_errors']} and {hello['failures'] + hello['wrk_errors']} failed)",
        )
        row(
            f"submission p50 / p99 latency (wrk), concurrency {level} ÷ bare Flask",
            ratio(portal["p50_ms"], hello["p50_ms"]),
            "",
            None,
            f"p50 {portal['p50_ms']} vs {hello['p50_ms']} ms; p99 {portal['p99_ms']} vs {hello['p99_ms']} ms",
        )
    flows = sum(sub[level]["portal"]["flows"] for level in sub)
    cpu_all = round(sum(sub[level]["portal"]["cpu_ms"] * sub[level]["portal"]["flows"] for level in sub) / flows, 2)
    row(
        "server CPU per new-report flow, all levels (ms)",
        cpu_all,
        "≤ 12",
        cpu_all <= 12,
        "per level: "
        + " / ".join(f"{sub[level]['portal']['cpu_ms']}" for level in sub)
        + " ms at concurrency "
        + " / ".join(sub),
    )
    eight = sub["8"]["portal"]
    tail = ratio(eight["p99_ms"], eight["p50_ms"])
    row(
        f"submission p99 ÷ p50 at concurrency 8, default workers ({workers['portal']} sync)",
        tail,
        "≤ 3",
        tail <= 3,
        f"p99 {eight['p99_ms']} ms, p50 {eight['p50_ms']} ms",
    )
    for level in sub:
        portal, hello = sub[level]["portal"], sub[level]["hello"]
        row(
            f"client's own CPU (wrk) ÷ server CPU, bare pair, concurrency {level}",
            ratio(hello["client_cpu_ms"], hello["cpu_ms"]),
            "",
            None,
            f"wrk {hello['client_cpu_ms']} vs server {hello['cpu_ms']} ms a pair; new-report flow: "
            f"wrk {portal['client_cpu_ms']} vs server {portal['cpu_ms']} ms",
        )
    before_portal, before_hello = old["portal"], old["hello"]
    row(
        "before: submission throughput (urllib client, same rounds), concurrency 8 ÷ bare Flask",
        ratio(before_portal["per_s"], before_hello["per_s"]),
        "",
        None,
        f"{before_portal['per_s']}/s vs {before_hello['per_s']}/s (wrk: {sub['8']['portal']['per_s']}/s vs "
        f"{sub['8']['hello']['per_s']}/s); server CPU {before_portal['cpu_ms']} vs {before_hello['cpu_ms']} ms",
    )
    row(
        "before: the urllib client's own CPU ÷ server CPU, bare pair, concurrency 8",
        ratio(before_hello["client_cpu_ms"], before_hello["cpu_ms"]),
        "",
        None,
        f"urllib {before_hello['client_cpu_ms']} vs server {before_hello['cpu_ms']} ms a pair; new-report flow: "
        f"urllib {before_portal['client_cpu_ms']} vs server {before_portal['cpu_ms']} ms",
    )
    one = sub["1"]["portal"]
    row(
        "submission p50 at concurrency 1 ÷ one KDF derivation",
        ratio(one["p50_ms"], kdf["p50_ms"]),
        "",
        None,
        f"{one['p50_ms']} ms vs Argon2id {kdf['p50_ms']} ms: no passphrase KDF on the reporter's path",
    )
    bare = status["hello_get"]
    for name, label in (("valid", "valid receipt"), ("invalid", "invalid receipt")):
        value = ratio(status[name]["p50_ms"], bare["p50_ms"])
        row(
            f"status check p50 ({label}, wrk, concurrency 1) ÷ bare Flask GET",
            value,
            "≤ 2",
            value <= 2,
            f"{status[name]['p50_ms']} vs {bare['p50_ms']} ms",
        )
    for name, label in (("valid", "valid receipt"), ("invalid", "invalid receipt")):
        value = ratio(status[name]["cpu_ms"], bare["cpu_ms"])
        row(
            f"server CPU per status check ({label}) ÷ bare Flask GET",
            value,
            "≤ 2",
            value <= 2,
            f"{status[name]['cpu_ms']} vs {bare['cpu_ms']} ms (from /proc)",
        )
    for name, label in (("status_page", "status form (GET /status)"), ("report_form", "report form (GET /lapor)")):
        value = ratio(status[name]["p50_ms"], bare["p50_ms"])
        row(
            f"{label} p50 (wrk, concurrency 1) ÷ bare Flask GET",
            value,
            "≤ 2",
            value <= 2,
            f"{status[name]['p50_ms']} vs {bare['p50_ms']} ms; server CPU {status[name]['cpu_ms']} vs "
            f"{bare['cpu_ms']} ms ({ratio(status[name]['cpu_ms'], bare['cpu_ms'])} ×)",
        )
    difference = round(status["valid"]["p50_ms"] - status["invalid"]["p50_ms"], 2)
    row(
        "status check p50 valid − invalid (ms)",
        difference,
        "within noise",
        None,
        f"valid p99 {status['valid']['p99_ms']} ms, invalid p99 {status['invalid']['p99_ms']} ms",
    )
    login_ratio = ratio(login["p50_ms"], login["kdf_interleaved_p50_ms"])
    row(
        "reviewer login p50 ÷ one KDF derivation",
        login_ratio,
        "≤ 1.25",
        login_ratio <= 1.25,
        f"{login['p50_ms']} vs {login['kdf_interleaved_p50_ms']} ms ({kdf['params']}, interleaved)",
    )
    row(
        "case view (decrypt) p50 ÷ bare Flask GET (urllib, interleaved)",
        ratio(view["p50_ms"], view["hello_get_urllib"]["p50_ms"]),
        "",
        None,
        f"{view['p50_ms']} vs {view['hello_get_urllib']['p50_ms']} ms (case view p99 {view['p99_ms']} ms)",
    )
    small, large = lists
    for key, label, target in (
        ("first_page_urgency", "case list first page", 1.3),
        ("filtered_status", "filtered page (two statuses)", 1.5),
        ("filtered_status_deep", "filtered page (two statuses), page 4 via cursors", 1.5),
        ("filtered_status_opd", "filtered page (status + unit)", 1.5),
        ("filtered_overdue_label", "filtered page (overdue + label)", 1.5),
        ("filtered_status_opd_same_rows", "filtered page (status + unit), as many cases shown", 1.5),
        ("filtered_overdue_label_same_rows", "filtered page (overdue + label), as many cases shown", 1.5),
        ("page_100_urgency", "deep page via cursors, most urgent first", 1.5),
        ("page_100_newest", "deep page via cursors, newest first", 1.5),
        ("page_concluded_urgency", "deep page among the concluded cases, most urgent first", 1.5),
    ):
        value = ratio(large[key]["median_ms"], small[key]["median_ms"])
        cold_large, cold_small = large[key]["cold"]["median_ms"], small[key]["cold"]["median_ms"]
        pages = f", page {large[key]['page']} vs {small[key]['page']}" if "page" in large[key] else ""
        if "rows" in large[key]:
            pages += f", {large[key]['rows']} vs {small[key]['rows']} cases shown"
        row(
            f"{label} at {large['cases']:,} ÷ at {small['cases']:,} cases",
            value,
            f"≤ {target}",
            value <= target,
            f"{large[key]['median_ms']} vs {small[key]['median_ms']} ms (SQLite{pages}); "
            f"cold, straight after the other size: {cold_large} vs {cold_small} ms ({ratio(cold_large, cold_small)})",
        )
    above = upload["upload"]["above_idle_mib"]
    row(
        f"upload {report['attachment_100mb']['file_mib']} MiB: peak RSS above idle (MiB)",  # type: ignore[index]
        above,
        "≤ 32",
        above <= 32,
        f"{upload['upload']['mib_per_s']} MiB/s",
    )
    row(
        f"download {report['attachment_100mb']['file_mib']} MiB: peak RSS above idle (MiB)",  # type: ignore[index]
        upload["download"]["above_idle_mib"],
        "≤ 32",
        upload["download"]["above_idle_mib"] <= 32,
        f"{upload['download']['mib_per_s']} MiB/s",
    )
    return rows


def markdown(report: dict[str, object]) -> str:
    info: dict[str, str] = report["machine"]  # type: ignore[assignment]
    wrk_info: dict[str, object] = report["wrk"]  # type: ignore[assignment]
    workers: dict[str, int] = report["workers"]  # type: ignore[assignment]
    lines = [
        f"# make bench — {report['when']}",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, Python {info['python']}, "
        f"load average at start {info['load_average_at_start']}, at the end "
        f"{report.get('load_average_at_end', '?')}; CPU time stolen by the host during the run "
        f"{report.get('steal_percent', '?')} %. Shared and noisy: compare ratios only.",
        "",
        f"Load from {wrk_info['version']} (one connection per thread), {wrk_info['rounds']} rounds of "
        f"{wrk_info['seconds_per_round']} s per measure, bare and portal in turn; sync workers: bare app "
        f"{workers['hello']}, portal {workers['portal']}, review app {workers['review']}. Server CPU from /proc.",
        "",
        "| measure | ratio / value | target | met | measured |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['measure']} | {r['value']} | {r['target']} | {r['met']} | {r['detail']} |" for r in report["ratios"]
    ]  # type: ignore[attr-defined]
    lines += ["", f"Total run time: {report.get('seconds', '?')} s. Raw figures: bench/results/latest.json.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
