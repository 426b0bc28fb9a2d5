"""Attack class: malformed requests that crash a handler (found by wapiti: a file
part sent under a text field's name made the report form's validators raise
TypeError → 500 on every such request). A crash is a denial of service and,
on the report form, a lost report. Every portal POST endpoint answers < 500
whatever kind of part arrives under whatever name, with or without CSRF."""

import io

import pytest
from flask import Flask

from tests.actions import case_ids, csrf_token, submit_report

FIELDS = [
    "csrf_token",
    "category",
    "opd",
    "what",
    "who",
    "when",
    "where",
    "how",
    "amount",
    "contact",
    "homepage",
    "receipt",
    "text",
    "evidence",
]


def _file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"sleep(7)#1 ;env; <script>"), "x.txt"


@pytest.mark.parametrize("with_token", [True, False])
def test_file_parts_under_text_field_names_never_crash_a_portal_form(portal_app: Flask, with_token: bool) -> None:
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    posts = [
        rule.rule
        for rule in portal_app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and "<" not in rule.rule
    ]
    assert {"/lapor", "/status"} <= set(posts)
    for path in posts:
        token = csrf_token(client, "/lapor") if with_token else ""
        for name in FIELDS:
            data: dict[str, object] = {"csrf_token": token, name: _file()}
            response = client.post(path, data=data, content_type="multipart/form-data")
            assert response.status_code < 500, (path, name, response.status_code)


def test_a_report_with_a_file_as_its_text_is_refused_politely(portal_app: Flask) -> None:
    client = portal_app.test_client()
    response = client.post(
        "/lapor", data={"csrf_token": csrf_token(client, "/lapor"), "what": _file()}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert 'class="receipt"' not in response.get_data(as_text=True)


def test_file_parts_never_crash_the_review_login(review_app: Flask) -> None:
    review_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = review_app.test_client()
    for name in ("username", "passphrase", "csrf_token"):
        data: dict[str, object] = {
            "csrf_token": csrf_token(client, "/login"),
            "username": "admin",
            "passphrase": "x" * 20,
            name: _file(),
        }
        response = client.post("/login", data=data, content_type="multipart/form-data")
        assert response.status_code < 500, (name, response.status_code)


def test_nul_bytes_in_paths_queries_and_fields_are_refused_not_a_crash(portal_app: Flask, review_app: Flask) -> None:
    """PostgreSQL refuses a NUL in a text parameter (DataError → 500 before this guard).
    Paths and queries with one are refused outright; a form field loses only the NUL."""
    from tests.test_end_to_end import activated_reviewer

    for app in (portal_app, review_app):
        app.config["PROPAGATE_EXCEPTIONS"] = False
    review = review_app.test_client()
    activated_reviewer(review_app, review, "nul")
    for url in (
        "/cases/abc%00",
        "/cases/abc%00/files/def%00",
        "/?assignee=a%00b",
        "/?label=%00",
        "/audit?actor=x%00&case=y%00",
        "/?status=new%00",
    ):
        assert review.get(url).status_code in (400, 404), url
    portal = portal_app.test_client()
    for url in ("/status?lang=id%00", "/statistik%00", "/?lang=%00"):
        assert portal.get(url).status_code in (200, 400, 404), url
    stranger = review_app.test_client()
    response = stranger.post(
        "/login",
        data={
            "csrf_token": csrf_token(stranger, "/login"),
            "username": "nul\x00x",
            "passphrase": "salah sekali frasa sandinya",
        },
    )
    assert response.status_code == 401
    response = portal.post(
        "/status", data={"csrf_token": csrf_token(portal, "/status"), "receipt": "ABCD-\x00EFGH-JKLM-NPQR"}
    )
    assert response.status_code < 500
    # fields a view reads straight from the form (found by bench/fuzz_review.py on PostgreSQL)
    submit_report(portal)
    (case_id,) = case_ids(review)
    token = csrf_token(review, f"/cases/{case_id}")
    for action, field, value in (
        ("assign", "assignee", "\x00"),
        ("priority", "priority", "high\x00"),
        ("labels", "label", "perlu\x00 audit"),
        ("labels/remove", "label", "x\x00"),
    ):
        response = review.post(f"/cases/{case_id}/{action}", data={"csrf_token": token, field: value})
        assert response.status_code < 500, action
    # and a label keeps what was typed, without the NUL
    assert "perlu audit" in review.get(f"/cases/{case_id}").get_data(as_text=True)


def test_numbers_in_forms_and_queries_that_are_not_plain_small_numbers_are_ignored(review_app: Flask) -> None:
    """str.isdigit() accepts "²" (int() then raises) and any length (the database then
    overflows): 500s found by bench/fuzz_review.py."""
    from tests.test_end_to_end import activated_reviewer

    review_app.config["PROPAGATE_EXCEPTIONS"] = False
    admin = review_app.test_client()
    activated_reviewer(review_app, admin, "admin", "--admin")
    for number in ("²", "¹²", str(10**20), str(2**63), "١٢"):
        for url in (f"/?category={number}", f"/?opd={number}", f"/?page={number}", f"/audit?page={number}"):
            assert admin.get(url).status_code == 200, url
        response = admin.post(
            "/team/nobody/affiliations/remove", data={"csrf_token": csrf_token(admin, "/team"), "opd": number}
        )
        assert response.status_code < 500, number


def test_the_portal_drops_nuls_from_form_values_like_the_review_app(portal_app: Flask, review_app: Flask) -> None:
    """One request class for both apps: the portal's (which streams files into the spool) is the shared
    NUL-dropping one, so a NUL typed into a portal field never reaches the database either."""
    for app in (portal_app, review_app):
        with app.test_request_context("/lapor", method="POST", data={"what": "setoran\x00 bulanan", "who\x00": "x"}):
            from flask import request

            assert request.form["what"] == "setoran bulanan" and request.form["who"] == "x", app.name
