"""A reporter's visit after the receipt is entered, without keeping the receipt.

The key pair derived from the receipt is wrapped under a key derived from a
random token; the token lives only in the reporter's cookie, the wrapped key
only in `reporter_session`. Neither alone opens anything, and neither is the
receipt (SecureDrop kept the codename in its session cookie: issue #204 there).

The row keeps only the hour it was made; rows older than the previous hour are
purged whenever a session starts, and the 30-minute limit is checked against
the signed issue time in the cookie (see portal/visit.py), so no exact time
of a reporter's visit is stored.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cases.models import Case, ReporterSession
from cases.platform.clock import to_hour, utc_now
from cases.reporting.errors import ReporterSessionGone
from cases.reporting.receipts import open_case_by_receipt, reporter_case_key
from crypto.derive import derive_key, unwrap, wrap
from crypto.errors import CryptoError

_LABEL = "reporter-session"
MAX_TOKEN_CHARS = 64


@dataclass(frozen=True)
class ReporterAccess:
    case: Case
    case_key: bytes


def _row_id(token: str) -> bytes:
    return hashlib.sha256(b"kanal-integritas/v1/reporter-session-id\x00" + token.encode()).digest()


def purge_stale(session: Session) -> None:
    cutoff = to_hour(utc_now()) - timedelta(hours=1)
    session.execute(delete(ReporterSession).where(ReporterSession.created_at < cutoff))


def start_reporter_session(session: Session, *, receipt_text: str, receipt_key: bytes) -> str:
    """A token for the reporter's cookie (raises ReceiptNotRecognised)."""
    case, keypair = open_case_by_receipt(session, receipt_text=receipt_text, receipt_key=receipt_key)
    purge_stale(session)
    token = secrets.token_urlsafe(32)
    session.add(
        ReporterSession(
            id=_row_id(token),
            case_id=case.id,
            wrapped_private_key=wrap(
                derive_key(token.encode(), label="reporter-session-wrap"),
                keypair.private,
                label=_LABEL,
                context=case.id.encode(),
            ),
            created_at=to_hour(utc_now()),
        )
    )
    session.flush()
    return token


def resume_reporter_session(session: Session, *, token: str) -> ReporterAccess:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise ReporterSessionGone()
    row = session.get(ReporterSession, _row_id(token))
    if row is None:
        raise ReporterSessionGone()
    case = session.get(Case, row.case_id)
    try:
        private = unwrap(
            derive_key(token.encode(), label="reporter-session-wrap"),
            row.wrapped_private_key,
            label=_LABEL,
            context=row.case_id.encode(),
        )
        assert case is not None
        return ReporterAccess(case=case, case_key=reporter_case_key(session, case=case, private_key=private))
    except CryptoError:
        raise ReporterSessionGone() from None


def end_reporter_session(session: Session, *, token: str) -> None:
    session.execute(delete(ReporterSession).where(ReporterSession.id == _row_id(token)))
