"""cases.platform.reference_lists: admins only, names unique, the "don't know" unit kept, the last
category kept, nothing deleted."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Category, Opd
from cases.platform.errors import ListEditRefused
from cases.platform.reference_lists import (
    add_category,
    add_opd,
    all_opds,
    rename_opd,
    set_category_active,
    set_opd_active,
)
from cases.platform.seed import UNKNOWN_OPD, active_categories, active_opds
from tests.domain import founder


def _refused(reason: str, call: object, **kwargs: object) -> None:
    with pytest.raises(ListEditRefused) as refused:
        call(**kwargs)  # type: ignore[operator]
    assert refused.value.reason == reason


def test_only_admins_edit_and_names_stay_unique(session: Session, recovery_secret: bytes) -> None:
    admin = founder(session, "admin", admin=True).actor
    ani = founder(session, "ani").actor
    _refused("not_admin", add_opd, session=session, actor=ani, name="Dinas Baru")
    unit = add_opd(session, actor=admin, name="  Dinas   Baru ")
    assert unit.name == "Dinas Baru" and unit in active_opds(session)
    _refused("exists", add_opd, session=session, actor=admin, name="dinas baru")
    _refused("exists", rename_opd, session=session, actor=admin, opd_id=active_opds(session)[0].id, name="DINAS BARU")
    _refused("empty", add_opd, session=session, actor=admin, name="   ")
    _refused("unknown", set_opd_active, session=session, actor=admin, opd_id=10**6, active=False)


def test_retired_unit_stays_in_the_database_and_the_team_lists(session: Session, recovery_secret: bytes) -> None:
    admin = founder(session, "admin", admin=True).actor
    unit = active_opds(session)[0]
    set_opd_active(session, actor=admin, opd_id=unit.id, active=False)
    assert unit not in active_opds(session) and unit in all_opds(session)
    assert session.get(Opd, unit.id) is not None


def test_the_dont_know_unit_is_kept_as_it_is(session: Session, recovery_secret: bytes) -> None:
    admin = founder(session, "admin", admin=True).actor
    unknown = session.scalars(select(Opd).where(Opd.name == UNKNOWN_OPD)).one()
    _refused("protected", set_opd_active, session=session, actor=admin, opd_id=unknown.id, active=False)
    _refused("protected", rename_opd, session=session, actor=admin, opd_id=unknown.id, name="Lainnya")
    other = active_opds(session)[0]
    _refused("exists", rename_opd, session=session, actor=admin, opd_id=other.id, name=UNKNOWN_OPD)


def test_the_last_category_is_not_retired(session: Session, recovery_secret: bytes) -> None:
    admin = founder(session, "admin", admin=True).actor
    *others, last = active_categories(session)
    for category in others:
        set_category_active(session, actor=admin, category_id=category.id, active=False)
    _refused("last", set_category_active, session=session, actor=admin, category_id=last.id, active=False)
    added = add_category(session, actor=admin, name_id="Pemotongan honor", name_en="")
    assert added.name_en == "Pemotongan honor" and added.code == "pemotongan_honor"
    assert session.scalars(select(Category).where(Category.id == last.id)).one().active


def test_the_retaliation_category_is_never_retired_nor_offered_on_the_form(
    session: Session, recovery_secret: bytes
) -> None:
    # issue 20, point 4: retaliation reports always need their category, and only they use it
    admin = founder(session, "admin", admin=True).actor
    retaliation = session.scalars(select(Category).where(Category.code == "retaliation")).one()
    assert retaliation not in active_categories(session)
    _refused(
        "protected_category",
        set_category_active,
        session=session,
        actor=admin,
        category_id=retaliation.id,
        active=False,
    )
    assert retaliation.active
