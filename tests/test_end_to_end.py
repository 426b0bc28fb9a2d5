"""The walking skeleton, through both apps: a report goes in, a reviewer reads it."""

import logging
import re
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from cases.models import Case
from tests.actions import activate, check_status, enrol, full_login, login, submit_report
from tests.domain import account

NEW_PASSPHRASE = "kopi tubruk di pasar johar pagi hari"


def create_account(review_app: Flask, username: str, *extra: str, passphrase: str = "") -> str:
    """Create an account with the real CLI; returns the one-time activation passphrase.

    With `--by NAME` in `extra`, NAME (a key-holding admin, whose `passphrase` is typed) creates it;
    otherwise it is a founding key holder (`create-founder`: its fingerprint joins the roots of trust,
    so it reads cases without anyone's approval). `--admin` makes a founder an administrator."""
    if "--by" in extra:
        command = ["create-reviewer", username, *extra]
        from tests import actions

        by = extra[extra.index("--by") + 1]  # asked for their passphrase, then a fresh code
        passphrase = passphrase + "\n" + actions.CLOCK.next_code(by) if by in actions.CLOCK.secrets else passphrase
    else:
        flags = [flag for flag in extra if flag != "--admin"]
        command = ["create-founder", username, *flags, *([] if "--admin" in extra else ["--no-admin"])]
    result: Result = review_app.test_cli_runner().invoke(args=command, input=passphrase + "\n" if passphrase else None)
    assert result.exit_code == 0, result.output
    match = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b", result.output)
    assert match, result.output
    return match.group(1)


def activated_reviewer(
    review_app: Flask, client: FlaskClient, username: str, *extra: str, passphrase: str = ""
) -> None:
    """A reviewer who has set a passphrase and TOTP, logged in (a founder unless `--by` is given)."""
    one_time = create_account(review_app, username, *extra, passphrase=passphrase)
    assert login(client, username, one_time).headers["Location"].endswith("/activate")
    assert activate(client, NEW_PASSPHRASE).headers["Location"].endswith("/enrol")
    assert enrol(client, username).status_code == 200


def test_report_travels_from_reporter_to_reviewer(portal: FlaskClient, review: FlaskClient, review_app: Flask) -> None:
    # Given an admin created by the CLI, who has not logged in yet
    one_time = create_account(review_app, "siti", "--admin", "--name", "Siti Rahma")

    # When the reviewer logs in the first time, they must set their own passphrase
    first = login(review, "siti", one_time)
    assert first.status_code == 302 and first.headers["Location"].endswith("/activate")
    assert review.get("/").headers["Location"].endswith("/activate")  # nothing else is reachable yet
    done = activate(review, NEW_PASSPHRASE)
    assert done.status_code == 302 and done.headers["Location"].endswith("/enrol")
    assert review.get("/").headers["Location"].endswith("/enrol")  # then TOTP, before anything else
    codes_page = enrol(review, "siti").get_data(as_text=True)
    assert len(re.findall(r"<li><code>[0-9A-Z]{5}-[0-9A-Z]{5}</code></li>", codes_page)) == 10

    # And a reporter submits a report afterwards
    receipt = submit_report(
        portal, what="Kasubbag meminta setoran Rp500.000 tiap awal bulan dari staf honorer.", who="Kasubbag Umum"
    )
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", receipt)

    # Then the reporter sees the status with the receipt, typed loosely
    status = check_status(portal, receipt.lower().replace("-", " "))
    page = status.get_data(as_text=True)
    assert status.status_code == 200
    assert "Diterima" in page and "setoran Rp500.000" in page
    assert receipt not in page  # never echoed back

    # And the reviewer, logged out and in again with the new passphrase, reads it
    review.post(
        "/logout",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', review.get("/").get_data(as_text=True)).group(
                1
            )
        },
    )
    assert full_login(review, "siti", NEW_PASSPHRASE).headers["Location"].endswith("/")
    listing = review.get("/").get_data(as_text=True)
    case_id = re.search(r'href="/cases/([0-9a-f]+)"', listing).group(1)
    case_page = review.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Kasubbag meminta setoran Rp500.000 tiap awal bulan dari staf honorer." in case_page
    assert "Kasubbag Umum" in case_page


def test_reviewer_added_after_a_case_gets_404_not_the_case(
    portal: FlaskClient, review: FlaskClient, review_app: Flask, session: Session
) -> None:
    # Given a case submitted before the reviewer existed
    submit_report(portal)
    case_id = session.scalars(select(Case.id)).one()

    # When a new reviewer activates and opens the case directly
    activated_reviewer(review_app, review, "budi")
    response = review.get(f"/cases/{case_id}")

    # Then they get a plain 404 and the list does not show it
    assert response.status_code == 404
    assert "Kepala bidang" not in response.get_data(as_text=True)
    assert case_id not in review.get("/").get_data(as_text=True)


def test_unknown_case_id_and_garbage_ids_are_404(review: FlaskClient, review_app: Flask) -> None:
    activated_reviewer(review_app, review, "ani")
    for case_id in ("0" * 20, "x" * 200, "'; DROP TABLE case; --"):
        assert review.get(f"/cases/{case_id}").status_code == 404


# --- Anonymity: a canary in every field is found nowhere on disk or in logs ---

CANARY = "KANARI-7f3c9e1d"
CANARY_AMOUNT = "731942865"


def _database_text(engine: Engine) -> bytes:
    """Every value of every table, as bytes, for both SQLite and PostgreSQL."""
    chunks: list[bytes] = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 - names from the schema
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def _files_text(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.committed  # what reaches the disk: the database file among them, committed
def test_canary_in_every_field_never_reaches_disk_or_logs(
    portal: FlaskClient,
    review: FlaskClient,
    review_app: Flask,
    engine: Engine,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    activated_reviewer(review_app, review, "dewi")
    receipt = submit_report(
        portal,
        what=f"{CANARY} apa yang terjadi dengan setoran bulanan",
        who=f"{CANARY} siapa",
        when=f"{CANARY} kapan",
        where=f"{CANARY} di mana",
        how=f"{CANARY} bagaimana",
        amount=CANARY_AMOUNT,
        contact=f"{CANARY} kontak",
    )
    assert CANARY in check_status(portal, receipt).get_data(as_text=True)
    case_id = re.search(r'href="/cases/([0-9a-f]+)"', review.get("/").get_data(as_text=True)).group(1)
    assert CANARY in review.get(f"/cases/{case_id}").get_data(as_text=True)

    compact = receipt.replace("-", "")
    haystacks = {
        "database": _database_text(engine),
        "data dir": _files_text(data_dir),
        "logs": (caplog.text + "".join(capfd.readouterr())).encode(),
    }
    for where, haystack in haystacks.items():
        for needle in (CANARY, CANARY_AMOUNT, receipt, compact):
            assert needle.encode() not in haystack, f"{needle!r} found in {where}"
            assert needle.encode("utf-16-le") not in haystack, f"{needle!r} (utf-16) found in {where}"
    assert haystacks["data dir"] or engine.dialect.name != "sqlite"  # the SQLite files were really searched


def test_timestamps_of_a_submission_are_rounded_to_the_hour(portal: FlaskClient, session: Session) -> None:
    submit_report(portal)
    case = session.scalars(select(Case)).one()
    for moment in (
        case.received_at,
        case.updated_at,
        *(item.created_at for item in case.items),
        *(grant.created_at for grant in case.grants),
    ):
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def test_reviewer_account_creation_uses_create_reviewer(session: Session, recovery_secret: bytes) -> None:
    # The CLI and the domain agree on how an account starts: pending, no key pair yet.
    reviewer, _ = account(session, "Eko")
    assert (reviewer.username, reviewer.state, reviewer.public_key) == ("eko", "pending", None)
