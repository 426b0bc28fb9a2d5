"""The report form never loses, doubles or misfiles a report (issue 18, points 1-3).

- the same form sent twice (the browser's "resend" on a refresh of the receipt page) makes one
  case and shows the same receipt; later, a page that says it was received;
- files chosen on a form sent back for a correction are kept, encrypted, for the next POST;
- nothing is preselected, and length limits are stated and enforced with the text kept.
"""

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from cases.models import Attachment, Case, KeptFile, KeptFileChunk, Opd, SentForm
from cases.platform.seed import UNKNOWN_OPD
from cases.reporting import report_forms
from cases.reporting.errors import FormAlreadySent
from cases.reporting.report_forms import claim_form, new_form_token, purge_stale_forms
from tests.actions import _RECEIPT, post_multipart, report_form, submit_report

CANARY = "KANARI-BERKAS-7731"


def _cases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)) or 0


def _text_file(marker: str = CANARY) -> tuple[io.BytesIO, str]:
    return io.BytesIO(f"catatan rapat {marker}\n".encode() * 20), "catatan.txt"


def _jpeg() -> tuple[io.BytesIO, str]:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    out.seek(0)
    return out, "foto.jpg"


def _receipt(page: str) -> str:
    found = _RECEIPT.search(page)
    assert found, page[:400]
    return found.group(1).strip()


def _all_bytes(session: Session) -> bytes:
    """Every value of every table, as a database writer with a copy would read it."""
    dump = b""
    for table in ("sent_form", "kept_file", "kept_file_chunk", "case_item", "attachment_chunk"):
        for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - fixed names
            dump += b"|".join(value if isinstance(value, bytes) else str(value).encode() for value in row)
    return dump


# --- point 1: one case per form --------------------------------------------------------------------


def test_the_same_form_sent_twice_makes_one_case_and_shows_the_same_receipt(
    portal: FlaskClient, session: Session
) -> None:
    data = report_form(portal)
    first = portal.post("/lapor", data=data)
    assert first.status_code == 200
    receipt = _receipt(first.get_data(as_text=True))
    # when the browser re-posts the same body (a refresh of the receipt page)
    again = portal.post("/lapor", data=data)
    # then the same receipt page, and still one case
    assert again.status_code == 200 and _receipt(again.get_data(as_text=True)) == receipt
    assert again.headers["Cache-Control"] == "no-store"
    assert _cases(session) == 1


def test_the_receipt_kept_for_the_refresh_is_sealed_not_plaintext(portal: FlaskClient, session: Session) -> None:
    receipt = _receipt(portal.post("/lapor", data=report_form(portal)).get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(SentForm)) == 1
    dump = _all_bytes(session)
    assert receipt.encode() not in dump and receipt.replace("-", "").encode() not in dump


def test_after_30_minutes_a_resent_form_says_received_without_the_code(
    portal: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = report_form(portal)
    receipt = _receipt(portal.post("/lapor", data=data).get_data(as_text=True))
    later = report_forms.utc_now() + timedelta(minutes=31)
    monkeypatch.setattr(report_forms, "utc_now", lambda: later)
    page = portal.post("/lapor", data=data).get_data(as_text=True)
    assert receipt not in page and "sudah dikirim" in page
    assert _cases(session) == 1


def test_purging_forgets_the_sealed_receipt_and_later_the_form(
    portal: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal.post("/lapor", data=report_form(portal))
    row = session.scalars(select(SentForm)).one()
    assert row.sealed is not None
    now = report_forms.utc_now()
    monkeypatch.setattr(report_forms, "utc_now", lambda: now + timedelta(hours=2))
    purge_stale_forms(session)
    session.refresh(row)
    assert row.sealed is None  # the receipt is gone; the form is still known, so not sent twice
    monkeypatch.setattr(report_forms, "utc_now", lambda: now + timedelta(hours=7))
    purge_stale_forms(session)
    assert session.scalar(select(func.count()).select_from(SentForm)) == 0


def test_a_form_is_remembered_longer_than_it_is_accepted(portal: FlaskClient) -> None:
    # the portal accepts a form for FORM_LIFETIME (its CSRF limit); a sent form's row outlives that by
    # at least the hour its time is rounded to, so a resend is always recognised
    accepted = timedelta(seconds=portal.application.config["WTF_CSRF_TIME_LIMIT"])
    assert accepted == report_forms.FORM_LIFETIME
    assert accepted + timedelta(hours=1) <= report_forms.FORGET_AFTER


def test_a_form_resent_just_before_its_token_expires_makes_no_second_case(
    portal: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a form sent late in an hour, its first purge, and a resend 3 h 55 min later (still accepted)
    data = report_form(portal)
    portal.post("/lapor", data=data)
    later = report_forms.utc_now() + timedelta(hours=3, minutes=55)
    monkeypatch.setattr(report_forms, "utc_now", lambda: later)
    purge_stale_forms(session)
    session.commit()
    page = portal.post("/lapor", data=data).get_data(as_text=True)
    assert "sudah dikirim" in page and _cases(session) == 1


def test_two_posts_of_one_form_at_once_claim_it_once(session: Session) -> None:
    token = new_form_token()
    with session.begin_nested():
        claim_form(session, token)
    with pytest.raises(FormAlreadySent), session.begin_nested():
        claim_form(session, token)
    assert session.scalar(select(func.count()).select_from(SentForm)) == 1


def test_a_tampered_form_token_gets_a_fresh_one_not_an_error(portal: FlaskClient, session: Session) -> None:
    data = report_form(portal, form_token="../../etc/passwd")
    response = portal.post("/lapor", data=data)
    assert response.status_code == 200 and _receipt(response.get_data(as_text=True))
    assert _cases(session) == 1


# --- point 2: files survive a correction -----------------------------------------------------------


def test_a_file_chosen_on_a_form_with_an_error_is_kept_and_sent_with_the_report(
    portal: FlaskClient, session: Session
) -> None:
    # given a report with a file but no "what happened"
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_jpeg()]
    response = post_multipart(portal, "/lapor", data)
    page = response.get_data(as_text=True)
    # then the form comes back with the file named as kept, and nothing is sent
    assert response.status_code == 400
    assert "foto.jpg" in page and "tidak perlu dipilih lagi" in page
    assert _cases(session) == 0 and session.scalar(select(func.count()).select_from(KeptFile)) == 1
    # when the reporter corrects the text and sends without choosing the file again
    data["what"] = "Kepala bidang meminta setoran setiap bulan dari semua staf."
    data.pop("evidence")
    response = post_multipart(portal, "/lapor", data)
    page = response.get_data(as_text=True)
    # then the receipt lists the file, the case holds it, and the kept copy is gone
    assert response.status_code == 200 and _receipt(page) and "foto.jpg" in page
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1
    assert session.scalar(select(func.count()).select_from(KeptFile)) == 0


def test_a_kept_file_is_encrypted_in_the_database(portal: FlaskClient, session: Session) -> None:
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_text_file()]
    assert post_multipart(portal, "/lapor", data).status_code == 400
    assert session.scalar(select(func.count()).select_from(KeptFile)) == 1
    dump = _all_bytes(session)
    assert CANARY.encode() not in dump and b"catatan.txt" not in dump


def test_a_kept_file_can_be_removed(portal: FlaskClient, session: Session) -> None:
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_text_file()]
    page = post_multipart(portal, "/lapor", data).get_data(as_text=True)
    kept_id = re.search(r'name="remove_kept" value="([0-9a-f]+)"', page).group(1)
    data.pop("evidence")
    data["what"] = "Kepala bidang meminta setoran setiap bulan dari semua staf."
    data["remove_kept"] = kept_id
    page = post_multipart(portal, "/lapor", data).get_data(as_text=True)
    assert _receipt(page) and "catatan.txt" not in page
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_another_forms_token_does_not_reach_kept_files(portal: FlaskClient, session: Session) -> None:
    # an attacker who sends a form with a token of their own sees and sends none of someone's kept files
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_text_file()]
    post_multipart(portal, "/lapor", data)
    other = report_form(portal)
    page = portal.post("/lapor", data=other).get_data(as_text=True)
    assert _receipt(page) and "catatan.txt" not in page
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_expired_form_says_the_chosen_files_were_not_kept(portal: FlaskClient, session: Session) -> None:
    data: dict[str, object] = dict(report_form(portal))
    data["csrf_token"] = "expired"
    data["evidence"] = [_text_file()]
    page = post_multipart(portal, "/lapor", data).get_data(as_text=True)
    assert "tidak dapat disimpan" in page
    assert _cases(session) == 0


def test_a_kept_file_that_no_longer_opens_sends_the_form_back_not_a_500(portal: FlaskClient, session: Session) -> None:
    # given a kept file whose chunks were lost (purged meanwhile, or changed by a database writer)
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_text_file()]
    post_multipart(portal, "/lapor", data)
    session.execute(update(KeptFileChunk).values(data=b"\x00"))
    session.commit()
    # when the corrected form is sent, then it comes back saying so, and nothing is made
    data.pop("evidence")
    data["what"] = "Kepala bidang meminta setoran setiap bulan dari semua staf."
    response = post_multipart(portal, "/lapor", data)
    assert response.status_code == 400 and "tidak dapat disimpan" in response.get_data(as_text=True)
    assert _cases(session) == 0 and session.scalar(select(func.count()).select_from(KeptFile)) == 0


def test_kept_files_older_than_the_previous_hour_are_purged(
    portal: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data: dict[str, object] = dict(report_form(portal, what=""))
    data["evidence"] = [_text_file()]
    post_multipart(portal, "/lapor", data)
    later = report_forms.utc_now() + timedelta(hours=2)
    monkeypatch.setattr(report_forms, "utc_now", lambda: later)
    purge_stale_forms(session)
    assert session.scalar(select(func.count()).select_from(KeptFile)) == 0


# --- point 3: nothing preselected, limits stated ---------------------------------------------------


def test_nothing_is_preselected_and_dont_know_is_offered(portal: FlaskClient, session: Session) -> None:
    page = portal.get("/lapor").get_data(as_text=True)
    for name in ("category", "opd"):
        select_html = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        # the empty "— choose —" is the only option that can be selected
        assert re.findall(r"<option[^>]*selected[^>]*>", select_html) in ([], ['<option selected value="">'])
        assert re.search(r'<option (selected )?value="">— pilih —</option>', select_html)
    assert UNKNOWN_OPD in page and "Lainnya" in page
    assert session.scalars(select(Opd).where(Opd.name == UNKNOWN_OPD)).one()


def test_empty_choices_are_refused_in_indonesian_with_the_text_kept(portal: FlaskClient, session: Session) -> None:
    response = portal.post("/lapor", data=report_form(portal, category="", opd=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Pilih kategori" in page and "Pilih perangkat daerah" in page
    assert "Kepala bidang meminta setoran" in page and _cases(session) == 0


def test_text_over_the_limit_is_refused_with_the_text_kept(portal: FlaskClient, session: Session) -> None:
    long_text = "setoran " * 2600  # 20,800 characters, over the 20,000 limit
    response = portal.post("/lapor", data=report_form(portal, what=long_text))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "20.800" in page or "20800" in page
    assert long_text.strip() in page and _cases(session) == 0


def test_limits_are_stated_and_no_field_is_cut_by_the_browser(portal: FlaskClient) -> None:
    page = portal.get("/lapor").get_data(as_text=True)
    assert not re.search(r"<(textarea|input)(?![^>]*homepage)[^>]*maxlength", page)  # the honeypot's 0 aside
    assert "Paling banyak 20.000 karakter" in page


# --- issue 21: the case, its grants and the sealed receipt in one flush; the request's lists check the choice ----


def test_a_refused_insert_that_is_not_the_forms_claim_is_an_error_not_a_received_page(
    portal_app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case is flushed at the end of the savepoint that holds the form's claim: when that flush is
    refused (here a receipt that collides with an existing case's), the claim goes back with it, the
    reporter is not told the report was received, and the same form can be sent again."""
    from cases.reporting import submission

    portal_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = portal_app.test_client()
    submit_report(client)
    taken = session.scalars(select(Case.receipt_lookup)).one()
    monkeypatch.setattr(submission, "_unused_receipt", lambda _session, _key: ("0000-0000-0000-0000", taken))
    data = report_form(client)
    response = client.post("/lapor", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'class="receipt"' not in page and "sudah dikirim" not in page and "diterima" not in page.lower()
    assert _cases(session) == 1 and session.get(SentForm, report_forms._form_id(data["form_token"])) is None
    monkeypatch.undo()
    assert _receipt(client.post("/lapor", data=data).get_data(as_text=True))  # the same form, now accepted
    assert _cases(session) == 2


def test_a_category_retired_through_the_app_is_refused_by_a_form_shown_before(
    portal: FlaskClient, session: Session
) -> None:
    from cases.models import Category
    from cases.platform.seed import new_reference_token

    data = report_form(portal)
    category = session.get(Category, int(data["category"]))
    assert category is not None
    category.active = False
    new_reference_token(session)
    session.commit()
    response = portal.post("/lapor", data=data)
    assert response.status_code == 400 and _cases(session) == 0
    assert "Kepala bidang meminta setoran" in response.get_data(as_text=True)  # what was typed is kept


def test_the_recovery_key_is_kept_per_process_and_a_new_one_is_used_by_the_next_report(
    portal_app: Flask, session: Session
) -> None:
    """Issue 21, point 1: the verified recovery key is kept per process under the reference token,
    so a report does not read it again; installing a new one gives a new token, and the very next
    report of the same process is sealed to it."""
    from cases.models import KeyGrant, RecoveryKey
    from cases.team.recovery_keys import generate_recovery_key
    from cases.team.roster import encryption_fingerprint
    from cases.team.trust import trust_of
    from crypto.recovery import new_master_secret, recovery_keypair
    from tests.sql_log import statements_sent

    def recovery_recipients() -> set[str]:
        return set(session.scalars(select(KeyGrant.recipient_id).where(KeyGrant.recipient_kind == "recovery")))

    # given a second recovery key's fingerprint already among the roots (its ceremony done ahead)
    master = new_master_secret()
    trust_of(session).add_roots(recovery=[encryption_fingerprint(recovery_keypair(master).public)])
    submit_report(portal_app.test_client())  # reads and keeps the first key
    first = recovery_recipients()
    with statements_sent() as statements:
        submit_report(portal_app.test_client())
    assert not any("FROM recovery_key" in statement for statement in statements)
    assert recovery_recipients() == first and len(first) == 1
    # when that key is installed: the roots do not change, the reference token does
    new_key, _master = generate_recovery_key(session, master=master)
    session.commit()
    submit_report(portal_app.test_client())
    # then the next report is sealed to it, and to it only
    assert recovery_recipients() == first | {new_key.recipient_id}
    newest = session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))).one()
    assert newest.id == new_key.id
