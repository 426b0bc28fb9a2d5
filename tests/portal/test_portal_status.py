"""Status check by receipt: the same page for a wrong receipt, never an error."""

from flask.testing import FlaskClient

from tests.actions import check_status, submit_report


def test_right_receipt_opens_the_status(portal: FlaskClient) -> None:
    receipt = submit_report(portal)
    page = check_status(portal, receipt).get_data(as_text=True)
    assert "Diterima" in page and "Belum ada kabar" in page


def test_receipt_longer_than_a_code_is_refused_politely(portal: FlaskClient) -> None:
    response = check_status(portal, "A" * 65)
    assert response.status_code == 400
    assert "terlalu panjang" in response.get_data(as_text=True)


def test_status_form_never_puts_the_receipt_in_a_url(portal: FlaskClient) -> None:
    page = portal.get("/status").get_data(as_text=True)
    assert 'method="post"' in page
    assert portal.get("/status?receipt=AAAA-BBBB-CCCC-DDDD").status_code == 200  # ignored, not looked up
