"""Every review-app page (with a full admin session and a real case) is wholly
in Indonesian by default and wholly in English with ?lang=en."""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Reviewer
from tests.actions import case_ids, submit_report
from tests.portal.test_portal_languages import wrong_language
from tests.review.test_review_workspace import admin  # noqa: F401 - fixture


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_review_page_is_in_one_language(
    review_app: Flask,
    admin: FlaskClient,  # noqa: F811
    portal: FlaskClient,
    session: Session,
    lang: str,
) -> None:
    submit_report(portal, what="Pungutan liar di loket izin usaha.")
    values = {
        "case_id": case_ids(admin)[0],
        "reviewer_id": session.scalars(select(Reviewer.id).where(Reviewer.username == "admin")).one(),
    }
    suffix = "" if lang == "id" else "?lang=en"
    problems, seen = {}, 0
    for rule in review_app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)
        response = admin.get(path + suffix, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        seen += 1
        assert f'<html lang="{lang}"' in page, path
        mixed = wrong_language(page, lang)
        if mixed:
            problems[path] = mixed
    assert seen >= 8
    assert problems == {}
