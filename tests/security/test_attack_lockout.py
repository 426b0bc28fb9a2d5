"""Attack class: locking the team out (issue 17, point 2) — anyone who knows a reviewer's user name
can lock the account for up to an hour with wrong guesses. A browser that completed a full login
with the second factor is a trusted device: the account's lock delays untrusted browsers only, the
device's own attempts are counted against the device, and a forged, expired or another reviewer's
device cookie is worth nothing. The global login ceiling does not hold a trusted device back either.
"""

import dataclasses
import secrets
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.models import Reviewer, TrustedDevice
from cases.platform.clock import to_hour, utc_now
from cases.platform.config import Config
from cases.team.login_throttle import FREE_FAILURES
from cases.web.app import dispose
from tests.actions import enter_code, full_login, login, logout
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer

DEVICE_COOKIE = "kanal_device"


def _stranger_locks(app: Flask, username: str, guesses: int = 8) -> list[int]:
    """Wrong guesses from browsers that have never logged in, each with a fresh cookie jar."""
    return [
        login(app.test_client(), username, f"tebakan orang asing {n} {secrets.token_hex(4)}").status_code
        for n in range(guesses)
    ]


def _trusted(review_app: Flask, username: str) -> FlaskClient:
    """A reviewer's own browser after a full login with TOTP (enrolment), logged out again."""
    client = review_app.test_client()
    activated_reviewer(review_app, client, username)
    assert client.get_cookie(DEVICE_COOKIE) is not None
    logout(client)
    return client


def test_a_strangers_wrong_guesses_do_not_lock_out_a_reviewers_trusted_device(review_app: Flask) -> None:
    # Given a reviewer whose own browser is trusted
    own = _trusted(review_app, "ratna")
    # When a stranger guesses wrong until the account is locked
    answers = _stranger_locks(review_app, "ratna")
    assert answers[: FREE_FAILURES + 1] == [401] * (FREE_FAILURES + 1) and answers[-1] == 429
    # Then an untrusted browser is held back even with the right passphrase
    assert login(review_app.test_client(), "ratna", NEW_PASSPHRASE).status_code == 429
    # but the reviewer's trusted device logs in fully (passphrase, then code)
    done = full_login(own, "ratna", NEW_PASSPHRASE)
    assert done.status_code == 302 and urlparse(done.headers["Location"]).path == "/"
    assert own.get("/").status_code == 200
    # and the account stays locked for strangers
    assert login(review_app.test_client(), "ratna", NEW_PASSPHRASE).status_code == 429


def _cookie_from(review_app: Flask, username: str) -> str:
    client = _trusted(review_app, username)
    cookie = client.get_cookie(DEVICE_COOKIE)
    assert cookie is not None
    return cookie.value


@pytest.mark.parametrize("kind", ["forged", "expired", "another_reviewers"])
def test_a_forged_expired_or_borrowed_device_cookie_gives_nothing(
    review_app: Flask, session: Session, kind: str
) -> None:
    # Given a locked account, and a browser presenting a device cookie that is not the account's own
    own_token = _cookie_from(review_app, "ratna")
    if kind == "forged":
        token = secrets.token_urlsafe(32)
    elif kind == "expired":
        token = own_token
        session.execute(update(TrustedDevice).values(expires_hour=to_hour(utc_now() - timedelta(hours=1))))
        session.commit()
    else:
        token = _cookie_from(review_app, "bayu")  # a colleague's trusted device
    _stranger_locks(review_app, "ratna")
    browser = review_app.test_client()
    browser.set_cookie(DEVICE_COOKIE, token)
    # When it tries the right passphrase, then it is held back like any stranger
    assert login(browser, "ratna", NEW_PASSPHRASE).status_code == 429


def test_wrong_guesses_from_a_trusted_device_lock_that_device(review_app: Flask) -> None:
    own = _trusted(review_app, "ratna")
    # When the trusted browser guesses wrong past the free failures
    answers = [login(own, "ratna", f"salah ketik nomor {n}").status_code for n in range(FREE_FAILURES + 2)]
    # Then the device locks itself out, even for the right passphrase
    assert answers == [401] * (FREE_FAILURES + 1) + [429]
    assert login(own, "ratna", NEW_PASSPHRASE).status_code == 429
    # while the account's count (the strangers') was not touched
    assert login(review_app.test_client(), "ratna", NEW_PASSPHRASE).status_code == 302


def test_wrong_codes_from_a_trusted_device_count_against_the_device_not_the_lock(review_app: Flask) -> None:
    own = _trusted(review_app, "ratna")
    _stranger_locks(review_app, "ratna")
    assert login(own, "ratna", NEW_PASSPHRASE).status_code == 302  # past the passphrase despite the lock
    codes = [enter_code(own, "ratna", code="000000").status_code for _ in range(FREE_FAILURES + 2)]
    assert codes[-1] == 429  # the device's own lock


def test_the_device_cookie_is_only_a_keyed_hash_in_the_database(review_app: Flask, session: Session) -> None:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "ratna")
    cookie = client.get_cookie(DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    rows = session.scalars(select(TrustedDevice)).all()
    assert len(rows) == 1
    row = rows[0]
    assert cookie.value.encode() not in row.id and row.id != cookie.value.encode()
    # the expiry is an hour (the time rule), about 30 days ahead
    assert row.expires_hour == to_hour(row.expires_hour)
    assert timedelta(days=29) < row.expires_hour - utc_now() <= timedelta(days=30)


def test_disabling_the_account_forgets_its_trusted_devices(review_app: Flask, session: Session) -> None:
    from cases.team.sessions import end_all_sessions

    _trusted(review_app, "ratna")
    reviewer = session.scalars(select(Reviewer).where(Reviewer.username == "ratna")).one()
    end_all_sessions(session, reviewer_id=reviewer.id)  # what disabling and a new passphrase do
    session.commit()
    assert session.scalars(select(TrustedDevice)).all() == []


@pytest.fixture
def tight_review(config: Config, recovery_secret: bytes) -> Iterator[Flask]:
    from review import create_app

    app = create_app(dataclasses.replace(config, limit_login_global="3/minute"))
    app.config.update(TESTING=True)
    yield app
    dispose(app)


def test_a_flood_filling_the_global_login_ceiling_does_not_hold_back_a_trusted_device(tight_review: Flask) -> None:
    own = _trusted(tight_review, "ratna")
    # When strangers fill the global ceiling with guesses at made-up names
    answers = [login(tight_review.test_client(), f"nama{n}", "tebakan salah sekali").status_code for n in range(6)]
    assert answers.count(429) >= 3
    # Then the reviewer's trusted device still logs in
    done = full_login(own, "ratna", NEW_PASSPHRASE)
    assert done.status_code == 302 and urlparse(done.headers["Location"]).path == "/"
