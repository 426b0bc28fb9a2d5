"""Peak worker memory and throughput while a large evidence file goes in and out.

Starts the portal and the review app under gunicorn (one sync worker each) on
loopback with a throw-away SQLite data dir, uploads one file of --mb megabytes
(an audio file: not cleanable, so it streams through without being held whole),
then downloads it as a reviewer, sampling each worker's RSS from /proc every
10 ms. Prints a JSON report; see the issue note / docs/PERFORMANCE.md.

    .venv/bin/python bench/attachment_memory.py --mb 100
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness import reviewer

ROOT = Path(__file__).resolve().parent.parent
PASS = "bench passphrase for a reviewer"  # noqa: S105 - a throw-away benchmark account


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.01)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def start(app: str, port: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and config
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            f"wsgi:{app}",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/portal.css", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return proc, int(children[0])


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def csrf(client: urllib.request.OpenerDirector, url: str) -> str:
    page = client.open(url).read().decode()
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, url
    return match.group(1)


def post_form(client: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    body = urllib.parse.urlencode(fields).encode()
    return client.open(url, data=body).read().decode()


def multipart(fields: dict[str, str], name: str, size: int) -> tuple[Iterator[bytes], int, str]:
    boundary = secrets.token_hex(16)
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="{name}"\r\n'
            f"Content-Type: audio/ogg\r\n\r\n"
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = b"OggS" + os.urandom(1024 * 1024 - 4)

    def body() -> Iterator[bytes]:
        yield head
        sent = 0
        while sent < size:
            part = block[: min(len(block), size - sent)]
            sent += len(part)
            yield part
        yield tail

    return body(), len(head) + size + len(tail), boundary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    size = args.mb * 1024 * 1024
    data_dir = tempfile.mkdtemp(prefix="kanal-bench-")
    env = {
        **os.environ,
        "KANAL_DATA_DIR": data_dir,
        "KANAL_MAX_FILE_MB": str(args.mb + 5),
        "KANAL_MAX_CASE_MB": str(args.mb + 10),
        "KANAL_KDF_MEMORY_KIB": "8192",
        "KANAL_KDF_ITERATIONS": "1",
        "KANAL_KDF_LANES": "1",
    }
    setup = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi:review", "dev-setup"],  # noqa: S603
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    one_time = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", setup.stdout).group(1)  # type: ignore[union-attr]
    portal, portal_worker = start("portal", 8310, env)
    review, review_worker = start("review", 8311, env)
    try:
        team, _codes = reviewer("http://127.0.0.1:8311", one_time, PASS)  # activated and enrolled (TOTP)

        reporter = opener()
        page = reporter.open("http://127.0.0.1:8310/lapor").read().decode()
        fields = {
            "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
            "category": re.search(r'name="category".*?<option value="(\d+)"', page, re.S).group(1),  # type: ignore[union-attr]
            "opd": re.search(r'name="opd".*?<option value="(\d+)"', page, re.S).group(1),  # type: ignore[union-attr]
            "what": "Rekaman rapat pembagian setoran untuk pengukuran memori.",
        }
        idle_portal = rss_kib(portal_worker)
        body, length, boundary = multipart(fields, "rekaman.ogg", size)
        request = urllib.request.Request(
            "http://127.0.0.1:8310/lapor",
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length)},
        )
        sampler = Sampler(portal_worker)
        sampler.start()
        began = time.perf_counter()
        answer = reporter.open(request).read().decode()
        upload_seconds = time.perf_counter() - began
        peak_upload = sampler.stop()
        assert 'class="receipt"' in answer, "upload refused"

        listing = team.open("http://127.0.0.1:8311/").read().decode()
        case_id = re.search(r'href="/cases/([0-9a-f]+)"', listing).group(1)  # type: ignore[union-attr]
        case_page = team.open(f"http://127.0.0.1:8311/cases/{case_id}").read().decode()
        link = re.search(r'href="(/cases/[0-9a-f]+/files/[0-9a-f]+)"', case_page).group(1)  # type: ignore[union-attr]
        idle_review = rss_kib(review_worker)
        sampler = Sampler(review_worker)
        sampler.start()
        began = time.perf_counter()
        received = 0
        with team.open(f"http://127.0.0.1:8311{link}") as response:
            while chunk := response.read(256 * 1024):
                received += len(chunk)
        download_seconds = time.perf_counter() - began
        peak_download = sampler.stop()
        assert received == size, (received, size)
        report = {
            "file_mib": args.mb,
            "upload": {
                "idle_rss_mib": round(idle_portal / 1024, 1),
                "peak_rss_mib": round(peak_upload / 1024, 1),
                "above_idle_mib": round((peak_upload - idle_portal) / 1024, 1),
                "seconds": round(upload_seconds, 2),
                "mib_per_s": round(args.mb / upload_seconds, 1),
            },
            "download": {
                "idle_rss_mib": round(idle_review / 1024, 1),
                "peak_rss_mib": round(peak_download / 1024, 1),
                "above_idle_mib": round((peak_download - idle_review) / 1024, 1),
                "seconds": round(download_seconds, 2),
                "mib_per_s": round(args.mb / download_seconds, 1),
            },
        }
        print(json.dumps(report, indent=2))
    finally:
        for proc in (portal, review):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
