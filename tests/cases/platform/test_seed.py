"""cases.platform.seed: categories and the OPD list, loaded idempotently."""

from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases.models import Base, Category, Opd
from cases.platform.seed import CATEGORIES, DEFAULT_OPD_FILE, UNKNOWN_OPD, active_categories, active_opds, load_seed

EXPECTED_CODES = {
    "setoran",
    "jual_beli_jabatan",
    "gratifikasi",
    "suap_pemerasan",
    "pungli",
    "penyalahgunaan_wewenang",
    "benturan_kepentingan",
    "pelanggaran_disiplin",
    "lainnya",
}


def _opd_names_in_file(path: Path) -> list[str]:
    return [
        s
        for s in (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        if s and not s.startswith("#")
    ]


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_opd_reference_file_lists_51_units() -> None:
    # given the shipped OPD file, then it has 51 non-comment lines, all distinct
    names = _opd_names_in_file(DEFAULT_OPD_FILE)
    assert len(names) == 51 and len(set(names)) == 51


def test_load_seed_loads_9_categories_retaliation_and_51_opds_and_dont_know(session: Session) -> None:
    # given an empty database, when the seed is loaded
    added = load_seed(session)
    session.commit()
    # then all 9 categories, the retaliation category (issue 20: never on the ordinary form), every OPD
    # from the file and "don't know / other" (listed last) are there
    assert added == (10, 52)
    assert _count(session, Category) == 10 and _count(session, Opd) == 52
    assert {c.code for c in active_categories(session)} == EXPECTED_CODES
    assert session.scalars(select(Category.name_id).where(Category.code == "retaliation")).one() == (
        "Pembalasan terhadap pelapor"
    )
    names = [o.name for o in active_opds(session)]
    assert set(names) == set(_opd_names_in_file(DEFAULT_OPD_FILE)) | {UNKNOWN_OPD} and names[-1] == UNKNOWN_OPD


def test_categories_keep_their_listed_order(session: Session) -> None:
    # given the seed, then active categories come back in the order of CATEGORIES
    load_seed(session)
    assert [c.code for c in active_categories(session)] == [code for code, _, _ in CATEGORIES]
    assert active_categories(session)[0].name_id == "Setoran kepada atasan"


def test_second_load_adds_nothing(session: Session) -> None:
    # given a loaded seed
    load_seed(session)
    session.commit()
    # when it is loaded again, then nothing is added
    assert load_seed(session) == (0, 0)
    session.commit()
    assert _count(session, Category) == 10 and _count(session, Opd) == 52


def test_reload_adds_only_missing_opds_and_keeps_existing_ones(session: Session, tmp_path: Path) -> None:
    # given a small OPD file loaded once, and a retired OPD
    first = tmp_path / "opd.txt"
    first.write_text("# comment\nDinas A\n\nDinas B\n", encoding="utf-8")
    assert load_seed(session, opd_file=first) == (10, 3)
    retired = session.scalars(select(Opd).where(Opd.name == "Dinas B")).one()
    retired.active = False
    session.commit()
    # when a longer file is loaded
    second = tmp_path / "opd2.txt"
    second.write_text("Dinas A\nDinas B\nDinas C\n", encoding="utf-8")
    # then only the new OPD is added and the retired one stays retired
    assert load_seed(session, opd_file=second) == (0, 1)
    assert [o.name for o in active_opds(session)] == ["Dinas A", "Dinas C", UNKNOWN_OPD]


def test_the_form_lists_are_kept_per_process_until_they_change(session: Session) -> None:
    from cases.platform.seed import choice_lists, new_reference_token

    # given the seed, read once
    load_seed(session)
    session.commit()
    first = choice_lists(session)
    assert first.opds[-1][1] == UNKNOWN_OPD and len(first.categories) == 9
    # a change made behind the app's back is not read (the copy is kept: one small query a form)...
    session.execute(update(Opd).where(Opd.name == UNKNOWN_OPD).values(name="Diubah diam-diam"))
    session.commit()
    assert choice_lists(session) is first
    # ... and any change through the app gives a new token: the lists are read afresh
    new_reference_token(session)
    session.commit()
    fresh = choice_lists(session)
    assert fresh is not first and "Diubah diam-diam" in {name for _id, name in fresh.opds}
