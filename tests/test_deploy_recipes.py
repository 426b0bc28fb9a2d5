"""The recipes in docs/deploy/ are real: nginx serves the apps with them, tor and
systemd accept them, the apps run under the units' MemoryDenyWriteExecute.
`.ci/run` installs nginx, tor and systemd; a missing binary fails."""

import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import AGENT, ROOT, free_port, servers  # noqa: F401 - servers is a fixture
from tests.smtp_server import make_certificate

DEPLOY = ROOT / "docs" / "deploy"
NGINX, TOR = "/usr/sbin/nginx", "/usr/sbin/tor"
UNITS = sorted((DEPLOY / "systemd").iterdir())
# PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN (Linux >= 6.3): the kernel's form of systemd's
# MemoryDenyWriteExecute=yes (no memory both writable and executable), inherited by every child.
_MDWE = (
    "import ctypes, os, sys\n"
    "if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0: sys.exit('PR_SET_MDWE failed (Linux >= 6.3 needed)')\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def under_mdwe(*args: str) -> list[str]:
    """argv running `python *args` with write-xor-execute memory enforced by the kernel."""
    return [sys.executable, "-c", _MDWE, *args]


def _need(binary: str) -> None:
    assert Path(binary).exists(), f"{binary} is missing: apt-get install nginx tor systemd (.ci/run does)"


def render_nginx(
    tmp: Path, portal: str, review: str, *, review_allow: str = "127.0.0.1", client_ca: Path | None = None
) -> tuple[Path, int, int]:
    """docs/deploy/nginx.conf with loopback ports, a throw-away certificate and private paths.

    `review_allow` replaces the review app's allow-list; `client_ca` turns on client certificates.
    """
    cert, key = make_certificate(tmp)
    public, internal = free_port(), free_port()
    text = (DEPLOY / "nginx.conf").read_text()
    for old, new in {
        "pid /run/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "/var/log/nginx/error.log crit": f"{tmp}/error.log crit",
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{public} ssl http2;",
        "listen 10.0.0.10:8443 ssl;": f"listen 127.0.0.1:{internal} ssl;",
        "allow 10.0.0.0/24;": f"allow {review_allow};",
        "/etc/kanal/tls/portal.crt": str(cert),
        "/etc/kanal/tls/review.crt": str(cert),
        "/etc/kanal/tls/portal.key": str(key),
        "/etc/kanal/tls/review.key": str(key),
        "server 127.0.0.1:8000;": f"server {urllib.parse.urlsplit(portal).netloc};",
        "server 127.0.0.1:8001;": f"server {urllib.parse.urlsplit(review).netloc};",
        "http {": f"http {{\n    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;",
    }.items():
        assert old in text, old
        text = text.replace(old, new)
    if client_ca is not None:
        for old, new in {
            "# ssl_client_certificate /etc/kanal/tls/team-ca.crt;": f"ssl_client_certificate {client_ca};",
            "# ssl_verify_client on;": "ssl_verify_client on;",
        }.items():
            assert old in text, old
            text = text.replace(old, new)
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf, public, internal


@contextmanager
def running_nginx(conf: Path, tmp: Path, public: int) -> Iterator[None]:
    """nginx -t, then nginx in the foreground until the portal answers through it."""
    _need(NGINX)
    check = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-e", str(tmp / "error.log")],  # noqa: S603
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [
            NGINX,
            "-c",
            str(conf),
            "-e",
            str(tmp / "error.log"),  # noqa: S603
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"https://127.0.0.1:{public}/healthz", context=_tls(), timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # nginx answers (the app behind it may not)
            except OSError:
                time.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def nginx(
    servers: tuple[str, str, Path, Path],
    tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
) -> Iterator[tuple[int, int, Path]]:
    tmp = tmp_path_factory.mktemp("nginx")
    conf, public, internal = render_nginx(tmp, servers[0], servers[1])
    with running_nginx(conf, tmp, public):
        yield public, internal, tmp


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the throw-away self-signed certificate
    return context


def _get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"User-Agent": AGENT})
    try:
        with urllib.request.urlopen(request, context=context or _tls(), timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_nginx_serves_the_portal_over_tls_without_a_version_or_a_log_of_the_client(
    nginx: tuple[int, int, Path],
) -> None:
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


def test_nginx_writes_no_client_address_even_when_the_portal_is_down(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: nginx logs "connect() failed ..., client: ..."
    quiet, public, _internal = render_nginx(tmp_path, dead, dead)
    with running_nginx(quiet, tmp_path, public):
        assert _get(f"https://127.0.0.1:{public}/lapor")[0] == 502
    assert "client: 127.0.0.1" not in (tmp_path / "error.log").read_text()
    # the control: with an ordinary error log in the portal's server block, the address is there
    loud = quiet.with_name("loud.conf")
    loud.write_text(quiet.read_text().replace("error_log /dev/null crit;", f"error_log {tmp_path}/portal.log error;"))
    with running_nginx(loud, tmp_path, public):
        assert _get(f"https://127.0.0.1:{public}/lapor")[0] == 502
    assert "client: 127.0.0.1" in (tmp_path / "portal.log").read_text()


def test_nginx_serves_the_review_app_on_its_internal_listener(nginx: tuple[int, int, Path]) -> None:
    _public, internal, _tmp = nginx
    status, headers, body = _get(f"https://127.0.0.1:{internal}/login")
    assert status == 200 and "passphrase" in body
    assert headers["Server"] == "nginx"


def test_health_endpoints_through_nginx_say_ok_and_nothing_more(nginx: tuple[int, int, Path]) -> None:
    public, internal, _tmp = nginx
    for port in (public, internal):
        status, headers, body = _get(f"https://127.0.0.1:{port}/healthz")
        assert (status, body, headers["Server"]) == (200, "ok\n", "nginx")
        assert "Set-Cookie" not in headers


def test_the_review_allow_list_refuses_other_addresses(
    servers: tuple[str, str, Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    # the recipe's own allow-list (the team's network), which loopback is not part of
    conf, public, internal = render_nginx(tmp_path, servers[0], servers[1], review_allow="10.0.0.0/24")
    with running_nginx(conf, tmp_path, public):
        assert _get(f"https://127.0.0.1:{internal}/login")[0] == 403
        assert _get(f"https://127.0.0.1:{public}/lapor")[0] == 200


def test_review_client_certificates_when_enabled(
    servers: tuple[str, str, Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    device = tmp_path / "device"
    device.mkdir()
    team_cert, team_key = make_certificate(device)  # self-signed: the team CA and a device at once
    conf, public, internal = render_nginx(tmp_path, servers[0], servers[1], client_ca=team_cert)
    with running_nginx(conf, tmp_path, public):
        status, _headers, body = _get(f"https://127.0.0.1:{internal}/login")
        assert status == 400 and "No required SSL certificate was sent" in body
        with_certificate = _tls()
        with_certificate.load_cert_chain(team_cert, team_key)
        status, _headers, body = _get(f"https://127.0.0.1:{internal}/login", with_certificate)
        assert status == 200 and "passphrase" in body
        assert _get(f"https://127.0.0.1:{public}/lapor")[0] == 200  # the portal asks no certificate


def test_the_onion_service_configuration_is_accepted_by_tor(tmp_path: Path) -> None:
    _need(TOR)
    service = tmp_path / "hs"
    service.mkdir(mode=0o700)
    torrc = tmp_path / "torrc"
    torrc.write_text(
        (DEPLOY / "torrc").read_text().replace("/var/lib/tor/kanal_portal/", f"{service}/")
        + f"DataDirectory {tmp_path / 'data'}\n"
    )
    result = subprocess.run(
        [TOR, "--verify-config", "-f", str(torrc)],  # noqa: S603
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration was valid" in result.stdout


def test_the_onion_service_defends_itself_against_floods() -> None:
    # the recipe turns on Tor's own defences (issue 17, point 3) ...
    options = dict(
        line.split(None, 1) for line in (DEPLOY / "torrc").read_text().splitlines() if line and not line.startswith("#")
    )
    assert options["HiddenServicePoWDefensesEnabled"] == "1"
    assert options["HiddenServiceEnableIntroDoSDefense"] == "1"
    assert int(options["HiddenServiceEnableIntroDoSRatePerSec"]) > 0  # 0 would switch the limit off
    assert int(options["HiddenServiceEnableIntroDoSBurstPerSec"]) > 0
    assert int(options["HiddenServiceMaxStreams"]) > 0 and options["HiddenServiceMaxStreamsCloseCircuit"] == "1"
    # ... and this tor can honour the proof of work (verify-config above accepts the options)
    _need(TOR)
    modules = subprocess.run([TOR, "--list-modules"], capture_output=True, text=True, timeout=60).stdout  # noqa: S603
    assert "pow: yes" in modules


def test_systemd_units_are_sandboxed_and_scheduled(tmp_path: Path) -> None:
    services = [unit for unit in UNITS if unit.suffix == ".service"]
    assert {unit.name for unit in services} >= {
        "kanal-portal.service",
        "kanal-review.service",
        "kanal-purge.service",
        "kanal-notify.service",
    }
    for unit in services:
        text = unit.read_text()
        for setting in (
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/kanal",
            "SystemCallFilter=@system-service",
            "CapabilityBoundingSet=",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
            "MemoryDenyWriteExecute=yes",
        ):
            assert setting in text, (unit.name, setting)
    onion = (DEPLOY / "systemd" / "kanal-portal-onion.service").read_text()
    assert "Environment=KANAL_SECURE_COOKIES=0 KANAL_ONION=1 KANAL_FORWARDED_ALLOW_IPS=\n" in onion
    for job in ("purge", "notify"):
        assert (DEPLOY / "systemd" / f"kanal-{job}.timer").exists()
    # systemd's own checker, on copies pointing at this checkout (it also wants the commands to exist)
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (.ci/run does)"
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/kanal", str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],  # noqa: S603
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_apps_work_without_writable_executable_memory(tmp_path: Path) -> None:
    """MemoryDenyWriteExecute=yes in the units: cffi, cryptography, Pillow, pikepdf, lxml,
    fpdf2, psycopg and both apps under gunicorn must not need W+X memory."""
    refused = subprocess.run(
        under_mdwe("-c", "import mmap; mmap.mmap(-1, 4096, prot=7)"),  # noqa: S603
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "PermissionError" in refused.stderr  # the kernel enforces it
    tests = [
        "tests/cases/evidence/test_scrub.py",
        "tests/cases/accountability/test_export.py",
        "tests/test_end_to_end.py",
    ]
    result = subprocess.run(  # noqa: S603
        under_mdwe("-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'inner'}", *tests),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
