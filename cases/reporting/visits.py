"""A reporter's visit after the receipt is entered, without keeping the receipt.

The key pair derived from the receipt is wrapped under a key derived from a
random token; the token lives only in the reporter's cookie, the wrapped key
only in `reporter_session`. Neither alone opens anything, and neither is the
receipt (SecureDrop kept the codename in its session cookie: issue #204 there).

The row keeps only the hour it was made, and the case id only inside the sealed
blob; rows older than the previous hour are purged when a visit starts (once an hour per process), by
the hourly `purge-expired` timer and when a server starts, and the 30-minute
limit is checked against the signed issue time in the cookie (`open_visit`),
so no exact time of a reporter's visit is stored.

The portal holds a `Visit` for the request (portal/visit.py, `visit_required`);
the case key inside it is used only by operations here in `cases`
(`reporter_view`, `reporter_adds`), never by a view.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cases.models import Case, ReporterSession
from cases.platform.clock import to_hour, utc_now
from cases.platform.db import make_engine
from cases.reporting.errors import ReporterSessionGone
from cases.reporting.receipts import case_by_receipt, reporter_case_key
from crypto.derive import derive_key, unwrap, wrap
from crypto.errors import CryptoError

_LABEL = "reporter-session"
MAX_TOKEN_CHARS = 64


@dataclass(frozen=True, eq=False)
class Visit:
    """A reporter's visit: their case, and its key kept inside `cases`."""

    case: Case
    _case_key: bytes = field(repr=False)


def _row_id(token: str) -> bytes:
    return hashlib.sha256(b"kanal-integritas/v1/reporter-session-id\x00" + token.encode()).digest()


def purge_stale(session: Session) -> int:
    """Delete visit rows older than the previous hour (a visit lasts 30 minutes); returns how many."""
    cutoff = to_hour(utc_now()) - timedelta(hours=1)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(ReporterSession).where(ReporterSession.created_at < cutoff)
    )
    return result.rowcount or 0


_purged_hour: list[datetime] = []  # the hour this process last purged in (purge_stale_hourly)


def purge_stale_hourly(session: Session) -> None:
    """`purge_stale` once per hour per process (at a visit's start): rows keep only the hour, so a
    second purge within the same hour finds nothing new (issue 21: a status check runs one statement
    fewer). The hourly timer and a server's start purge too."""
    hour = to_hour(utc_now())
    if _purged_hour and _purged_hour[0] == hour:
        return
    purge_stale(session)
    _purged_hour[:] = [hour]


def start_reporter_session(session: Session, *, receipt_text: str, receipt_key: bytes) -> str:
    """A token for the reporter's cookie (raises ReceiptNotRecognised)."""
    case_id, keypair = case_by_receipt(session, receipt_text=receipt_text, receipt_key=receipt_key)
    purge_stale_hourly(session)
    token = secrets.token_urlsafe(32)
    session.add(
        ReporterSession(
            id=_row_id(token),
            sealed=wrap(
                derive_key(token.encode(), label="reporter-session-wrap"),
                _pack(case_id, keypair.private),
                label=_LABEL,
                context=_row_id(token),
            ),
            created_at=to_hour(utc_now()),
        )
    )
    session.flush()
    return token


def open_visit(session: Session, *, token: str, issued_at: object, minutes: int) -> Visit:
    """The visit of the cookie's token, while its signed issue time is under `minutes` old; otherwise
    the row is ended and `ReporterSessionGone` raised."""
    if not isinstance(issued_at, int) or time.time() - issued_at > minutes * 60:
        end_reporter_session(session, token=token)
        raise ReporterSessionGone()
    try:
        return resume_reporter_session(session, token=token)
    except ReporterSessionGone:
        end_reporter_session(session, token=token)
        raise


def resume_reporter_session(session: Session, *, token: str) -> Visit:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise ReporterSessionGone()
    row = session.get(ReporterSession, _row_id(token))
    if row is None:
        raise ReporterSessionGone()
    try:
        case_id, private = _unpack(
            unwrap(
                derive_key(token.encode(), label="reporter-session-wrap"),
                row.sealed,
                label=_LABEL,
                context=row.id,
            )
        )
    except (CryptoError, ValueError):
        raise ReporterSessionGone() from None
    case = session.get(Case, case_id)
    if case is None:  # purged since (retention)
        raise ReporterSessionGone()
    return Visit(case=case, _case_key=reporter_case_key(session, case=case, private_key=private))


def _pack(case_id: str, private: bytes) -> bytes:
    ident = case_id.encode("ascii")
    return bytes([len(ident)]) + ident + private


def _unpack(payload: bytes) -> tuple[str, bytes]:
    size = payload[0]
    return payload[1 : 1 + size].decode("ascii"), payload[1 + size :]


def end_reporter_session(session: Session, *, token: str) -> None:
    if not token or len(token) > MAX_TOKEN_CHARS:
        return
    session.execute(delete(ReporterSession).where(ReporterSession.id == _row_id(token)))


def purge_stale_at_start(database_url: str) -> int:
    """When a server starts (gunicorn's `on_starting`): visits, kept files and sealed receipts left from
    before a stop or a crash are forgotten without waiting for the next visit or the timer. A database
    that is not reachable or not set up yet is not a reason to refuse to start: the timer and the next
    visit purge later."""
    from cases.reporting.report_forms import purge_stale_forms

    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            purge_stale_forms(session)
            return purge_stale(session)
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("stale visits could not be purged at start")
        return 0
    finally:
        engine.dispose()
