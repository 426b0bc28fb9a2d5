"""What a reporter and a reviewer do, as small functions over test clients."""

import io
import re
import time as _time
from base64 import b32decode

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, stream_encode_multipart

from crypto.totp import current_code

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_RECEIPT = re.compile(r'class="receipt"[^>]*>([^<]+)<')
_FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _first_option(page: str, field: str) -> str:
    select = page.split(f'name="{field}"', 1)[1]
    match = re.search(r'<option value="(\d+)"', select)
    assert match
    return match.group(1)


def first_choice(client: FlaskClient, field: str) -> str:
    return _first_option(client.get("/lapor").get_data(as_text=True), field)


def report_form(client: FlaskClient, **fields: str) -> dict[str, str]:
    """The report form as the page serves it (one visit to /lapor), filled in."""
    page = client.get("/lapor").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "no CSRF token on /lapor"
    data = {
        "csrf_token": token.group(1),
        "category": _first_option(page, "category"),
        "opd": _first_option(page, "opd"),
        "what": "Kepala bidang meminta setoran setiap bulan dari semua staf.",
    }
    form_token = _FORM_TOKEN.search(page)
    assert form_token, "no one-time form token on /lapor"
    data["form_token"] = form_token.group(1)
    data.update(fields)
    return data


def submit_report(client: FlaskClient, **fields: str) -> str:
    """Submit a report through the portal; returns the receipt shown."""
    response = client.post("/lapor", data=report_form(client, **fields))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    match = _RECEIPT.search(response.get_data(as_text=True))
    assert match, "no receipt on the page"
    return match.group(1).strip()


def check_status(client: FlaskClient, receipt: str) -> TestResponse:
    """Enter the receipt; a recognised one leads (via a redirect) to the reporter's case page."""
    return client.post(
        "/status", data={"csrf_token": csrf_token(client, "/status"), "receipt": receipt}, follow_redirects=True
    )


def login(client: FlaskClient, username: str, passphrase: str) -> TestResponse:
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "username": username, "passphrase": passphrase},
    )


class TotpClock:
    """Stands in for `time` in cases.team.second_factor: each code a test asks for is
    from a fresh 30-second step, so no test waits and no code is reused."""

    def __init__(self) -> None:
        self.now = _time.time()
        self.secrets: dict[str, bytes] = {}

    def time(self) -> float:
        return self.now

    def next_code(self, username: str) -> str:
        self.now += 30
        return current_code(self.secrets[username], now=self.now)


CLOCK = TotpClock()


def enrol(client: FlaskClient, username: str) -> TestResponse:
    """On the enrolment page: read the secret like a phone would, answer with a code."""
    page = client.get("/enrol").get_data(as_text=True)
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "no TOTP secret on the enrolment page"
    compact = match.group(1).replace(" ", "")
    CLOCK.secrets[username] = b32decode(compact + "=" * (-len(compact) % 8))
    return client.post("/enrol", data={"csrf_token": csrf_token(client, "/enrol"), "code": CLOCK.next_code(username)})


def enter_code(client: FlaskClient, username: str, code: str | None = None) -> TestResponse:
    return client.post(
        "/login/code",
        data={
            "csrf_token": csrf_token(client, "/login/code"),
            "code": code if code is not None else CLOCK.next_code(username),
        },
    )


def full_login(client: FlaskClient, username: str, passphrase: str) -> TestResponse:
    first = login(client, username, passphrase)
    assert first.headers.get("Location", "").endswith("/login/code"), first.status_code
    return enter_code(client, username)


def activate(client: FlaskClient, passphrase: str, confirm: str | None = None) -> TestResponse:
    return client.post(
        "/activate",
        data={
            "csrf_token": csrf_token(client, "/activate"),
            "passphrase": passphrase,
            "confirm": passphrase if confirm is None else confirm,
        },
    )


def logout(client: FlaskClient) -> TestResponse:
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def upload(data: bytes, name: str) -> tuple["io.BytesIO", str]:
    return (io.BytesIO(data), name)


def post_multipart(client: FlaskClient, url: str, form: dict[str, object], follow: bool = False) -> TestResponse:
    """Encode in memory: Werkzeug's test client would spool a large body to a temporary
    file that it never closes (a ResourceWarning, which this suite treats as an error)."""
    values = MultiDict()
    for name, value in form.items():
        if isinstance(value, list):
            for stream, filename in value:
                values.add(name, FileStorage(stream, filename=filename))
        else:
            values.add(name, value)
    stream, length, boundary = stream_encode_multipart(values, use_tempfile=False)
    return client.post(
        url, data=stream.read(), content_type=f"multipart/form-data; boundary={boundary}", follow_redirects=follow
    )


def submit_report_with_files(client: FlaskClient, files: list[tuple["io.BytesIO", str]], **fields: str) -> TestResponse:
    form: dict[str, object] = dict(report_form(client, **fields))
    form["evidence"] = files
    return post_multipart(client, "/lapor", form)


def reporter_sends(
    client: FlaskClient, text: str = "", files: list[tuple["io.BytesIO", str]] | None = None, follow: bool = True
) -> TestResponse:
    """On the reporter's case page (after check_status): reply and/or add files."""
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/laporan-saya"), "text": text}
    if files:
        data["evidence"] = files
    return post_multipart(client, "/laporan-saya", data, follow=follow)


def team_replies(client: FlaskClient, case_id: str, text: str) -> TestResponse:
    """A reply as a reviewer sends it: written, checked on the confirm page, confirmed."""
    return client.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(client, f"/cases/{case_id}"), "text": text, "confirmed": "1"},
    )


def case_ids(client: FlaskClient) -> list[str]:
    return re.findall(r'href="/cases/([0-9a-f]+)"', client.get("/").get_data(as_text=True))


def receipt_of(response: TestResponse) -> str:
    match = _RECEIPT.search(response.get_data(as_text=True))
    assert match, "no receipt on the page"
    return match.group(1).strip()
