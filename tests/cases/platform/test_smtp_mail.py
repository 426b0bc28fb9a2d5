"""Mail goes to the relay only over verified STARTTLS (a real aiosmtpd server on loopback)."""

import ssl

import pytest

from cases.platform.smtp_mail import SmtpSender, SmtpSettings
from tests.smtp_server import PASSWORD, USER, Relay, relay  # noqa: F401  (the fixture)


def _settings(relay: Relay, **changes: str) -> SmtpSettings:  # noqa: F811
    values = {
        "host": relay.host,
        "port": relay.port,
        "sender": "kanal@pemda.example",
        "user": USER,
        "password": PASSWORD,
        "ca_file": str(relay.ca_file),
    }
    values.update(changes)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def test_mail_goes_over_starttls_and_logs_in(relay: Relay) -> None:  # noqa: F811
    # when a message is sent to a relay whose certificate our CA file vouches for
    SmtpSender(_settings(relay)).send(to="ana@pemda.example", subject="Aktivitas baru", body="Ada aktivitas baru.")
    # then it arrives (the relay accepts mail and login only after STARTTLS), from the configured sender
    assert relay.logins == [USER]
    [envelope] = relay.messages
    assert envelope.mail_from == "kanal@pemda.example" and envelope.rcpt_tos == ["ana@pemda.example"]
    assert b"Subject: Aktivitas baru" in envelope.original_content


def test_a_relay_certificate_nobody_vouches_for_is_refused(relay: Relay) -> None:  # noqa: F811
    # given no CA file (only the system's CAs), when sending, then the TLS handshake fails and nothing is sent
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpSender(_settings(relay, ca_file="")).send(to="ana@pemda.example", subject="s", body="b")
    assert relay.messages == []


def test_the_password_stays_out_of_the_settings_repr(relay: Relay) -> None:  # noqa: F811
    assert PASSWORD not in repr(_settings(relay))
