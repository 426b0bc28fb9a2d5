"""Every portal page renders wholly in Indonesian by default and wholly in English
on request: no catalog string shows up in the other language on any page.

The pages come from the app's own URL map (a new page is swept automatically),
plus the pages only a form reaches: the receipt, the reporter's case, errors.
"""

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.actions import receipt_of, report_form

ROOT = Path(__file__).resolve().parents[2]
MIN_CHARS = 14  # shorter strings ("Status", "Email") can be the same word in both languages
BRAND = {"Kanal Integritas"}  # the product's name, in every language


def _catalog() -> list[tuple[str, str]]:
    with (ROOT / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    pairs = []
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        english, indonesian = str(message.id), str(message.string)
        if english != indonesian and "%(" not in english and "%(" not in indonesian:
            pairs.append((english, indonesian))
    return pairs


CATALOG = _catalog()


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", text)


def wrong_language(page: str, lang: str) -> list[str]:
    text = visible_text(page)
    found = []
    for english, indonesian in CATALOG:
        foreign = indonesian if lang == "en" else english
        native = english if lang == "en" else indonesian
        for line in foreign.splitlines():
            line = re.sub(r"\s+", " ", line.strip())
            if len(line) >= MIN_CHARS and line in text and line not in native and line not in BRAND:
                found.append(line)
    return found


def portal_pages(app: Flask, client: FlaskClient, lang: str) -> dict[str, str]:
    suffix = "" if lang == "id" else "?lang=en"
    pages: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and "<" not in rule.rule and rule.endpoint != "static":
            response = client.get(rule.rule + suffix, follow_redirects=True)
            if response.mimetype == "text/html":
                pages[rule.rule] = response.get_data(as_text=True)
    pages["404"] = client.get("/tidak-ada" + suffix).get_data(as_text=True)
    receipt_page = client.post("/lapor" + suffix, data=report_form(client))
    pages["receipt"] = receipt_page.get_data(as_text=True)
    pages["form-errors"] = client.post("/lapor" + suffix, data=report_form(client, what="")).get_data(as_text=True)
    receipt = receipt_of(receipt_page)
    status = client.post(
        "/status" + suffix,
        data={"csrf_token": _token(client, "/status" + suffix), "receipt": receipt},
        follow_redirects=True,
    )
    pages["my-report"] = status.get_data(as_text=True)
    pages["unknown-receipt"] = client.post(
        "/status" + suffix, data={"csrf_token": _token(client, "/status" + suffix), "receipt": "AAAA-BBBB-CCCC-DDDD"}
    ).get_data(as_text=True)
    return pages


def _token(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_portal_page_is_in_one_language(portal_app: Flask, lang: str) -> None:
    client = portal_app.test_client()
    pages = portal_pages(portal_app, client, lang)
    assert {"/", "/lapor", "/status", "/panduan", "receipt", "my-report", "404"} <= set(pages)
    problems = {}
    for name, page in pages.items():
        assert f'<html lang="{lang}"' in page, name
        mixed = wrong_language(page, lang)
        if mixed:
            problems[name] = mixed
    assert problems == {}


def test_the_sweep_notices_a_foreign_string() -> None:
    # Guards the test above: a page carrying an untranslated sentence is caught.
    english, indonesian = next((e, i) for e, i in CATALOG if len(e) > 30)
    assert wrong_language(f"<p>{english}</p>", "id") == [english.strip()] or wrong_language(f"<p>{english}</p>", "id")
    assert wrong_language(f"<p>{indonesian}</p>", "en")
    assert wrong_language(f"<p>{indonesian}</p>", "id") == []
