"""The text of many cases at once, for their reader: the previews on the case list and the search.

Everything here is decrypted in the request with the reader's own keys (one grant opened per
case, the private key parsed once: `cases.team.grants.open_reviewer_keys`) and dropped with the
request. No preview, no word and no index is ever stored, so a copy of the database holds no more
plaintext than before (docs/SECURITY.md, "Previews and search"). Only what the reporter and the
team exchanged under the case key is read: the report and the messages. Internal notes are under
the team key and are neither previewed nor searched.
"""

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import ItemTampered
from cases.items import ITEM_COLUMNS, ItemColumns, open_item
from cases.models import Attachment, CaseItem
from cases.reporting.report_content import ReportContent
from cases.triage.case_list import Preview
from crypto.errors import CryptoError

PREVIEW_CHARS = 140
MESSAGE_KINDS = ("message", "outcome")  # what the reporter and the team wrote to each other


def _items(session: Session, case_ids: Sequence[str], kinds: Sequence[str]) -> list[tuple[ItemColumns, str | None]]:
    """Case-key items of these kinds, by case and number, with the attachment pointing at each (bound
    into its associated data: an attachment row pointed at a message makes it fail). Plain rows, not
    ORM objects: a search reads thousands."""
    rows = session.execute(
        select(*ITEM_COLUMNS, Attachment.id.label("attachment_id"))
        .outerjoin(Attachment, Attachment.item_id == CaseItem.id)
        .where(CaseItem.case_id.in_(case_ids), CaseItem.kind.in_(kinds), CaseItem.key_kind == "case")
        .order_by(CaseItem.case_id, CaseItem.seq)
    )
    return [(row, row.attachment_id) for row in rows]


def reports(session: Session, *, keys: dict[str, bytes]) -> dict[str, ReportContent | None]:
    """Each case's report, opened with its case key; None when it fails its integrity check (or two
    rows claim to be the report, as in `cases.items.open_report`)."""
    found: dict[str, list[tuple[ItemColumns, str | None]]] = {}
    for item, attachment_id in _items(session, list(keys), ("report",)):
        found.setdefault(item.case_id, []).append((item, attachment_id))
    opened: dict[str, ReportContent | None] = {}
    for case_id, key in keys.items():
        rows = found.get(case_id, [])
        report = None
        if len(rows) == 1:
            item, attachment_id = rows[0]
            try:
                report = ReportContent.from_bytes(open_item(item, key, attachment_id=attachment_id))
            except (ItemTampered, CryptoError):
                report = None
        opened[case_id] = report
    return opened


def messages(session: Session, *, keys: dict[str, bytes]) -> Iterator[tuple[str, str]]:
    """(case id, text) of every message and outcome of these cases that opens, case by case."""
    for item, attachment_id in _items(session, list(keys), MESSAGE_KINDS):
        try:
            text = open_item(item, keys[item.case_id], attachment_id=attachment_id).decode("utf-8")
        except (ItemTampered, UnicodeDecodeError):
            continue  # a tampered item is shown as such on the case page, and never searched
        yield item.case_id, text


def report_words(report: ReportContent) -> list[str]:
    """Every field of the 5W2H report as text; the amount also as written in Indonesian ("1.500.000")."""
    fields = [report.what, report.who, report.when, report.where, report.how, report.contact]
    if report.amount_rupiah is not None:
        fields += [str(report.amount_rupiah), f"{report.amount_rupiah:,}".replace(",", ".")]
    return [text for text in fields if text]


def preview_of(report: ReportContent | None) -> Preview:
    """The beginning of "what happened", whitespace folded, cut at a word near PREVIEW_CHARS."""
    if report is None:
        return Preview(tampered=True)
    text = " ".join(report.what.split())
    if len(text) <= PREVIEW_CHARS:
        return Preview(text=text)
    cut = text[:PREVIEW_CHARS]
    space = cut.rfind(" ")
    if space > PREVIEW_CHARS * 2 // 3:
        cut = cut[:space]
    return Preview(text=cut.rstrip(" ,.;:"), truncated=True)


def previews(session: Session, *, keys: dict[str, bytes]) -> dict[str, Preview]:
    """The preview of each case whose key is given (cases without a key get none)."""
    return {case_id: preview_of(report) for case_id, report in reports(session, keys=keys).items()}
