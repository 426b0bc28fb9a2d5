"""The recipes in docs/deploy/ are real: nginx serves the apps with them, tor and
systemd accept them. `.ci/run` installs nginx and tor; a missing binary fails."""

import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import AGENT, ROOT, free_port, servers  # noqa: F401 - servers is a fixture
from tests.smtp_server import make_certificate

DEPLOY = ROOT / "docs" / "deploy"
NGINX, TOR = "/usr/sbin/nginx", "/usr/sbin/tor"
UNITS = sorted((DEPLOY / "systemd").iterdir())


def _need(binary: str) -> None:
    assert Path(binary).exists(), f"{binary} is missing: apt-get install nginx tor (.ci/run does)"


def render_nginx(tmp: Path, portal: str, review: str) -> tuple[Path, int, int]:
    """docs/deploy/nginx.conf with loopback ports, a throw-away certificate and private paths."""
    cert, key = make_certificate(tmp)
    public, internal = free_port(), free_port()
    text = (DEPLOY / "nginx.conf").read_text()
    for old, new in {
        "pid /run/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "/var/log/nginx/error.log crit": f"{tmp}/error.log crit",
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{public} ssl http2;",
        "listen 10.0.0.10:8443 ssl;": f"listen 127.0.0.1:{internal} ssl;",
        "allow 10.0.0.0/24;": "allow 127.0.0.1;",
        "/etc/kanal/tls/portal.crt": str(cert), "/etc/kanal/tls/review.crt": str(cert),
        "/etc/kanal/tls/portal.key": str(key), "/etc/kanal/tls/review.key": str(key),
        "server 127.0.0.1:8000;": f"server {urllib.parse.urlsplit(portal).netloc};",
        "server 127.0.0.1:8001;": f"server {urllib.parse.urlsplit(review).netloc};",
        "http {": f"http {{\n    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;",
    }.items():
        assert old in text, old
        text = text.replace(old, new)
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf, public, internal


@pytest.fixture(scope="module")
def nginx(servers: tuple[str, str, Path, Path], tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
          ) -> Iterator[tuple[int, int, Path]]:
    _need(NGINX)
    tmp = tmp_path_factory.mktemp("nginx")
    conf, public, internal = render_nginx(tmp, servers[0], servers[1])
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-e", str(tmp / "error.log")],  # noqa: S603
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-c", str(conf), "-e", str(tmp / "error.log"),  # noqa: S603
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{public}/", context=_tls(), timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    yield public, internal, tmp
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=30)


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the throw-away self-signed certificate
    return context


def _get(url: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"User-Agent": AGENT})
    try:
        with urllib.request.urlopen(request, context=_tls(), timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_nginx_serves_the_portal_over_tls_without_a_version_or_a_log_of_the_client(
        nginx: tuple[int, int, Path]) -> None:
    public, _internal, tmp = nginx
    status, headers, body = _get(f"https://127.0.0.1:{public}/lapor")
    assert status == 200 and 'name="csrf_token"' in body
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, headers, _body = _get(f"https://127.0.0.1:{public}/")
    assert status == 200 and "Set-Cookie" not in headers  # no cookie before a form is used
    assert headers["X-Robots-Tag"] == "noindex, noarchive"
    # nginx keeps no access log, and its error log holds nothing naming the client
    assert not list(tmp.glob("access.log"))
    for log in tmp.glob("*.log"):
        text = log.read_text()
        assert "127.0.0.1" not in text and AGENT not in text, log


def test_nginx_serves_the_review_app_on_its_internal_listener(nginx: tuple[int, int, Path]) -> None:
    _public, internal, _tmp = nginx
    status, headers, body = _get(f"https://127.0.0.1:{internal}/login")
    assert status == 200 and "passphrase" in body
    assert headers["Server"] == "nginx"


def test_the_review_allow_list_refuses_other_addresses(tmp_path: Path) -> None:
    text = (DEPLOY / "nginx.conf").read_text()
    review_block = text[text.index("server_name review.internal;"):]
    assert re.search(r"allow [0-9./]+;\s+deny all;", review_block)


def test_the_onion_service_configuration_is_accepted_by_tor(tmp_path: Path) -> None:
    _need(TOR)
    service = tmp_path / "hs"
    service.mkdir(mode=0o700)
    torrc = tmp_path / "torrc"
    torrc.write_text((DEPLOY / "torrc").read_text().replace("/var/lib/tor/kanal_portal/", f"{service}/")
                     + f"DataDirectory {tmp_path / 'data'}\n")
    result = subprocess.run([TOR, "--verify-config", "-f", str(torrc)],  # noqa: S603
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration was valid" in result.stdout


def test_systemd_units_are_sandboxed_and_scheduled() -> None:
    services = [unit for unit in UNITS if unit.suffix == ".service"]
    assert {unit.name for unit in services} >= {"kanal-portal.service", "kanal-review.service",
                                                 "kanal-purge.service", "kanal-notify.service"}
    for unit in services:
        text = unit.read_text()
        for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                        "ReadWritePaths=/var/lib/kanal", "SystemCallFilter=@system-service", "CapabilityBoundingSet="):
            assert setting in text, (unit.name, setting)
    for job in ("purge", "notify"):
        assert (DEPLOY / "systemd" / f"kanal-{job}.timer").exists()
    analyze = shutil.which("systemd-analyze")
    if analyze:  # the units' syntax, where systemd's checker is present
        result = subprocess.run([analyze, "verify", "--man=no", *map(str, UNITS)],  # noqa: S603
                                capture_output=True, text=True, timeout=60)
        unknown = [line for line in result.stderr.splitlines() if "Unknown key" in line or "Invalid" in line]
        assert not unknown, unknown
