"""Reference data: report categories (DESIGN.md §6) and the OPD list.

Loading is idempotent: existing rows are kept, missing ones added.
"""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Category, Opd

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
        for position, (code, name_id, name_en) in enumerate(CATEGORIES)
        if code not in known_codes
    ]
    known_opds = set(session.scalars(select(Opd.name)))
    new_opds = [Opd(name=name) for name in [*read_opd_file(opd_file), UNKNOWN_OPD] if name not in known_opds]
    session.add_all(new_categories)
    session.add_all(new_opds)
    session.flush()
    return len(new_categories), len(new_opds)


def active_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.position)))


def active_opds(session: Session) -> list[Opd]:
    """Active units by name, "don't know / other" last."""
    return list(session.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name == UNKNOWN_OPD, Opd.name)))
