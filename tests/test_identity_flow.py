"""A confidential identity through both apps (issue 20): the reporter gives it with the report, the team
sees only that it exists, a reviewer asks, a custodian (appointed with four eyes on the Team page)
grants, and the reporter's page says so. Withdrawal and giving it later, from the reporter's page.
The identity never reaches the database in plaintext, nor a log."""

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import IdentityGrant, RosterProposal
from tests.actions import case_ids, check_status, csrf_token, report_form
from tests.domain import database_text
from tests.review.test_review_workspace import post, reviewer_id
from tests.test_end_to_end import activated_reviewer

NAME = "Wulandari Kanaripratiwi"
NIP = "197703152003122077"


@pytest.fixture
def team(review_app: Flask, session: Session) -> dict[str, FlaskClient]:
    """Four founding key holders; "kustodian" appointed custodian through the Team page (four eyes)."""
    clients = {}
    # the custodian reads no case: an account without the reviewer role
    for name, extra in (("ketua", ("--admin",)), ("wakil", ()), ("kustodian", ("--no-reviewer",)), ("penelaah", ())):
        clients[name] = review_app.test_client()
        activated_reviewer(review_app, clients[name], name, *extra)
    custodian = reviewer_id(session, "kustodian")
    proposed = post(clients["ketua"], f"/team/{custodian}/custodian", {}, "/team")
    assert proposed.status_code == 302  # type: ignore[attr-defined]
    proposal = session.scalars(select(RosterProposal.id).where(RosterProposal.action == "custodian.appoint")).one()
    # the proposer cannot confirm their own proposal: the page offers no button, and the server refuses
    assert f"/team/custodians/{proposal}/confirm" not in clients["ketua"].get("/team").get_data(as_text=True)
    post(clients["ketua"], f"/team/custodians/{proposal}/confirm", {}, "/team")
    assert "Identity requests" not in clients["kustodian"].get("/").get_data(as_text=True)
    post(clients["wakil"], f"/team/custodians/{proposal}/confirm", {}, "/team")
    assert "/identity-requests" in clients["kustodian"].get("/").get_data(as_text=True)
    return clients


def _report_with_identity(portal: FlaskClient) -> str:
    data = report_form(
        portal,
        identity_name=NAME,
        identity_nip=NIP,
        identity_unit="Bidang Anggaran, staf",
        identity_contact="0812-0000-1111",
        identity_protection="y",
    )
    response = portal.post("/lapor", data=data)
    assert response.status_code == 200
    receipt = re.search(r'<p class="receipt"[^>]*>([^<]+)</p>', response.get_data(as_text=True))
    assert receipt, response.get_data(as_text=True)[:400]
    return receipt.group(1).strip()


def test_identity_disclosed_only_to_the_requester_by_a_custodian_and_the_reporter_sees_it(
    portal: FlaskClient,
    team: dict[str, FlaskClient],
    session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = _report_with_identity(portal)
    mine = check_status(portal, receipt).get_data(as_text=True)
    assert "Anda memberikan identitas dan meminta perlindungan." in mine
    assert "Tidak dibuka untuk siapa pun." in mine

    case_id = case_ids(team["penelaah"])[0]
    page = team["penelaah"].get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Pelapor meminta perlindungan" in page and NAME not in page and NIP not in page
    assert "Daftar periksa perlindungan" in page

    asked = post(
        team["penelaah"],
        f"/cases/{case_id}/identity/request",
        {"reason": "Saksi kunci untuk rujukan ke Kejaksaan"},
        f"/cases/{case_id}",
    )
    assert asked.status_code == 302  # type: ignore[attr-defined]
    queue = team["kustodian"].get("/identity-requests").get_data(as_text=True)
    assert "Saksi kunci untuk rujukan ke Kejaksaan" in queue
    request_id = re.search(r'action="/identity-requests/([0-9a-f]+)"', queue)
    assert request_id
    decided = post(
        team["kustodian"],
        f"/identity-requests/{request_id.group(1)}",
        {f"{request_id.group(1)}-decision": "grant", f"{request_id.group(1)}-reason": "Untuk rujukan"},
        "/identity-requests",
    )
    assert decided.status_code == 302  # type: ignore[attr-defined]

    shown = team["penelaah"].get(f"/cases/{case_id}").get_data(as_text=True)
    assert NAME in shown and NIP in shown and "Untuk rujukan" in shown
    for other in ("ketua", "wakil", "kustodian"):  # the admin, a colleague, the custodian: not through the app
        assert NAME not in team[other].get(f"/cases/{case_id}").get_data(as_text=True)

    told = portal.get("/laporan-saya").get_data(as_text=True)
    assert "Identitas Anda telah dibuka:" in told and "kepada seorang anggota tim integritas" in told
    assert "Tarik identitas saya" not in told  # disclosed: no longer withdrawable

    dump = database_text(session)
    assert NAME.encode() not in dump and NIP.encode() not in dump
    assert NAME not in caplog.text and NIP not in caplog.text


def test_a_custodian_reads_no_case_and_cannot_grant_their_own_request_through_the_app(
    portal: FlaskClient, team: dict[str, FlaskClient], session: Session
) -> None:
    from cases.models import IdentityRequest

    _report_with_identity(portal)
    case_id = case_ids(team["penelaah"])[0]
    assert team["kustodian"].get(f"/cases/{case_id}").status_code == 404
    mine = post(
        team["kustodian"], f"/cases/{case_id}/identity/request", {"reason": "Saya sendiri"}, "/identity-requests"
    )
    assert mine.status_code == 404  # type: ignore[attr-defined]
    post(team["penelaah"], f"/cases/{case_id}/identity/request", {"reason": "Saksi"}, f"/cases/{case_id}")
    real = session.scalars(select(IdentityRequest)).one()
    own = IdentityRequest(  # written into the database in the custodian's own name
        id="e" * 20,
        case_id=case_id,
        requester_id=reviewer_id(session, "kustodian"),
        state="pending",
        requested_at=real.requested_at,
        reason_team=real.reason_team,
        reason_custodian=real.reason_custodian,
    )
    session.add(own)
    session.commit()
    queue = team["kustodian"].get("/identity-requests").get_data(as_text=True)
    assert "Ini permintaan Anda sendiri" in queue and f'action="/identity-requests/{own.id}"' not in queue
    refused = post(
        team["kustodian"],
        f"/identity-requests/{own.id}",
        {f"{own.id}-decision": "grant", f"{own.id}-reason": "boleh"},
        "/identity-requests",
    )
    assert refused.status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(IdentityRequest, own.id).state == "pending"  # type: ignore[union-attr]
    assert not session.scalars(select(IdentityGrant).where(IdentityGrant.recipient_kind == "reviewer")).all()


def test_the_reporter_withdraws_their_identity_then_gives_it_again(
    portal: FlaskClient, team: dict[str, FlaskClient], session: Session
) -> None:
    receipt = _report_with_identity(portal)
    check_status(portal, receipt)
    unconfirmed = portal.post("/laporan-saya/identitas/tarik", data={"csrf_token": csrf_token(portal, "/laporan-saya")})
    assert unconfirmed.status_code == 400 and "Centang kotak" in unconfirmed.get_data(as_text=True)
    withdrawn = portal.post(
        "/laporan-saya/identitas/tarik",
        data={"csrf_token": csrf_token(portal, "/laporan-saya"), "understood": "y"},
        follow_redirects=True,
    )
    page = withdrawn.get_data(as_text=True)
    assert "Anda telah menarik identitas Anda" in page
    case_id = case_ids(team["penelaah"])[0]
    assert "Pelapor telah menarik identitasnya" in team["penelaah"].get(f"/cases/{case_id}").get_data(as_text=True)

    too_long = portal.post(
        "/laporan-saya/identitas",
        data={"csrf_token": csrf_token(portal, "/laporan-saya"), "identity_name": "N" * 201, "identity_nip": "123"},
    )
    text = too_long.get_data(as_text=True)
    assert too_long.status_code == 400 and "Tulisan ini 201 karakter" in text and 'value="123"' in text
    again = portal.post(
        "/laporan-saya/identitas",
        data={"csrf_token": csrf_token(portal, "/laporan-saya"), "identity_name": "Nama Baru Kanari"},
        follow_redirects=True,
    )
    assert "Anda memberikan identitas." in again.get_data(as_text=True)
    assert b"Nama Baru Kanari" not in database_text(session)


@pytest.mark.parametrize("how", ["form expired", "visit ended"])
def test_an_identity_given_later_that_cannot_be_sent_is_shown_back_not_lost(
    portal_app: Flask, session: Session, how: str
) -> None:
    """Left over from issue 20: with the form's CSRF token expired, or the 30-minute visit over, the
    identity typed on the reporter's page came back as a bare error page and was lost. It is shown
    back (to the reporter only: the response is not stored), and nothing of it is kept."""
    from cases.models import CaseIdentity
    from tests.actions import submit_report

    portal = portal_app.test_client()
    assert check_status(portal, submit_report(portal)).status_code == 200
    data = {
        "csrf_token": csrf_token(portal, "/laporan-saya"),
        "identity_name": NAME,
        "identity_nip": NIP,
        "identity_protection": "y",
    }
    if how == "form expired":
        data["csrf_token"] = "kedaluwarsa"
    else:
        with portal.session_transaction() as cookie:
            cookie["visit_at"] = 1  # issued long ago: the visit is over
    refused = portal.post("/laporan-saya/identitas", data=data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert NAME in page and NIP in page and "Saya meminta perlindungan" in page
    assert "Identitas Anda (belum terkirim" in page and "formulir atau kunjungan Anda sudah kedaluwarsa" in page
    assert "Kunjungan Anda berakhir sebelum pesan" not in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CaseIdentity)) == 0
    assert NAME.encode() not in database_text(session)
