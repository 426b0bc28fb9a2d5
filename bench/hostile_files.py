"""Time and peak memory per decompression bomb, on a live portal under gunicorn (issue 17).

Deploys a throw-away portal (SQLite, one sync worker), submits one report per hostile file
(tests/cases/evidence/hostile.py) and samples, every 10 ms, the RSS of the worker and of its
children (the sandbox's cleaners) from /proc. Prints one JSON line per file: HTTP status,
whether a receipt came back, seconds, peak worker RSS, peak child RSS (MiB).

    .venv/bin/python bench/hostile_files.py               # this checkout
    .venv/bin/python bench/hostile_files.py --root /tmp/before   # another checkout (before the fix)

A bomb can eat gigabytes before the fix: each request gives up after --timeout seconds
(the worker is then restarted by gunicorn's own timeout, or by this script at the end).
Also measures the sandbox's cost for an ordinary photo (--overhead), in process.
"""

import argparse
import io
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import harness
from harness import CSRF, RECEIPT, UNLIMITED, Server, deploy, form_choices, opener

from tests.cases.evidence import hostile


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Sampler(threading.Thread):
    def __init__(self, worker: int) -> None:
        super().__init__(daemon=True)
        self.worker, self.worker_peak, self.child_peak, self.running = worker, 0.0, 0.0, True

    def run(self) -> None:
        while self.running:
            self.worker_peak = max(self.worker_peak, rss_mib(self.worker))
            self.child_peak = max([self.child_peak, *(rss_mib(child) for child in children(self.worker))])
            time.sleep(0.01)

    def stop(self) -> None:
        self.running = False
        self.join()


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    out.write(data + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def submit_file(base: str, choices: harness.Choices, filename: str, data: bytes, timeout: float) -> tuple[int, bool]:
    client = opener()
    with client.open(base + "/lapor", timeout=30) as response:  # noqa: S310 - loopback
        token = CSRF.search(response.read().decode())
    assert token
    fields = {
        "csrf_token": token.group(1),
        "category": choices.category,
        "opd": choices.opd,
        "what": "Laporan dengan lampiran yang berbahaya untuk pengujian beban.",
    }
    body, content_type = multipart(fields, filename, data)
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + "/lapor", data=body, headers={"Content-Type": content_type}
    )
    try:
        with client.open(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status), bool(RECEIPT.search(response.read().decode()))
    except urllib.error.HTTPError as error:
        return int(error.code), False
    except OSError:
        return 0, False  # timed out or reset


BOMBS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "ordinary JPEG (control)": ("foto.jpg", lambda: hostile.ordinary("jpg")),
    "PNG 12600x12600": ("foto.png", hostile.png_bomb),
    "JPEG SOF 65500x65500": ("foto.jpg", hostile.jpeg_bomb),
    "GIF 65535x65535": ("foto.gif", hostile.gif_bomb),
    "WebP 16383x16383": ("foto.webp", hostile.webp_bomb),
    "PDF [/Flate /Flate] 1 GB": ("surat.pdf", lambda: hostile.pdf_filter_chain(1024 * hostile.MIB)),
    "PDF one Flate stream 1 GB": ("surat.pdf", hostile.pdf_single_flate_bomb),
    "PDF object stream 512 MB": ("surat.pdf", hostile.pdf_object_stream_bomb),
    "DOCX member 512 MB": ("dok.docx", lambda: hostile.zip_bomb("docx")),
    "DOCX member lying 64 MB": ("dok.docx", hostile.lying_zip_bomb),
    "DOCX nested XML": ("dok.docx", hostile.nested_xml_office),
    "DOCX billion laughs": ("dok.docx", hostile.billion_laughs_office),
    "PDF+ZIP polyglot": ("surat.pdf", hostile.pdf_zip_polyglot),
}


def overhead(rounds: int) -> dict[str, float]:
    """Cleaning an ordinary 12 Mpx phone photo in process and through the sandbox (ms)."""
    import os

    from PIL import Image

    from cases.evidence import sandbox
    from cases.evidence.sandbox_limits import SandboxLimits
    from cases.evidence.scrub import scrub
    from cases.evidence.sniff import sniff

    out = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).resize((4000, 3000)).save(out, "JPEG", quality=90)
    photo = out.getvalue()
    kind = sniff(photo[:4096], photo)
    assert kind is not None
    limits = SandboxLimits(jobs_per_child=rounds + 10)
    started = time.perf_counter()
    sandbox.clean(photo, kind, limits=limits)
    first = time.perf_counter() - started
    timings: dict[str, list[float]] = {"in_process": [], "sandbox": []}
    for _ in range(rounds):
        for name, run in (
            ("in_process", lambda: scrub(photo, kind)),
            ("sandbox", lambda: sandbox.clean(photo, kind, limits=limits)),
        ):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    median = {name: sorted(values)[len(values) // 2] * 1000 for name, values in timings.items()}
    return {
        "photo_mb": round(len(photo) / 1e6, 2),
        "first_file_with_child_start_ms": round(first * 1000, 1),
        "in_process_ms": round(median["in_process"], 1),
        "sandbox_ms": round(median["sandbox"], 1),
        "overhead_ms": round(median["sandbox"] - median["in_process"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(harness.ROOT), help="the checkout to serve")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--overhead", type=int, default=0, help="rounds of the in-process overhead measurement")
    parser.add_argument("--only", default="", help="substring of the bombs to run")
    args = parser.parse_args()
    if args.overhead:
        print(json.dumps({"overhead": overhead(args.overhead)}), flush=True)  # noqa: T201 - bench output
        return
    harness.ROOT = Path(args.root)
    deployment = deploy("sqlite", extra=UNLIMITED, prefix="kanal-hostile-")
    server = Server("wsgi:portal", deployment.env, deployment.tmp / "portal.log", workers=1)
    try:
        choices = form_choices(server.base)
        for name, (filename, make) in BOMBS.items():
            if args.only and args.only not in name:
                continue
            data = make()
            server.wait_ready(seconds=180)  # a worker killed by gunicorn's timeout comes back
            worker = server.workers()[0]
            sampler = Sampler(worker)
            sampler.start()
            started = time.perf_counter()
            status, receipt = submit_file(server.base, choices, filename, data, args.timeout)
            seconds = time.perf_counter() - started
            sampler.stop()
            row = {
                "file": name,
                "bytes": len(data),
                "status": status,
                "receipt": receipt,
                "seconds": round(seconds, 2),
                "worker_peak_mib": round(sampler.worker_peak),
                "sandbox_peak_mib": round(sampler.child_peak),
            }
            print(json.dumps(row), flush=True)  # noqa: T201 - bench output
            if status == 0:  # the worker is still busy with the bomb: start afresh
                server.stop()
                server = Server("wsgi:portal", deployment.env, deployment.tmp / "portal.log", workers=1)
    finally:
        server.stop()
        deployment.drop()
    sys.exit(0)


if __name__ == "__main__":
    main()
