"""A whole reporter + reviewer scenario under gunicorn, as production runs it:
no canary text, user agent, client address or receipt in any log line, database
file or temporary file afterwards."""

import base64
import re
import time
from pathlib import Path

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
        "what": f"{CANARY} apa: setoran bulanan", "who": f"{CANARY} siapa", "when": f"{CANARY} kapan",
        "where": f"{CANARY} di mana", "how": f"{CANARY} bagaimana", "contact": f"{CANARY} kontak",
    }
    receipt = re.search(r'class="receipt"[^>]*>([^<]+)<', reporter.post("/lapor", fields)).group(1).strip()
    page = reporter.post("/status", {"csrf_token": reporter.csrf("/status"), "receipt": receipt})
    assert CANARY in page
    reporter.post("/laporan-saya", {"csrf_token": reporter.csrf("/laporan-saya"), "text": f"{CANARY} balasan"})

    # The team reads it.
    case_id = re.search(r'href="/cases/([0-9a-f]+)"', team.get("/")).group(1)
    assert CANARY in team.get(f"/cases/{case_id}")

    time.sleep(0.5)  # let the workers flush their logs
    haystack = b"".join(p.read_bytes() for p in (root / "logs").glob("*.log"))
    haystack += b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    haystack += b"".join(p.read_bytes() for p in (root / "tmp").rglob("*") if p.is_file())
    for needle in (CANARY, AGENT, "unique-agent-31337", receipt, receipt.replace("-", ""), "127.0.0.1"):
        assert needle.encode() not in haystack, f"{needle!r} left a trace"
    assert (data_dir / "kanal.db").exists()  # the database really was searched
