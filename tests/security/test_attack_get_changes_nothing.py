"""Attack class: state change through GET (a link or an <img> in a page the
reviewer opens would act in their name; CSRF protection covers POST only).
ASVS 3.5.3: every review-app GET route, visited with a full admin session and
every path parameter filled with a real id, leaves the case data, keys, accounts
and team unchanged. (Viewing is recorded — read markers and audit events — by design.)"""

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Affiliation, Attachment, BackupCode, Case, CaseItem, CaseLabel, KeyGrant, Reviewer
from tests.actions import case_ids, submit_report
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture

SKIPPED = {"static"}


def snapshot(session: Session) -> dict[str, list[tuple[object, ...]]]:
    session.expire_all()
    return {
        "case": [
            (c.id, c.status, c.priority, c.assigned_to_id, c.closed_at, c.duplicate_of_id)
            for c in session.scalars(select(Case).order_by(Case.id))
        ],
        "item": sorted((i.id, i.kind, i.ciphertext) for i in session.scalars(select(CaseItem))),
        "grant": sorted((g.id, g.sealed) for g in session.scalars(select(KeyGrant))),
        "reviewer": sorted(
            (r.id, r.state, r.is_admin, r.approved_at, r.disabled_at, r.totp_enabled, r.wrapped_private_key)
            for r in session.scalars(select(Reviewer))
        ),
        "team": sorted((a.reviewer_id, a.opd_id, a.kind) for a in session.scalars(select(Affiliation))),
        "codes": sorted((b.id, b.used_at) for b in session.scalars(select(BackupCode))),
        "labels": sorted((lab.case_id, lab.label) for lab in session.scalars(select(CaseLabel))),
        "files": sorted(a.id for a in session.scalars(select(Attachment))),
    }


def test_no_get_route_of_the_review_app_changes_anything(
    review_app: Flask, admin: FlaskClient, portal: FlaskClient, session: Session
) -> None:  # noqa: F811
    submit_report(portal, what="Pungutan liar di loket izin usaha.")
    case_id = case_ids(admin)[0]
    me = session.scalars(select(Reviewer.id).where(Reviewer.username == "admin")).one()
    values = {
        "case_id": case_id,
        "reviewer_id": me,
        "attachment_id": "0" * 20,
        "table": "sla",
        "item_id": "0" * 20,
        "opd_id": "1",
        "filename": "review.css",
    }
    before = snapshot(session)
    visited = []
    for rule in review_app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in SKIPPED:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)
        response = admin.get(path)
        assert response.status_code < 500, path
        visited.append(path)
    assert len(visited) >= 10 and f"/cases/{case_id}" in visited
    assert snapshot(session) == before
