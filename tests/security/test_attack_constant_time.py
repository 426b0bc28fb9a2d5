"""Attack class: enumeration by answer or by timing — telling a valid receipt
from an invalid one, or an existing reviewer account from an unknown one, by
the page, the status code, or how long the answer takes (SecureDrop/GlobaLeaks
audit findings: timing and user enumeration on login).

Both look-ups take the same path whatever the input: the expensive derivation
(Argon2id for a passphrase, the receipt key derivation for a receipt) runs
exactly once on every path, hit or miss (a dummy derivation on the miss path).
Counting the derivations proves the structure without asserting timings, which
this suite never does; `bench/timing.py` measures the medians (docs/PERFORMANCE.md).
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from crypto import passphrase, receipts
from tests.actions import check_status, login, submit_report
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer, create_account


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_wrong_and_malformed_receipts_get_the_same_page_not_an_error(portal: FlaskClient) -> None:
    submit_report(portal)
    for attempt in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "bukan kode", "'; SELECT 1; --", "A" * 60):
        response = check_status(portal, attempt)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "tidak dikenali" in page
        assert "Traceback" not in page and attempt not in page


def test_receipt_lookup_derives_once_whether_or_not_the_receipt_exists(
    portal_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = submit_report(portal_app.test_client())
    derivations = _counting(monkeypatch, receipts, "reporter_keypair")
    for attempt in (receipt, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "bukan kode"):
        derivations.clear()
        check_status(portal_app.test_client(), attempt)
        assert len(derivations) == 1, attempt


def test_wrong_passphrase_and_unknown_user_look_the_same(review: FlaskClient, review_app: Flask) -> None:
    create_account(review_app, "rina")
    wrong = login(review, "rina", "salah sekali frasa sandinya")
    unknown = login(review, "tidakada", "salah sekali frasa sandinya")
    assert wrong.status_code == unknown.status_code == 401

    def page(response: TestResponse, name: str) -> str:  # the CSRF token is time-stamped: mask it
        return re.sub(r'value="[^"]+\.[^"]+"', "", response.get_data(as_text=True)).replace(name, "?")

    assert page(wrong, "rina") == page(unknown, "tidakada")


def test_login_derives_once_for_unknown_pending_and_active_accounts(
    review_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    activated_reviewer(review_app, review_app.test_client(), "dewi")  # active, with TOTP
    create_account(review_app, "eko")  # pending: only a one-time passphrase
    derivations = _counting(monkeypatch, passphrase, "derive_passphrase_keys")
    for username, attempt in (
        ("dewi", NEW_PASSPHRASE),
        ("dewi", "salah sekali frasa sandinya"),
        ("eko", "salah sekali frasa sandinya"),
        ("tidakada", "salah sekali frasa sandinya"),
    ):
        derivations.clear()
        login(review_app.test_client(), username, attempt)
        assert len(derivations) == 1, (username, attempt)


def test_ten_wrong_guesses_lock_an_unknown_name_exactly_like_a_real_account(review_app: Flask) -> None:
    """Issue 16: the lock must not tell which user names exist (it used to lock only real accounts)."""
    activated_reviewer(review_app, review_app.test_client(), "rina")

    def guesses(name: str) -> list[tuple[int, str]]:
        client = review_app.test_client()
        answers = []
        for _ in range(10):
            response = login(client, name, "salah sekali frasa sandinya")
            text = re.sub(r'value="[^"]+\.[^"]+"', "", response.get_data(as_text=True)).replace(name, "?")
            answers.append((response.status_code, re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", text)))
        return answers

    real, unknown = guesses("rina"), guesses("tidakada")
    assert [status for status, _ in real] == [status for status, _ in unknown]
    assert 429 in [status for status, _ in real]
    assert real == unknown  # the same pages, the time of the lock aside


def test_unknown_name_counters_are_keyed_and_expire(session: Any, config: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from cases.models import LoginThrottle
    from cases.team.login_throttle import UNKNOWN_NAME_EXPIRY, reserve_unknown_attempt

    reserve_unknown_attempt(session, username="tidakada")
    row = session.scalars(select(LoginThrottle)).one()
    assert b"tidakada" not in row.name_hash and len(row.name_hash) == 32  # the name itself is not stored
    row.last_attempt_hour -= UNKNOWN_NAME_EXPIRY + timedelta(hours=1)
    session.flush()
    reserve_unknown_attempt(session, username="lain")  # any later attempt purges what expired
    assert [r.failed_logins for r in session.scalars(select(LoginThrottle))] == [1]
