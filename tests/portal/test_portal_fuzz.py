"""Fuzzing the portal's forms (bounded): any text in any field gives a page, never a 500,
and the answer is the form again or a receipt."""

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.actions import csrf_token

FIELDS = st.fixed_dictionaries({}, optional={name: st.text(max_size=300) for name in (
    "category", "opd", "what", "who", "when", "where", "how", "amount", "contact", "homepage")})


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FIELDS)
def test_report_form_never_fails_on_any_text(portal_app: Flask, fields: dict[str, str]) -> None:
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    response = client.post("/lapor", data={"csrf_token": csrf_token(client, "/lapor"), **fields})
    assert response.status_code in (200, 400)
    assert "<form" in response.get_data(as_text=True) or 'class="receipt"' in response.get_data(as_text=True)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_status_form_never_fails_on_any_receipt(portal_app: Flask, receipt: str) -> None:
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    response = client.post("/status", data={"csrf_token": csrf_token(client, "/status"), "receipt": receipt})
    assert response.status_code in (200, 302, 400)
