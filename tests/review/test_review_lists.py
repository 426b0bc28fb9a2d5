"""The category and OPD lists edited by admins in the review app (issue 19, point 4): add, rename,
retire through the UI, audited; a retired unit keeps its cases and leaves the report form; the
"don't know / other" unit stays; a non-admin cannot edit."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Case, Category, Opd, ReviewerSession
from cases.platform.seed import UNKNOWN_OPD
from tests.actions import TotpClock, case_ids, csrf_token, submit_report
from tests.domain import age_session, events
from tests.review.test_review_workspace import reviewer_id
from tests.test_end_to_end import activated_reviewer


@pytest.fixture
def admin(review_app: Flask) -> FlaskClient:
    client = review_app.test_client()
    activated_reviewer(review_app, client, "admin", "--admin")
    return client


def edit(client: FlaskClient, url: str, **data: str) -> "object":
    return client.post(url, data={"csrf_token": csrf_token(client, "/team"), **data})


def opd_named(session: Session, name: str) -> Opd:
    session.expire_all()
    return session.scalars(select(Opd).where(Opd.name == name)).one()


def form_units(portal: FlaskClient) -> list[str]:
    page = portal.get("/lapor").get_data(as_text=True)
    select_html = page.split('name="opd"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", select_html)


def test_admin_adds_renames_and_retires_a_unit_which_keeps_its_cases(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    # When the admin adds a unit, it is on the report form
    assert edit(admin, "/lists/opd", name="Dinas Uji Coba").status_code == 302
    unit = opd_named(session, "Dinas Uji Coba")
    assert "Dinas Uji Coba" in form_units(portal)

    # and a reporter files a case about it
    submit_report(portal, opd=str(unit.id), what="Pungutan di loket dinas uji coba.")
    case_id = case_ids(admin)[0]
    assert session.get(Case, case_id).opd_id == unit.id

    # When it is renamed, the case follows (same unit id)
    assert edit(admin, f"/lists/opd/{unit.id}/rename", name="Dinas Uji Coba Baru").status_code == 302
    assert opd_named(session, "Dinas Uji Coba Baru").id == unit.id
    assert "Dinas Uji Coba Baru" in admin.get(f"/cases/{case_id}").get_data(as_text=True)

    # When it is retired, it leaves the report form, and a form posted with it is refused
    assert edit(admin, f"/lists/opd/{unit.id}/retire").status_code == 302
    assert "Dinas Uji Coba Baru" not in form_units(portal)
    assert not opd_named(session, "Dinas Uji Coba Baru").active
    # Then its case stays, readable, and the team can still filter by the unit
    assert case_ids(admin) == [case_id]
    assert "Pungutan di loket" in admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert case_id in admin.get(f"/?opd={unit.id}").get_data(as_text=True)

    # And every change is in the audit log, with ids only
    for action in ("opd.add", "opd.rename", "opd.retire"):
        assert [e.detail for e in events(session, action)] == [f"opd={unit.id}"], action

    # It can be brought back
    assert edit(admin, f"/lists/opd/{unit.id}/restore").status_code == 302
    assert "Dinas Uji Coba Baru" in form_units(portal)


def test_retired_unit_is_refused_at_submission(admin: FlaskClient, portal: FlaskClient, session: Session) -> None:
    edit(admin, "/lists/opd", name="Dinas Sementara")
    unit = opd_named(session, "Dinas Sementara")
    edit(admin, f"/lists/opd/{unit.id}/retire")
    from tests.actions import report_form

    response = portal.post("/lapor", data=report_form(portal, opd=str(unit.id)))
    assert response.status_code == 400 and not session.scalars(select(Case.id)).all()


def test_the_dont_know_unit_cannot_be_renamed_or_retired(
    admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    unknown = opd_named(session, UNKNOWN_OPD)
    assert f"/lists/opd/{unknown.id}/retire" not in admin.get("/lists").get_data(as_text=True)
    edit(admin, f"/lists/opd/{unknown.id}/retire")
    edit(admin, f"/lists/opd/{unknown.id}/rename", name="Lainnya saja")
    assert opd_named(session, UNKNOWN_OPD).active
    assert form_units(portal)[-1] == UNKNOWN_OPD
    assert not events(session, "opd.retire") and not events(session, "opd.rename")


def test_admin_adds_renames_and_retires_a_category(admin: FlaskClient, portal: FlaskClient, session: Session) -> None:
    assert edit(admin, "/lists/category", name_id="Pemotongan honor", name_en="Fee cuts").status_code == 302
    session.expire_all()
    category = session.scalars(select(Category).where(Category.name_id == "Pemotongan honor")).one()
    assert "Pemotongan honor" in portal.get("/lapor").get_data(as_text=True)
    assert "Fee cuts" in portal.get("/lapor?lang=en").get_data(as_text=True)
    edit(admin, f"/lists/category/{category.id}/rename", name_id="Pemotongan honorarium", name_en="Fee cuts")
    assert "Pemotongan honorarium" in portal.get("/lapor").get_data(as_text=True)
    edit(admin, f"/lists/category/{category.id}/retire")
    assert "Pemotongan honorarium" not in portal.get("/lapor").get_data(as_text=True)
    for action in ("category.add", "category.rename", "category.retire"):
        assert [e.detail for e in events(session, action)] == [f"category={category.id}"], action


def test_a_reviewer_who_is_not_an_admin_cannot_edit_the_lists(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    ani = review_app.test_client()
    activated_reviewer(review_app, ani, "ani")  # a key holder, not an admin
    assert ani.get("/lists").status_code == 403
    assert edit(ani, "/lists/opd", name="Dinas Siluman").status_code == 403
    unit = opd_named(session, form_units(portal)[0])
    assert edit(ani, f"/lists/opd/{unit.id}/retire").status_code == 403
    assert edit(ani, f"/lists/opd/{unit.id}/rename", name="Dinas Siluman").status_code == 403
    assert opd_named(session, unit.name).active and "Dinas Siluman" not in form_units(portal)
    assert not events(session, "opd.add") and not events(session, "opd.retire")


def test_editing_the_lists_needs_a_fresh_code(admin: FlaskClient, session: Session, totp_clock: TotpClock) -> None:
    row = session.scalars(
        select(ReviewerSession).where(ReviewerSession.reviewer_id == reviewer_id(session, "admin"))
    ).one()
    age_session(row, stepped_up=timedelta(minutes=6))
    session.commit()
    refused = edit(admin, "/lists/opd", name="Dinas Tanpa Kode")
    assert "/step-up" in refused.headers["Location"]
    assert not session.scalars(select(Opd).where(Opd.name == "Dinas Tanpa Kode")).all()


def test_an_admin_recused_from_a_unit_cannot_rename_or_retire_it_to_read_its_reports(
    admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:
    # given an admin (a reader) who declared a conflict with a unit
    unit = session.scalars(select(Opd).where(Opd.active.is_(True), Opd.name != UNKNOWN_OPD)).first()
    assert unit is not None
    name, unit_id = unit.name, unit.id
    admin.post(
        "/me/conflicts", data={"csrf_token": csrf_token(admin, "/team"), "opd": str(unit_id), "kind": "conflict"}
    )
    # when they try, alone, to rename it out of the way, retire it, and add a new unit of its name
    edit(admin, f"/lists/opd/{unit_id}/rename", name=f"{name} (arsip)")
    edit(admin, f"/lists/opd/{unit_id}/retire")
    page = admin.get("/lists").get_data(as_text=True)
    # then the unit stays as it is, named on the form where reporters choose it, and nothing is audited
    session.expire_all()
    unit = session.get(Opd, unit_id)
    assert unit is not None and unit.name == name and unit.active
    assert name in form_units(portal)
    assert "benturan kepentingan dengannya" in page
    assert not events(session, "opd.retire") and not events(session, "opd.rename")
