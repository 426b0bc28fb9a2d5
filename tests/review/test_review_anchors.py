"""Every key holder's login checks the audit log and anchors its head (cases.accountability.anchors)."""

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.accountability import anchor_file
from cases.accountability.anchors import integrity_problems
from cases.models import AuditAnchor, AuditEvent
from cases.team.trust import trust_of
from tests.actions import full_login
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture
from tests.test_end_to_end import NEW_PASSPHRASE


def _anchored_event_id(session: Session) -> int:
    trust = trust_of(session)
    assert trust.anchor_path is not None
    state = anchor_file.read(trust.anchor_path, trust.audit_key)
    assert state is not None
    return state.heads.event_id


def test_login_anchors_the_head_outside_the_database(review_app: Flask, admin: FlaskClient, session: Session) -> None:  # noqa: F811
    # given an admin who enrolled (the enrolment anchored), when they sign in again
    assert full_login(review_app.test_client(), "admin", NEW_PASSPHRASE).status_code == 302
    session.expire_all()
    # then the login event is the anchored head, in the file and in a row naming who saw it
    login = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id.desc())
    ).first()
    assert login is not None and _anchored_event_id(session) == login.id
    rows = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)).all()
    assert len(rows) >= 2 and rows[-1].event_id == login.id and rows[-1].signer_id == login.actor_id


def test_login_after_a_cut_finds_it_and_does_not_anchor_over_it(
    review_app: Flask, admin: FlaskClient, session: Session
) -> None:  # noqa: F811
    # given an anchored log whose newest events are deleted (anchor rows too)
    full_login(review_app.test_client(), "admin", NEW_PASSPHRASE)
    session.expire_all()
    anchored = _anchored_event_id(session)
    last_ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(3)).all()
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(last_ids)))
    session.execute(delete(AuditAnchor))
    session.commit()
    # when the admin signs in again, then the login still works, the anchor stays where it was,
    # and the problem is there for the admins' pages
    assert full_login(review_app.test_client(), "admin", NEW_PASSPHRASE).status_code == 302
    session.expire_all()
    assert _anchored_event_id(session) == anchored
    assert session.scalars(select(AuditAnchor)).all() == []
    assert any("which is gone" in problem for problem in integrity_problems(session))
