"""Attack class: identifying traces — a corrupt superior (or a friend in IT)
reading the server's logs, database files and temporary files for the
reporter's address, user agent, referrer, receipt or words
(SecureDrop/GlobaLeaks audit findings: client addresses and secrets in logs,
plaintext in temporary files).

The full reporter + reviewer scenario runs under gunicorn with the project's
one logging configuration (gunicorn.conf.py: no access log; cases/web/: level,
logger and message only), with a unique user agent, a referrer and canary text
in every field; none of them, nor 127.0.0.1, nor the receipt, may appear in any
log line, database file or temporary file afterwards (the team's list previews the report and
searches it: neither the preview nor the search term is kept). In-process checks:
tests/test_end_to_end.py and tests/test_conversation_flow.py (canaries, incl.
file names and messages).
"""

import base64
import logging
import re
import time
from pathlib import Path

import pytest
from flask import Flask

from crypto.totp import current_code
from tests.live import AGENT, Browser, one_time_passphrase

CANARY = "KANARI-GUNICORN-5c1e"
PASSPHRASE = "kopi tubruk di pasar johar pagi hari"


def test_no_trace_of_the_reporter_anywhere(servers: tuple[str, str, Path, Path]) -> None:
    portal_url, review_url, data_dir, root = servers
    one_time = one_time_passphrase(root)

    # The admin activates and sets up TOTP, as a person would.
    team = Browser(review_url)
    team.post("/login", {"csrf_token": team.csrf("/login"), "username": "admin", "passphrase": one_time})
    team.post("/activate", {"csrf_token": team.csrf("/activate"), "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    secret_text = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', team.get("/enrol")).group(1)
    compact = secret_text.replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    team.post("/enrol", {"csrf_token": team.csrf("/enrol"), "code": current_code(secret, now=time.time())})

    # The reporter reports with a canary everywhere, checks the status and replies.
    reporter = Browser(portal_url)
    form = reporter.get("/lapor")
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1),
        "category": re.search(r'name="category".*?<option value="(\d+)"', form, re.S).group(1),
        "opd": re.search(r'name="opd".*?<option value="(\d+)"', form, re.S).group(1),
        "what": f"{CANARY} apa: setoran bulanan",
        "who": f"{CANARY} siapa",
        "when": f"{CANARY} kapan",
        "where": f"{CANARY} di mana",
        "how": f"{CANARY} bagaimana",
        "contact": f"{CANARY} kontak",
    }
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', reporter.post("/lapor", fields)).group(1).strip()
    page = reporter.post("/status", {"csrf_token": reporter.csrf("/status"), "receipt": receipt})
    assert CANARY in page
    reporter.post("/laporan-saya", {"csrf_token": reporter.csrf("/laporan-saya"), "text": f"{CANARY} balasan"})
    # and, moved to another section, reports retaliation from that page, then again citing the receipt
    # on a new report (issue 20, point 4): neither receipt may leave a trace either
    retaliation_form = reporter.get("/laporan-saya/pembalasan")
    retaliation = reporter.post(
        "/laporan-saya/pembalasan",
        {
            "csrf_token": reporter.csrf("/laporan-saya/pembalasan"),
            "opd": re.search(r'<option selected value="(\d+)"', retaliation_form).group(1),
            "what": f"{CANARY} pembalasan: saya dimutasi",
            "when": f"{CANARY} kapan mutasi",
            "who": f"{CANARY} siapa yang memutasi",
        },
    )
    second_receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', retaliation).group(1).strip()
    cited = reporter.post(
        "/lapor",
        {
            **fields,
            "csrf_token": reporter.csrf("/lapor"),
            "category": "",
            "what": f"{CANARY} pembalasan kedua: SKP diturunkan",
            "earlier_receipt": receipt,
        },
    )
    third_receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', cited).group(1).strip()

    # The team reads it: the list previews it, a search finds it by a word of the reply (issue 19, point 3).
    listing = team.get("/")
    case_id = re.search(r'href="/cases/([0-9a-f]+)"', listing).group(1)
    assert f"{CANARY} apa: setoran bulanan" in listing
    assert f"/cases/{case_id}" in team.get(f"/?q={CANARY.lower()}+balasan")
    assert CANARY in team.get(f"/cases/{case_id}")

    time.sleep(0.5)  # let the workers flush their logs
    haystack = b"".join(p.read_bytes() for p in (root / "logs").glob("*.log"))
    haystack += b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    haystack += b"".join(p.read_bytes() for p in (root / "tmp").rglob("*") if p.is_file())
    receipts = [code for each in (receipt, second_receipt, third_receipt) for code in (each, each.replace("-", ""))]
    for needle in (CANARY, CANARY.lower(), AGENT, "unique-agent-31337", *receipts, "127.0.0.1"):
        assert needle.encode() not in haystack, f"{needle!r} left a trace"
    assert (data_dir / "kanal.db").exists()  # the database really was searched


def test_gunicorn_keeps_no_access_log_and_trusts_no_forwarded_header_by_default() -> None:
    import runpy

    settings = runpy.run_path(str(Path(__file__).resolve().parent.parent.parent / "gunicorn.conf.py"))
    assert settings["accesslog"] is None and settings["disable_redirect_access_to_syslog"] is True
    assert settings["loglevel"] in ("warning", "error")  # info would log "Listening at: <address>"
    assert "*" not in settings["forwarded_allow_ips"]


def test_werkzeug_request_logger_is_silenced_and_no_proxy_fix_is_needed(portal_app: Flask) -> None:
    assert logging.getLogger("werkzeug").getEffectiveLevel() >= logging.ERROR
    root = Path(__file__).resolve().parent.parent.parent
    for package in ("cases", "portal", "review"):
        for path in (root / package).rglob("*.py"):  # the apps never read the client address, so nothing
            assert "ProxyFix" not in path.read_text(), path  # rewrites it from X-Forwarded-For either


def test_a_request_full_of_identifying_headers_leaves_no_log_record(
    portal_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = portal_app.test_client()
    headers = {
        "User-Agent": AGENT,
        "Referer": "http://intranet.opd.example/KANARI-REF",
        "X-Forwarded-For": "203.0.113.99",
        "X-Real-IP": "203.0.113.98",
    }
    environ = {"REMOTE_ADDR": "198.51.100.7"}
    client.get("/lapor?KANARI-QUERY=1", headers=headers, environ_base=environ)
    client.post("/status", data={"receipt": "KANARI-RECEIPT"}, headers=headers, environ_base=environ)  # no CSRF
    client.get("/no-such-page?KANARI-QUERY=2", headers=headers, environ_base=environ)
    for needle in ("unique-agent-31337", "KANARI", "203.0.113.", "198.51.100.7", "intranet"):
        assert needle not in caplog.text, needle
