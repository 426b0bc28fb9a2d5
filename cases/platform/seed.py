"""Reference data: report categories (DESIGN.md §6) and the OPD list.

Loading is idempotent: existing rows are kept, missing ones added.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Category, Opd, ReferenceVersion

DEFAULT_OPD_FILE = Path(__file__).resolve().parents[1] / "data" / "opd_jateng.txt"

CATEGORIES = (
    ("setoran", "Setoran kepada atasan", "Payments handed up to superiors"),
    ("jual_beli_jabatan", "Jual-beli jabatan", "Buying a position or promotion"),
    ("gratifikasi", "Gratifikasi", "Gratification"),
    ("suap_pemerasan", "Suap / pemerasan", "Bribery / extortion"),
    ("pungli", "Pungutan liar", "Illegal levies in a public service"),
    ("penyalahgunaan_wewenang", "Penyalahgunaan wewenang", "Abuse of authority"),
    ("benturan_kepentingan", "Benturan kepentingan", "Conflict of interest"),
    ("pelanggaran_disiplin", "Pelanggaran disiplin / kode etik", "Breach of discipline / code of ethics"),
    ("lainnya", "Lainnya", "Other"),
)

# The category of retaliation reports (issue 20, point 4): a reporter who was moved, demoted or
# given a lowered SKP after reporting says so from their report's page, or cites an old receipt on
# a new report (cases.reporting.retaliation). Never offered on the ordinary form (`active_categories`
# leaves it out): a retaliation report is always linked to the report it follows.
RETALIATION = "retaliation"
RETALIATION_CATEGORY = (RETALIATION, "Pembalasan terhadap pelapor", "Retaliation against a reporter")


# For a reporter who does not know the unit, or whose unit is not on the list (issue 18): routed
# like any other unit (recusals included), shown last on the form, and named as such to the team.
UNKNOWN_OPD = "Tidak tahu / lainnya"


def read_opd_file(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def load_seed(session: Session, *, opd_file: Path = DEFAULT_OPD_FILE) -> tuple[int, int]:
    """Add missing categories and OPDs; returns how many of each were added."""
    known_codes = set(session.scalars(select(Category.code)))
    new_categories = [
        Category(code=code, name_id=name_id, name_en=name_en, position=position)
        for position, (code, name_id, name_en) in enumerate((*CATEGORIES, RETALIATION_CATEGORY))
        if code not in known_codes
    ]
    known_opds = set(session.scalars(select(Opd.name)))
    new_opds = [Opd(name=name) for name in [*read_opd_file(opd_file), UNKNOWN_OPD] if name not in known_opds]
    session.add_all(new_categories)
    session.add_all(new_opds)
    if new_categories or new_opds:
        new_reference_token(session)
    session.flush()
    return len(new_categories), len(new_opds)


def active_categories(session: Session) -> list[Category]:
    """The categories a reporter chooses from on the report form: active, and not the retaliation
    category (a retaliation report is made from a report's page or with an old receipt)."""
    return list(
        session.scalars(
            select(Category).where(Category.active.is_(True), Category.code != RETALIATION).order_by(Category.position)
        )
    )


def active_opds(session: Session) -> list[Opd]:
    """Active units by name, "don't know / other" last."""
    return list(session.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name == UNKNOWN_OPD, Opd.name)))


# --- the lists as the report form shows them, kept per process (issue 21) ------------------------


@dataclass(frozen=True)
class ChoiceLists:
    """The active categories (id, Indonesian name, English name) and units (id, name), in form order."""

    categories: tuple[tuple[int, str, str], ...]
    opds: tuple[tuple[int, str], ...]
    token: str = ""  # the `reference_version` they were read under ("": not kept, the table is empty)

    def has_category(self, category_id: object) -> bool:
        return any(entry[0] == category_id for entry in self.categories)

    def has_opd(self, opd_id: object) -> bool:
        return any(entry[0] == opd_id for entry in self.opds)


_kept: dict[str, tuple[str, ChoiceLists]] = {}  # database URL -> (token, lists)


_TOKEN = select(ReferenceVersion.token).where(ReferenceVersion.id == 1)  # built once: asked on every form


def choice_lists(session: Session) -> ChoiceLists:
    """The report form's lists: from this process's copy while the database's `reference_version`
    token is the one it was read under (one small query), read afresh otherwise. Every change made
    by the app gives a new token (`new_reference_token`: seed, the admins' lists page); a change made
    behind the app's back (SQL by hand) shows at the next one, or after a restart. A submission checks
    the chosen ids against the lists read under the token of its own request (`submit_report`), so an
    entry retired through the app is never accepted, even by a form shown before."""
    token = session.scalar(_TOKEN) or ""
    bind = session.get_bind()
    database = str(bind.engine.url)
    kept = _kept.get(database)
    if token and kept is not None and kept[0] == token:
        return kept[1]
    lists = ChoiceLists(
        categories=tuple((c.id, c.name_id, c.name_en) for c in active_categories(session)),
        opds=tuple((o.id, o.name) for o in active_opds(session)),
        token=token,
    )
    if token:
        _kept[database] = (token, lists)
    return lists


def new_reference_token(session: Session) -> None:
    """The category or unit lists changed (seed, the admins' lists page): every process reads them
    afresh at its next form."""
    row = session.get(ReferenceVersion, 1)
    if row is None:
        session.add(ReferenceVersion(id=1, token=secrets.token_hex(16)))
    else:
        row.token = secrets.token_hex(16)
