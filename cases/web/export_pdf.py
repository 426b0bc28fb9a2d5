"""The human-readable half of a case export: export.pdf, rendered in memory.

It is drawn from the same document as export.json (cases/accountability/export.py), so the
two never disagree. A vendored TTF font (DejaVu Sans, cases/data/fonts) renders
Indonesian and most other scripts without relying on fonts installed on the
server; a character the font lacks is drawn as U+FFFD (the JSON keeps the
exact text), so fpdf2 never logs the missing characters, which would put
fragments of a report in a log line.
"""

import logging
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from cases.web.i18n import FILE_LABELS, STATUS_LABELS

FONT_DIR = Path(__file__).resolve().parents[1] / "data" / "fonts"
FAMILY = "DejaVu"
# Defence in depth: fpdf2's warnings may quote characters of the text it renders.
logging.getLogger("fpdf").setLevel(logging.ERROR)


class _Document(FPDF):
    def __init__(self, case_id: str) -> None:
        super().__init__(format="A4")
        self.case_id = case_id
        self.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        font = self.fonts[FAMILY.lower()]
        assert isinstance(font, TTFFont)
        self.glyphs = set(font.cmap) | {ord("\n")}
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 18, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(
            0,
            6,
            self.clean(_("Confidential · case %(id)s · page %(page)s/{nb}", id=self.case_id, page=self.page_no())),
            align="C",
        )

    def clean(self, value: object) -> str:
        raw = "" if value is None else str(value)
        raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
        return "".join(c if ord(c) in self.glyphs else "\ufffd" for c in raw)

    def heading(self, title: str, size: int = 13) -> None:
        self.ln(3)
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.55, self.clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def pair(self, label: str, value: object, *, size: int = 9) -> None:
        self.set_font(FAMILY, "B", 9)
        self.cell(55, 5, self.clean(label))
        self.set_font(FAMILY, "", size)
        self.multi_cell(
            0, 5, self.clean(value if value not in (None, "") else "—"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def paragraph(self, value: object, *, bold: bool = False, size: int = 10) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, self.clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _when(iso: str | None) -> str:
    return f"{iso[:10]} {iso[11:16]} UTC" if iso else "—"


def _status(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def _author(entry: dict[str, Any]) -> str:
    if entry["author"] == "team":
        return str(entry["reviewer"] or _("Integrity team"))
    return str(_("Reporter"))


def _header(pdf: _Document, doc: dict[str, Any]) -> None:
    case, export = doc["case"], doc["export"]
    pdf.heading(_("Case export for referral"), size=16)
    pdf.pair(_("Case"), case["id"])
    pdf.pair(_("Category"), f"{case['category']['name_id']} / {case['category']['name_en']}")
    pdf.pair(_("Unit (OPD)"), case["opd"])
    pdf.pair(_("Status"), _status(case["status"]))
    pdf.pair(_("Received"), _when(case["received_at"]))
    pdf.pair(_("First response"), _when(case["first_response_at"]))
    pdf.pair(_("Last update"), _when(case["last_update_at"]))
    pdf.pair(_("Concluded"), _when(case["closed_at"]))
    pdf.pair(_("Reason for this export"), export["reason"])
    pdf.pair(_("Exported by"), f"{export['exporter']['name']} ({export['exporter']['username']})")
    pdf.pair(_("Generated"), _when(export["generated_at"]))
    pdf.ln(2)
    pdf.paragraph(
        _(
            "This document contains only the parts selected at export. Times of the reporter's actions "
            "are kept to the hour. Files are the cleaned versions stored at upload; compare their "
            "SHA-256 with the files in attachments/."
        ),
        size=8,
    )


def _redaction(pdf: _Document, doc: dict[str, Any]) -> None:
    """What was withheld: counts and file numbers, never the withheld words or file names."""
    redaction = doc.get("redaction")
    if redaction is None:
        return
    pdf.heading(_("Redacted for referral"))
    pdf.paragraph(
        ngettext(
            "The integrity team withheld passages from this export: %(num)s passage is replaced by %(mark)s.",
            "The integrity team withheld passages from this export: %(num)s passages are replaced by %(mark)s.",
            redaction["passages"],
            mark=redaction["mark"],
        ),
        size=9,
    )
    withheld = ", ".join(f"#{seq}" for seq in redaction["withheld_files"]) or "—"
    pdf.pair(_("Files withheld (item numbers)"), withheld)
    pdf.paragraph(_("The original, unredacted case stays with the integrity team."), size=8)


def _report(pdf: _Document, doc: dict[str, Any]) -> None:
    report = doc["report"]
    if report is not None:
        pdf.heading(_("Report"))
        for key, label in (
            ("what", _("What happened")),
            ("who", _("Who is involved")),
            ("when", _("When")),
            ("where", _("Where")),
            ("how", _("How")),
        ):
            if report[key]:
                pdf.paragraph(label, bold=True)
                pdf.paragraph(report[key])
                pdf.ln(1)
        if report["amount_rupiah"] is not None:
            pdf.pair(_("Amount"), f"Rp {report['amount_rupiah']:,}".replace(",", "."))
    if doc["contact"] is not None:
        pdf.heading(_("Reporter's contact details"))
        pdf.pair(_("Reason for including them"), doc["contact"]["reason"])
        pdf.paragraph(doc["contact"]["text"])


def _entries(pdf: _Document, title: str, entries: list[dict[str, Any]]) -> None:
    pdf.heading(title)
    for entry in entries:
        pdf.paragraph(f"#{entry['seq']} · {_author(entry)} · {_when(entry['created_at'])}", bold=True, size=9)
        pdf.paragraph(
            entry["text"]
            if not entry["integrity_failed"]
            else _("This item failed its integrity check and is not shown.")
        )
        pdf.ln(2)
    if not entries:
        pdf.paragraph("—")


def render_pdf(doc: dict[str, Any]) -> bytes:
    pdf = _Document(doc["case"]["id"])
    pdf.set_title(pdf.clean(_("Case export for referral")))
    pdf.set_creator("Kanal Integritas")
    pdf.add_page()
    _header(pdf, doc)
    _redaction(pdf, doc)
    _report(pdf, doc)
    if doc["selection"]["messages"]:
        _entries(pdf, _("Messages"), doc["messages"])
    if doc["attachments"]:
        pdf.heading(_("Attachments"))
        for file in doc["attachments"]:
            pdf.paragraph(f"#{file['seq']} · {file['file']}", bold=True, size=9)
            pdf.pair(_("Name"), file["name"])
            pdf.pair(_("Type"), f"{FILE_LABELS.get(file['type'], file['type'])} ({file['mime']})")
            size = f"{file['size']:,}".replace(",", ".")
            pdf.pair(_("Size"), _("%(n)s bytes", n=size))
            pdf.pair("SHA-256", file["sha256"], size=7)  # one line: easy to compare
            pdf.ln(1)
    if doc["status_history"] is not None:
        pdf.heading(_("Status history"))
        for change in doc["status_history"]:
            pdf.paragraph(
                f"{_when(change['at'])} · {_status(change['from'])} → {_status(change['to'])} · {change['by'] or '—'}",
                size=9,
            )
        if not doc["status_history"]:
            pdf.paragraph("—")
        _entries(pdf, _("Outcome sent to the reporter"), doc["outcomes"])
    if doc["internal_notes"] is not None:
        _entries(pdf, _("Internal notes (team only)"), doc["internal_notes"])
    return bytes(pdf.output())
