"""A reporter opens their case with the receipt.

Constant work on every path: a malformed or unknown receipt still derives a
key pair, opens an HPKE grant and decrypts an item (all against dummies), so
response time does not tell whether a receipt exists.
"""

import contextlib
import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cases.errors import ItemTampered
from cases.items import open_report
from cases.models import Case, CaseItem, CaseStatus, KeyGrant, ReporterRead
from cases.platform.clock import local_day
from cases.reporting.conversation import ThreadEntry, thread
from cases.reporting.errors import ReceiptNotRecognised
from cases.reporting.links import ReporterLink, reporter_links
from cases.reporting.report_content import ReportContent
from crypto import receipts
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError
from crypto.keys import KeyPair, generate_keypair, new_symmetric_key, open_grant, seal_key

_DUMMY_RECEIPT = "0000-0000-0000-0000"
_DUMMY_SALT = bytes(32)
_DUMMY_KEY = new_symmetric_key()
_DUMMY_GRANT = seal_key(
    _DUMMY_KEY,
    recipient_public=generate_keypair().public,
    case_id="dummy",
    key_kind="case",
    recipient_id="reporter:dummy",
)
_DUMMY_METADATA = ItemMetadata(
    case_id="dummy", item_id="dummy", author="reporter", kind="report", key_kind="case", seq=1
)
_DUMMY_ITEM = encrypt_item(_DUMMY_KEY, ReportContent(what="x" * 600).to_bytes(), _DUMMY_METADATA)

if TYPE_CHECKING:
    from cases.reporting.visits import Visit


@dataclass(frozen=True)
class ReporterDates:
    """The dates that matter to a reporter, as calendar days only (None: not yet).

    Days, not times: the page must not show when exactly the team acted (nor
    echo the hour a report arrived), and a `date` cannot carry a time by mistake.
    """

    received: date
    first_response: date | None
    last_update: date | None
    feedback_due: date | None
    # The promise still open: the first response's deadline until it is met (then `feedback_due`).
    first_response_due: date | None = None


# Team actions a reporter can notice: a message, an outcome, a change of status.
_VISIBLE_TEAM_KINDS = ("message", "outcome", "status_note")


_JUST_BEFORE = timedelta(microseconds=1)


def reporter_dates(session: Session, *, case: Case, zone: tzinfo = UTC) -> ReporterDates:
    last = session.scalar(
        select(func.max(CaseItem.created_at)).where(
            CaseItem.case_id == case.id, CaseItem.author == "team", CaseItem.kind.in_(_VISIBLE_TEAM_KINDS)
        )
    )
    concluded = case.status in CaseStatus.CONCLUDED
    return ReporterDates(
        received=local_day(case.received_at, zone),
        # kept as the hour it was made *by* (cases.triage.deadlines): its day is that of the hour before
        first_response=local_day(case.first_response_at - _JUST_BEFORE, zone) if case.first_response_at else None,
        last_update=local_day(last, zone) if last else None,
        feedback_due=local_day(case.feedback_due, zone) if case.feedback_due and not concluded else None,
        first_response_due=(
            local_day(case.first_response_due - _JUST_BEFORE, zone)
            if case.first_response_at is None and not concluded
            else None
        ),
    )


@dataclass(frozen=True)
class ReporterView:
    case_id: str
    status: str
    category_code: str
    opd_name: str
    received_at: datetime
    report: ReportContent | None  # None: it failed its integrity check (cases.items)
    thread: list[ThreadEntry]
    dates: ReporterDates
    # The team's newest message, shown first; `new_from_team` when the reporter had not been shown it.
    newest_team: ThreadEntry | None = None
    new_from_team: bool = False
    # Linked reports (issue 20, point 4): retaliation reported for this one, or the one this reports
    # retaliation for; both are the same reporter's.
    links: tuple[ReporterLink, ...] = ()

    @property
    def closed(self) -> bool:
        return self.status in CaseStatus.CONCLUDED


def _dummy_work(receipt: str | None) -> None:
    keypair = receipts.reporter_keypair(receipt or _DUMMY_RECEIPT, salt=_DUMMY_SALT)
    with contextlib.suppress(CryptoError):
        open_grant(
            _DUMMY_GRANT,
            recipient_private=keypair.private,
            case_id="dummy",
            key_kind="case",
            recipient_id="reporter:dummy",
        )
    decrypt_item(_DUMMY_KEY, _DUMMY_ITEM, _DUMMY_METADATA)


def _find_by_receipt(
    session: Session, receipt_text: str, receipt_key: bytes, what: "Select[*tuple[Any, ...]]"
) -> tuple[str, Any]:
    """The normalised receipt and the row `what` finds for it, or ReceiptNotRecognised after the same
    work as a hit (DESIGN §5: the same time whether a receipt exists or not)."""
    receipt = receipts.normalise(receipt_text)
    found = None
    if receipt is not None:
        lookup = receipts.lookup_hash(receipt, server_key=receipt_key)
        found = session.execute(what.where(Case.receipt_lookup == lookup)).first()
    if receipt is None or found is None:
        _dummy_work(receipt)
        raise ReceiptNotRecognised()
    return receipt, found


def case_by_receipt(session: Session, *, receipt_text: str, receipt_key: bytes) -> tuple[str, KeyPair]:
    """The id of the receipt's case and the reporter's key pair, or ReceiptNotRecognised after the same
    work. Reads two columns, not the whole case: a status check needs no more (issue 21)."""
    receipt, found = _find_by_receipt(session, receipt_text, receipt_key, select(Case.id, Case.reporter_salt))
    return found.id, receipts.reporter_keypair(receipt, salt=found.reporter_salt)


def open_case_by_receipt(session: Session, *, receipt_text: str, receipt_key: bytes) -> tuple[Case, KeyPair]:
    """The case and the reporter's key pair, or ReceiptNotRecognised after the same work."""
    receipt, found = _find_by_receipt(session, receipt_text, receipt_key, select(Case))
    case: Case = found[0]
    return case, receipts.reporter_keypair(receipt, salt=case.reporter_salt)


def reporter_case_key(session: Session, *, case: Case, private_key: bytes) -> bytes:
    recipient_id = f"reporter:{case.id}"
    grant = session.scalars(
        select(KeyGrant).where(KeyGrant.case_id == case.id, KeyGrant.recipient_id == recipient_id)
    ).one()
    return open_grant(
        grant.sealed, recipient_private=private_key, case_id=case.id, key_kind="case", recipient_id=recipient_id
    )


def reporter_view(session: Session, *, visit: "Visit", zone: tzinfo = UTC) -> ReporterView:
    """What the reporter sees; `zone` is the deployment's time zone, for the calendar days.

    The team's newest message is marked new when the reporter had not been shown it, and is
    then remembered as shown (`reporter_read`, the seq of the newest team message shown). That
    write happens once per team message, not at every visit; like a reply, it tells a database
    reader that the reporter came back after the team wrote (docs/SECURITY.md)."""
    view = _view(session, case=visit.case, case_key=visit._case_key, zone=zone)
    newest = next(
        (e for e in reversed(view.thread) if e.author == "team" and e.kind == "message" and not e.tampered), None
    )
    if newest is None:
        return view
    read = session.get(ReporterRead, visit.case.id)
    new = newest.seq > (read.seen_seq if read else 0)
    if new:
        if read is None:
            session.add(ReporterRead(case_id=visit.case.id, seen_seq=newest.seq))
        else:
            read.seen_seq = newest.seq
    return dataclasses.replace(view, newest_team=newest, new_from_team=new)


def _view(session: Session, *, case: Case, case_key: bytes, zone: tzinfo = UTC) -> ReporterView:
    try:
        report: ReportContent | None = open_report(session, case=case, case_key=case_key)
    except ItemTampered:
        report = None
    return ReporterView(
        case_id=case.id,
        status=case.status,
        category_code=case.category.code,
        opd_name=case.opd.name,
        received_at=case.received_at,
        report=report,
        thread=thread(session, case=case, case_key=case_key, audience="reporter"),
        dates=reporter_dates(session, case=case, zone=zone),
        links=reporter_links(session, case_id=case.id, zone=zone),
    )


def open_status(session: Session, *, receipt_text: str, receipt_key: bytes) -> ReporterView:
    case, keypair = open_case_by_receipt(session, receipt_text=receipt_text, receipt_key=receipt_key)
    return _view(session, case=case, case_key=reporter_case_key(session, case=case, private_key=keypair.private))
