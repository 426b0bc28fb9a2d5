"""Attack class: figures as a side channel — an account that may not read a case learns from
the dashboard, a management table or its CSV that the case exists (its unit, category,
status, deadline, assignee), the moment it arrives (GlobaLeaks/SecureDrop audit class:
information exposure through aggregates; issue 16, point 2).

The attackers: an account that is active with a second factor but not approved (four eyes),
and an approved reviewer recused from the case's unit. Each takes every figure page and CSV
before and after a case about that unit arrives and is worked on by a reader; the two takes
must be identical. A reader's figures do change (so the comparison can fail).
"""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Affiliation, Case, Opd, Reviewer
from tests.actions import csrf_token, submit_report, team_replies
from tests.review.test_review_workspace import (  # noqa: F401 - fixture
    admin,
    approved_colleague,
    post,
    regrant_pass,
    reviewer_id,
)
from tests.test_end_to_end import NEW_PASSPHRASE, activated_reviewer

TABLES = ("sla", "backlog", "workload", "opd", "category")
FIGURE_PAGES = (
    "/dashboard",
    "/dashboard?lang=en",
    "/management",
    "/management?lang=en",
    *(f"/management/{name}.csv" for name in TABLES),
)
_TOKEN = re.compile(r'(name="csrf_token" (?:type="hidden" )?value=)"[^"]+"')


def everything(client: FlaskClient) -> dict[str, tuple[int, str]]:
    """Every figure the account can get, as it gets it (CSRF tokens, which carry a timestamp, blanked)."""
    taken = {}
    for path in FIGURE_PAGES:
        response = client.get(path)
        taken[path] = (response.status_code, _TOKEN.sub(r'\1""', response.get_data(as_text=True)))
    return taken


def _two_units(session: Session) -> tuple[Opd, Opd]:
    first, second = session.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)).all()[:2]
    return first, second


def _case_about(session: Session, opd: Opd) -> str:
    session.expire_all()
    return session.scalars(select(Case.id).where(Case.opd_id == opd.id)).one()


def _work_on(reader: FlaskClient, session: Session, case_id: str) -> None:
    """A reader takes the case on: answers, assigns it to themself, moves it on (every figure it touches)."""
    assert team_replies(reader, case_id, "Terima kasih, laporan sedang kami periksa.").status_code == 302
    me = reviewer_id(session, "admin")
    page = f"/cases/{case_id}"
    assert (
        reader.post(f"{page}/assign", data={"csrf_token": csrf_token(reader, page), "assignee": me}).status_code == 302
    )
    for status in ("verifying", "investigating"):
        moved = post(reader, f"{page}/status", {"new_status": status, "reason": "cukup bukti"}, page)
        assert moved.status_code == 302


def test_an_unapproved_account_sees_no_figure_and_none_moves(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    portal: FlaskClient,
    session: Session,
) -> None:
    # given an earlier case, and an account the admin created that activated itself with a second factor
    x, y = _two_units(session)
    submit_report(portal, opd=str(y.id), what="Setoran bulanan dari staf bidang anggaran.")
    puppet = review_app.test_client()
    activated_reviewer(review_app, puppet, "boneka", "--by", "admin", passphrase=NEW_PASSPHRASE)
    assert session.scalars(select(Reviewer.approved_at).where(Reviewer.username == "boneka")).one() is None
    regrant_pass(review_app)  # a key holder's re-grant pass reaches approved accounts only

    # then every management page and CSV is the 404 of a case it cannot read, and the dashboard has no figure
    before = everything(puppet)
    assert all(before[path][0] == 404 for path in FIGURE_PAGES if path.startswith("/management"))
    dashboard = before["/dashboard?lang=en"][1]
    assert before["/dashboard"][0] == 200 and 'class="figures"' not in dashboard and "overdue" not in dashboard
    assert "Figures are shown only to approved reviewers" in dashboard
    assert "/management" not in dashboard  # nor does the navigation offer the page

    # when a case about a unit arrives and a reader works on it
    submit_report(portal, opd=str(x.id), what="Kepala dinas meminta uang untuk promosi jabatan.")
    readers_before = everything(admin)
    _work_on(admin, session, _case_about(session, x))

    # then nothing the account can get has changed, while the reader's figures did
    assert everything(puppet) == before
    assert everything(admin) != readers_before


def test_a_recused_reviewer_cannot_tell_from_any_figure_that_a_case_about_their_unit_exists(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    portal: FlaskClient,
    session: Session,
) -> None:
    # given ani, an approved reader, who declared a conflict of interest with unit X, and a case about Y
    x, y = _two_units(session)
    ani = approved_colleague(review_app, admin, session, "ani")
    post(ani, "/me/conflicts", {"opd": str(x.id), "kind": "conflict"}, "/team")
    ani.get("/team")  # where the confirmation is shown (once)
    session.expire_all()
    assert session.scalars(
        select(Affiliation.opd_id).where(Affiliation.reviewer_id == reviewer_id(session, "ani"))
    ).all() == [x.id]
    submit_report(portal, opd=str(y.id), what="Setoran bulanan dari staf bidang anggaran.")
    regrant_pass(review_app)
    before = everything(ani)
    assert all(status == 200 for status, _page in before.values())  # she does see figures: over the Y case
    assert y.name in before["/management/opd.csv"][1] and x.name not in before["/management/opd.csv"][1]
    assert '<span class="n">1</span>' in before["/dashboard"][1]  # the Y case, new

    # when a case about X arrives and a reader answers it, assigns it and moves it on
    submit_report(portal, opd=str(x.id), what="Kepala dinas meminta uang untuk promosi jabatan.")
    regrant_pass(review_app)  # a re-grant pass must not reach her
    readers_before = everything(admin)
    _work_on(admin, session, _case_about(session, x))

    # then no page, chart, table or CSV she can get has changed
    assert everything(ani) == before
    # while the reader's figures count it: the unit's row, the workload, the statuses
    after = everything(admin)
    assert after != readers_before
    assert x.name in after["/management/opd.csv"][1]
    assert "investigating" in after["/management/backlog.csv"][1]
