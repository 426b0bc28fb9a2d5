"""Attack class: crash mid-operation (a worker dies, a bug fires, the database
refuses) leaving a half-written case — a receipt without content or grants, or
content nobody can decrypt. ASVS 2.3.3: one transaction per request; the commit
happens before the response, so a failure becomes a generic 500 and nothing stays."""

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import cases.reporting.submission
from cases.models import Attachment, Case, CaseItem, KeyGrant
from tests.actions import report_form

CANARY = "KANARI-CRASH-5521"


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_crash_after_the_case_was_written_leaves_no_half_case(
    portal_app: Flask, session: Session, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    form = report_form(client, what=f"Setoran bulanan {CANARY}")

    # the last step of a submission (after case, items and grants were added) blows up
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom {CANARY}")

    monkeypatch.setattr(cases.reporting.submission, "mark_activity", explode)
    response = client.post("/lapor", data=form)
    page = response.get_data(as_text=True)
    # the reporter gets a generic error, never a receipt, a trace or their own text echoed by the error
    assert response.status_code == 500
    assert 'class="receipt"' not in page and "Traceback" not in page and "__debugger__" not in page
    assert CANARY not in page
    # and nothing of the case survived
    assert [_count(session, model) for model in (Case, CaseItem, KeyGrant, Attachment)] == [0, 0, 0, 0]

    # the same form works once the fault is gone: nothing was half-reserved
    monkeypatch.undo()
    assert 'class="receipt"' in client.post("/lapor", data=report_form(client)).get_data(as_text=True)
    assert _count(session, Case) == 1
