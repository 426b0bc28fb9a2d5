"""`make bench`: every figure of issue 8, point 1, as a ratio measured in the same run.

Starts, on loopback, a bare Flask app (bench/hello_app.py, the ceiling), the
portal and the review app, all under gunicorn with the shared gunicorn.conf.py
(4 sync workers each), over a throw-away SQLite data dir with the production
Argon2id parameters (64 MiB, t=3, p=4). The machine is shared and noisy, so only
ratios within this run are compared with the targets. Writes
bench/results/latest.json and bench/results/latest.md.

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

from harness import (
    CSRF,
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
from case_list_scale import run as case_list_run  # noqa: E402

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


def submissions(
    hello_server: Server, portal_server: Server, counts: dict[int, int]
) -> dict[str, dict[str, dict[str, float]]]:
    hello, portal = hello_server.base, portal_server.base
    choices = form_choices(portal)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for concurrency, count in counts.items():
        marks = canaries(count)

        def portal_one(index: int, marks: list[str] = marks) -> None:
            assert submit(portal, marks[index], choices).receipt, "no receipt"

        out[str(concurrency)] = {
            "hello": load_level(lambda _i: hello_pair(hello), count, concurrency, hello_server),
            "portal": load_level(portal_one, count, concurrency, portal_server),
        }
    return out


def status_checks(
    hello_server: Server, portal_server: Server, receipt: str, rounds: int
) -> dict[str, dict[str, float]]:
    """POST /status with a valid and an invalid receipt, interleaved; the bare GET alongside. Also
    the servers' CPU per request over the whole loop (each server serves only its own requests)."""
    hello, portal = hello_server.base, portal_server.base
    clients = {}
    for name in ("valid", "invalid"):
        client = no_redirect_opener()
        token = CSRF.search(request(client, portal + "/status")[1])
        assert token
        clients[name] = (client, token.group(1))
    samples: dict[str, list[float]] = {"valid": [], "invalid": [], "hello_get": []}
    wrong = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    cpu_before = portal_server.cpu_seconds(), hello_server.cpu_seconds()
    for _ in range(rounds):
        for name, text, expected in (("valid", receipt, 302), ("invalid", wrong, 200)):
            client, visit_token = clients[name]
            began = time.perf_counter()
            status, _ = request(client, portal + "/status", {"csrf_token": visit_token, "receipt": text})
            samples[name].append(time.perf_counter() - began)
            assert status == expected, (name, status)
        samples["hello_get"].append(timed(lambda: request(opener(), hello + "/")))
    out = {name: summary(values) for name, values in samples.items()}
    out["cpu_ms"] = {
        "status_check": round((portal_server.cpu_seconds() - cpu_before[0]) * 1000 / (2 * rounds), 2),
        "hello_get": round((hello_server.cpu_seconds() - cpu_before[1]) * 1000 / rounds, 2),
    }
    return out


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


def case_views(review: str, client: urllib.request.OpenerDirector, rounds: int) -> dict[str, float]:
    listing = request(client, review + "/")[1]
    found = re.search(r'href="(/cases/[0-9a-f]+)"', listing)
    assert found, "no case in the list: " + " ".join(re.findall(r"<(?:h1|p)[^>]*>([^<]+)", listing))[:300]
    url = review + found.group(1)
    assert "KANARI-" in request(client, url)[1], "the case page shows no decrypted report"
    return summary([timed(lambda: request(client, url)) for _ in range(rounds)])


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
    report["kdf_one_derivation"] = kdf_cost(5 if quick else 9)
    deployment = deploy("sqlite", extra=UNLIMITED, prefix="kanal-benchrun-")  # production KDF parameters
    logs = deployment.tmp
    servers = [
        Server("hello_app:app", deployment.env, logs / "hello.log"),
        Server("wsgi:portal", deployment.env, logs / "portal.log"),
        Server("wsgi:review", deployment.env, logs / "review.log"),
    ]
    hello, portal, review = (server.base for server in servers)
    try:
        # activated first: cases are sealed to the reviewers active when they arrive
        client, backup_codes = reviewer(review, deployment.one_time_passphrase)
        counts = {1: 40, 8: 120, 32: 160} if quick else {1: 100, 8: 400, 32: 600}
        report["submission"] = submissions(servers[0], servers[1], counts)
        receipt = submit(portal, "KANARI-status", form_choices(portal)).receipt
        assert receipt
        report["status_check"] = status_checks(servers[0], servers[1], receipt, 60 if quick else 200)
        report["case_view"] = case_views(review, client, 30 if quick else 100)
        report["reviewer_login"] = logins(review, 7 if quick else 15, backup_codes)
    finally:
        for server in servers:
            server.stop()
        deployment.drop()
    large = 10_000 if quick else 100_000
    lists = []
    for size in (1000, large):
        folder = Path(tempfile.mkdtemp(prefix="kanal-list-"))
        lists.append(case_list_run(f"sqlite:///{folder / 'list.db'}", size))
        shutil.rmtree(folder)
    report["case_list"] = lists
    report["attachment_100mb"] = attachment(20 if quick else 100)
    report["ratios"] = ratios(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(report))
    sys.stdout.write(markdown(report))
    return 0


def ratios(report: dict[str, object]) -> list[dict[str, object]]:
    sub: dict[str, dict[str, dict[str, float]]] = report["submission"]  # type: ignore[assignment]
    status: dict[str, dict[str, float]] = report["status_check"]  # type: ignore[assignment]
    kdf: dict[str, float] = report["kdf_one_derivation"]  # type: ignore[assignment]
    login: dict[str, float] = report["reviewer_login"]  # type: ignore[assignment]
    view: dict[str, float] = report["case_view"]  # type: ignore[assignment]
    lists: list[dict[str, dict[str, float]]] = report["case_list"]  # type: ignore[assignment]
    upload: dict[str, dict[str, float]] = report["attachment_100mb"]  # type: ignore[assignment]
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

    for level in sub:
        portal, hello = sub[level]["portal"], sub[level]["hello"]
        if "cpu_ms" in portal:
            row(
                f"server CPU per submission (form GET + POST), concurrency {level} ÷ bare Flask pair",
                ratio(portal["cpu_ms"], hello["cpu_ms"]),
                "",
                None,
                f"{portal['cpu_ms']} vs {hello['cpu_ms']} ms (from /proc: the client's cost is not in it)",
            )
        share = ratio(portal["per_s"], hello["per_s"])
        row(
            f"submission throughput, concurrency {level} ÷ bare Flask",
            share,
            "≥ 0.5" if level == "8" else "",
            share >= 0.5 if level == "8" else None,
            f"{portal['per_s']}/s vs {hello['per_s']}/s",
        )
        row(
            f"submission p50 / p99 latency, concurrency {level} ÷ bare Flask",
            ratio(portal["p50_ms"], hello["p50_ms"]),
            "",
            None,
            f"p50 {portal['p50_ms']} vs {hello['p50_ms']} ms; p99 {portal['p99_ms']} vs {hello['p99_ms']} ms",
        )
    one = sub["1"]["portal"]
    row(
        "submission p50 at concurrency 1 ÷ one KDF derivation",
        ratio(one["p50_ms"], kdf["p50_ms"]),
        "",
        None,
        f"{one['p50_ms']} ms vs Argon2id {kdf['p50_ms']} ms: no passphrase KDF on the reporter's path",
    )
    row(
        "status check p50 (valid receipt) ÷ bare Flask GET",
        ratio(status["valid"]["p50_ms"], status["hello_get"]["p50_ms"]),
        "≤ 2",
        ratio(status["valid"]["p50_ms"], status["hello_get"]["p50_ms"]) <= 2,
        f"{status['valid']['p50_ms']} vs {status['hello_get']['p50_ms']} ms",
    )
    row(
        "status check p50 (invalid receipt) ÷ bare Flask GET",
        ratio(status["invalid"]["p50_ms"], status["hello_get"]["p50_ms"]),
        "≤ 2",
        ratio(status["invalid"]["p50_ms"], status["hello_get"]["p50_ms"]) <= 2,
        f"{status['invalid']['p50_ms']} vs {status['hello_get']['p50_ms']} ms",
    )
    cpu = status["cpu_ms"]
    row(
        "server CPU per status check (valid and invalid alike) ÷ bare Flask GET",
        ratio(cpu["status_check"], cpu["hello_get"]),
        "≤ 2",
        ratio(cpu["status_check"], cpu["hello_get"]) <= 2,
        f"{cpu['status_check']} vs {cpu['hello_get']} ms (from /proc)",
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
        "case view (decrypt) p50 ÷ bare Flask GET",
        ratio(view["p50_ms"], status["hello_get"]["p50_ms"]),
        "",
        None,
        f"{view['p50_ms']} ms (p99 {view['p99_ms']} ms)",
    )
    small, large = lists
    for key, label, target in (
        ("first_page_urgency", "case list first page", 1.3),
        ("filtered_status_opd", "filtered page (status + unit)", 1.5),
        ("filtered_overdue_label", "filtered page (overdue + label)", 1.5),
        ("page_100_urgency", "deep page via cursors, most urgent first", 1.5),
        ("page_100_newest", "deep page via cursors, newest first", 1.5),
    ):
        value = ratio(large[key]["median_ms"], small[key]["median_ms"])
        pages = f", page {large[key]['page']} vs {small[key]['page']}" if "page" in large[key] else ""
        row(
            f"{label} at {large['cases']:,} ÷ at {small['cases']:,} cases",
            value,
            f"≤ {target}",
            value <= target,
            f"{large[key]['median_ms']} vs {small[key]['median_ms']} ms (SQLite{pages})",
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
    lines = [
        f"# make bench — {report['when']}",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM, Python {info['python']}, "
        f"load average at start {info['load_average_at_start']}. Shared and noisy: compare ratios only.",
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
