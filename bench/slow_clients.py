"""Slow clients (issue 8): do a slowloris attack and slow uploads block other reporters?

Three setups of the portal on loopback, each measured the same way:

  1. gunicorn, 4 sync workers, clients connect directly;
  2. gunicorn, 4 gthread workers x 8 threads, clients connect directly;
  3. nginx in front of setup 1 (request buffering on: nginx reads the whole request
     before it gives it to a worker), as docs/PERFORMANCE.md recommends.

Attack: --loris connections that send request headers one byte at a time and never
finish them, plus --uploads POSTs that announce a 10 MB body and send it 100 bytes
at a time. Meanwhile a normal reporter opens the report form every 0.5 s (timeout
5 s). Prints, per setup, the reporter's latency before and during the attack.

    .venv/bin/python bench/slow_clients.py [--loris 100 --uploads 8]
"""

import argparse
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from harness import CHEAP_KDF, UNLIMITED, Server, deploy, free_port, wait_until_serving

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PROBE_TIMEOUT = 5.0


def nginx_conf(run: Path, listen: int, upstream: int) -> Path:
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / name).mkdir(parents=True, exist_ok=True)
    conf = run / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 30s;
    client_max_body_size 500m;
    client_body_buffer_size 1m;
    upstream portal {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://portal;
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
""")
    return conf


class Attack(threading.Thread):
    """Slowloris headers and slow bodies from one thread (non-blocking sockets)."""

    def __init__(self, port: int, loris: int, uploads: int) -> None:
        super().__init__(daemon=True)
        self.port, self.loris, self.uploads = port, loris, uploads
        self.running = True
        self.sockets: list[tuple[socket.socket, bytes]] = []
        self.open_at_end = 0

    def connect(self, first: bytes, stream: bytes) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(first)
        sock.setblocking(False)
        self.sockets.append((sock, stream))

    def run(self) -> None:
        for _ in range(self.loris):
            self.connect(b"GET /lapor HTTP/1.1\r\nHost: localhost\r\n", b"X-Slow-Header: a\r\n" * 100000)
        for _ in range(self.uploads):
            self.connect(
                b"POST /lapor HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded"
                b"\r\nContent-Length: 10000000\r\n\r\n",
                b"what=" + b"a" * 9_999_995,
            )
        offsets = [0] * len(self.sockets)
        while self.running:
            for index, (sock, stream) in enumerate(self.sockets):
                is_loris = index < self.loris
                size = 1 if is_loris else 100
                try:
                    sent = sock.send(stream[offsets[index] : offsets[index] + size])
                    offsets[index] += sent
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    continue  # closed by the server
            time.sleep(0.2)

    def stop(self) -> None:
        self.running = False
        self.join()
        for sock, _ in self.sockets:
            try:
                sock.recv(1)  # an answer (a 408, a 400) or the end: the server let go
            except BlockingIOError:
                self.open_at_end += 1  # still open, nothing said: the server is still waiting
            except OSError:
                pass
            sock.close()


def probe(base: str, count: int) -> dict[str, object]:
    """A normal reporter opening the report form: latencies (s) and failures."""
    latencies: list[float] = []
    failures = 0
    for _ in range(count):
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/lapor", timeout=PROBE_TIMEOUT) as response:  # noqa: S310
                response.read()
            latencies.append(time.perf_counter() - began)
        except OSError:
            failures += 1
        time.sleep(0.5)
    return {
        "ok": len(latencies),
        "failed_or_timed_out": failures,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def measure(base: str, attack_port: int, args: argparse.Namespace) -> dict[str, object]:
    before = probe(base, 6)
    attack = Attack(attack_port, args.loris, args.uploads)
    attack.start()
    time.sleep(2)
    during = probe(base, args.probes)
    attack.stop()
    return {"before": before, "during_attack": during, "attack_connections_still_open": attack.open_at_end}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loris", type=int, default=100)
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--probes", type=int, default=10)
    args = parser.parse_args()
    deployment = deploy("sqlite", extra={**UNLIMITED, **CHEAP_KDF}, prefix="kanal-slow-")
    results: dict[str, object] = {
        "attack": f"{args.loris} slowloris connections + {args.uploads} slow uploads",
        "probe_timeout_s": PROBE_TIMEOUT,
    }
    try:
        sync = Server("wsgi:portal", deployment.env, deployment.tmp / "sync.log")
        try:
            results["gunicorn sync, direct"] = measure(sync.base, sync.port, args)
        finally:
            sync.stop()
        threaded = Server(
            "wsgi:portal",
            deployment.env,
            deployment.tmp / "gthread.log",
            extra_args=("--worker-class", "gthread", "--threads", "8"),
        )
        try:
            results["gunicorn gthread (4 x 8 threads), direct"] = measure(threaded.base, threaded.port, args)
        finally:
            threaded.stop()
        behind = Server("wsgi:portal", deployment.env, deployment.tmp / "behind.log")
        port = free_port()
        run = deployment.tmp / "nginx"
        conf = nginx_conf(run, port, behind.port)
        nginx = subprocess.Popen(
            [
                NGINX,
                "-c",
                str(conf),
                "-p",
                str(run),
                "-g",  # noqa: S603
                f"daemon off; pid {run}/nginx.pid; user root;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(run / "stderr.log").open("w"),
        )
        try:
            proxy = f"http://127.0.0.1:{port}"
            wait_until_serving(proxy)
            results["nginx (request buffering) -> gunicorn sync"] = measure(proxy, port, args)
        finally:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=30)
            behind.stop()
    finally:
        deployment.drop()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
