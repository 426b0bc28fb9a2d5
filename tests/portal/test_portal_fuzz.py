"""Fuzzing the portal's forms (bounded): any text in any field gives a page, never a 500;
a refused report shows the reporter every word they typed; an accepted one a receipt."""

import re

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.actions import csrf_token

TEXT_FIELDS = ("what", "who", "when", "where", "how", "amount", "contact")
FUZZ = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Whatever a browser or a forged request may send: any characters, the long and the empty.
ANY_TEXT = st.text(max_size=300) | st.sampled_from(["", " ", "0", "-1", "9" * 40, "\r\n", "<b>", "'\"&"])
FIELDS = st.fixed_dictionaries(
    {}, optional={name: ANY_TEXT for name in (*TEXT_FIELDS, "category", "opd", "homepage", "unexpected")}
)


def choices(client_page: str) -> tuple[str, str]:
    category = re.search(r'name="category".*?<option value="(\d+)"', client_page, re.S)
    opd = re.search(r'name="opd".*?<option value="(\d+)"', client_page, re.S)
    assert category and opd
    return category.group(1), opd.group(1)


@FUZZ
@given(FIELDS, st.booleans())
def test_report_form_never_fails_and_keeps_what_was_typed(
    portal_app: Flask, fields: dict[str, str], valid_choices: bool
) -> None:
    # given a reporter's visit and any text in any field (half the time with real choices)
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    token = csrf_token(client, "/lapor")
    if valid_choices:
        category, opd = choices(client.get("/lapor").get_data(as_text=True))
        fields = {**fields, "category": category, "opd": opd}
    # when the form is posted
    response = client.post("/lapor", data={"csrf_token": token, **fields})
    page = response.get_data(as_text=True)
    # then it is a receipt, or the form again with every typed field still filled in
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert 'class="receipt"' in page
    else:
        assert "<form" in page
        for name in TEXT_FIELDS:
            if fields.get(name):
                assert str(escape(fields[name])) in page, name


@FUZZ
@given(st.text(max_size=200))
def test_status_form_never_fails_on_any_receipt(portal_app: Flask, receipt: str) -> None:
    # given any text as a receipt, then the answer is the form (not recognised / invalid), never a 500
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    response = client.post("/status", data={"csrf_token": csrf_token(client, "/status"), "receipt": receipt})
    assert response.status_code in (200, 400)
    assert "<form" in response.get_data(as_text=True)


@FUZZ
@given(
    st.sampled_from(
        [
            "/",
            "/lapor",
            "/status",
            "/laporan-saya",
            "/panduan",
            "/statistik",
            "/lupakan",
            "/tersimpan",
            "/terima-kasih",
            "/robots.txt",
            "/tidak-ada",
        ]
    ),
    st.dictionaries(st.text(max_size=20), st.text(max_size=100), max_size=5),
    st.booleans(),
)
def test_any_post_to_any_page_gets_an_answer_not_a_crash(
    portal_app: Flask, path: str, fields: dict[str, str], with_token: bool
) -> None:
    # given a visit that posts arbitrary fields (with or without its CSRF token) to any public page
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    data = {**fields, "csrf_token": csrf_token(client, "/status")} if with_token else fields
    response = client.post(path, data=data)
    # then it is answered with a client-side status or a page, never a server error
    assert response.status_code < 500, (path, response.status_code)
