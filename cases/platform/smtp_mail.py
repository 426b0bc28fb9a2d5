"""Sending one notification over SMTP, always upgraded with STARTTLS.

The connection refuses to go on in plaintext: a relay that does not offer
STARTTLS, or whose certificate does not verify (system CAs, or the private CA
in KANAL_SMTP_CA_FILE), fails, and the caller retries on its next run.
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cases.platform.config import Config


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    ca_file: str = ""
    timeout_seconds: float = 30.0

    def __repr__(self) -> str:  # the password must not reach a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port})"

    @classmethod
    def from_config(cls, config: Config) -> "SmtpSettings":
        return cls(
            host=config.smtp_host,
            port=config.smtp_port,
            sender=config.smtp_from,
            user=config.smtp_user,
            password=config.smtp_password,
            ca_file=config.smtp_ca_file,
        )


class SmtpSender:
    """A `cases.team.notifications.Sender` over SMTP with mandatory STARTTLS."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._context = ssl.create_default_context(cafile=settings.ca_file or None)

    def send(self, *, to: str, subject: str, body: str) -> None:
        settings = self._settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.sender, to, subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
        message.set_content(body)
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
            smtp.starttls(context=self._context)  # raises if the relay does not offer it
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
