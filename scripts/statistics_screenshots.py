"""Screenshots of the public statistics page and the management dashboard, over a
throw-away SQLite database filled by scripts/demo_data.py:

    .venv/bin/python scripts/statistics_screenshots.py

Writes docs/screenshots/08-portal-statistics.png (360 px wide, Indonesian) and
docs/screenshots/09-review-management.png (desktop width). Both apps run under
gunicorn on loopback; headless Chromium signs in as the first admin (activation,
TOTP enrolment) the way a person would. Needs /usr/bin/chromium.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from base64 import b32decode
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from crypto.totp import current_code  # noqa: E402
from tests.live import wait_until_serving  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"
PASSPHRASE = "demo statistics screenshot passphrase 42"  # noqa: S105 - throw-away demo account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(env: dict[str, str], *command: str) -> str:
    return subprocess.run(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,  # noqa: S603
        timeout=600,
    ).stdout


def sign_in(page: Page, base: str, one_time: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=passphrase]", one_time)
    page.click("button.primary")
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.fill("input[name=confirm]", PASSPHRASE)
    page.click("button.primary")
    secret = page.inner_text("code.secret").replace(" ", "")
    code = current_code(b32decode(secret + "=" * (-len(secret) % 8)), now=time.time())
    page.fill("input[name=code]", code)
    page.click("button.primary")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "KANAL_DATA_DIR": str(Path(tmp) / "data"),
            "KANAL_KDF_MEMORY_KIB": "1024",
            "KANAL_KDF_ITERATIONS": "1",
            "KANAL_KDF_LANES": "1",
            "TMPDIR": tmp,
        }
        python = sys.executable
        setup = run(env, python, "-m", "flask", "--app", "wsgi:review", "dev-setup")
        match = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", setup)
        if match is None:
            raise SystemExit("no activation passphrase in the dev-setup output")
        sys.stdout.write(run(env, python, "scripts/demo_data.py"))
        servers, bases = [], []
        for app in ("portal", "review"):
            port = free_port()
            servers.append(
                subprocess.Popen(  # noqa: S603
                    [
                        python,
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
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        try:
            for base in bases:
                wait_until_serving(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                phone = browser.new_page(viewport={"width": 360, "height": 740}, locale="id-ID")
                phone.goto(bases[0] + "/statistik")
                phone.screenshot(path=str(SHOTS / "08-portal-statistics.png"), full_page=True)
                desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
                sign_in(desk, bases[1], match.group(1))
                desk.goto(bases[1] + "/management")
                desk.screenshot(path=str(SHOTS / "09-review-management.png"), full_page=True)
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    sys.stdout.write("Screenshots written to docs/screenshots/.\n")


if __name__ == "__main__":
    main()
