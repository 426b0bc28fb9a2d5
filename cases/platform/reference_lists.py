"""The category and OPD lists, edited by admins in the review app (issue 19, point 4).

Nothing is ever deleted: a retired category or unit leaves the report form (cases.platform.seed's
`active_*`, which the portal and submission use) but keeps its cases, its recusals and its place in
the team's filters. A rename keeps the id, so cases, recusals and the signed roster (which names
units by id) follow. The "don't know / other" unit (`UNKNOWN_OPD`) is where a reporter goes who does
not know the unit: it can be neither renamed nor retired. Every change is audited with ids only.
Admins only, with a fresh code (step-up).
"""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.models import Affiliation, Category, Opd
from cases.platform.errors import ListEditRefused
from cases.platform.seed import RETALIATION, UNKNOWN_OPD, new_reference_token
from cases.team import roster
from cases.team.actor import Actor

MAX_NAME_CHARS = 200


def all_opds(session: Session) -> list[Opd]:
    """Every unit, retired ones included (the team's filters, the admin's list), by name, "don't know" last."""
    return list(session.scalars(select(Opd).order_by(Opd.name == UNKNOWN_OPD, Opd.name)))


def all_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.id)))


def _check_admin(actor: Actor) -> None:
    if not actor.is_admin or actor.reviewer.state != "active" or actor.purpose != "full":
        raise ListEditRefused("not_admin")
    if not actor.stepped_up:
        raise ListEditRefused("step_up")


def _clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ListEditRefused("empty")
    return name[:MAX_NAME_CHARS]


def _opd(session: Session, opd_id: int) -> Opd:
    opd = session.get(Opd, opd_id)
    if opd is None:
        raise ListEditRefused("unknown")
    return opd


def _category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise ListEditRefused("unknown")
    return category


def _opd_name_free(session: Session, name: str, *, but: int | None = None) -> None:
    taken = session.scalars(select(Opd.id).where(func.lower(Opd.name) == name.lower())).first()
    if taken is not None and taken != but:
        raise ListEditRefused("exists")


def add_opd(session: Session, *, actor: Actor, name: str) -> Opd:
    _check_admin(actor)
    name = _clean(name)
    _opd_name_free(session, name)
    opd = Opd(name=name, active=True)
    session.add(opd)
    session.flush()
    new_reference_token(session)
    audit.record(session, action="opd.add", actor_id=actor.id, detail=f"opd={opd.id}")
    return opd


def _check_no_affiliations(session: Session, opd_id: int) -> None:
    """A unit someone belongs to or is recused from is neither renamed nor retired here: reporters
    choose units by name, so renaming or retiring it (and adding a new unit of the old name) would
    send its reports to the very people recused from it — one admin lifting a recusal alone (found in
    review). Its affiliations are removed first, which takes a second key holder (membership)."""
    in_table = session.scalar(select(Affiliation.opd_id).where(Affiliation.opd_id == opd_id).limit(1))
    signed = any(opd_id in member.affiliations for member in roster.verified(session).members.values())
    if in_table is not None or signed:
        raise ListEditRefused("affiliated")


def rename_opd(session: Session, *, actor: Actor, opd_id: int, name: str) -> None:
    _check_admin(actor)
    opd = _opd(session, opd_id)
    if opd.name == UNKNOWN_OPD:
        raise ListEditRefused("protected")
    _check_no_affiliations(session, opd.id)
    name = _clean(name)
    if name == opd.name:
        return
    if name == UNKNOWN_OPD:
        raise ListEditRefused("exists")
    _opd_name_free(session, name, but=opd.id)
    opd.name = name
    session.flush()
    new_reference_token(session)
    audit.record(session, action="opd.rename", actor_id=actor.id, detail=f"opd={opd.id}")


def set_opd_active(session: Session, *, actor: Actor, opd_id: int, active: bool) -> None:
    """Retire a unit (it leaves the report form; its cases stay) or bring it back."""
    _check_admin(actor)
    opd = _opd(session, opd_id)
    if opd.name == UNKNOWN_OPD:
        raise ListEditRefused("protected")
    if opd.active == active:
        return
    if not active:
        _check_no_affiliations(session, opd.id)
    opd.active = active
    session.flush()
    new_reference_token(session)
    audit.record(session, action="opd.restore" if active else "opd.retire", actor_id=actor.id, detail=f"opd={opd.id}")


def _category_names_free(session: Session, name_id: str, name_en: str, *, but: int | None = None) -> None:
    for column, name in ((Category.name_id, name_id), (Category.name_en, name_en)):
        taken = session.scalars(select(Category.id).where(func.lower(column) == name.lower())).first()
        if taken is not None and taken != but:
            raise ListEditRefused("exists")


def _new_code(session: Session, name: str) -> str:
    """A stable code for a new category (codes are never shown; the seed's are kept)."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:30] or "kategori"
    code, n = base, 1
    while session.scalars(select(Category.id).where(Category.code == code)).first() is not None:
        n += 1
        code = f"{base}_{n}"
    return code


def add_category(session: Session, *, actor: Actor, name_id: str, name_en: str) -> Category:
    """A new category, last on the form; `name_en` defaults to the Indonesian name."""
    _check_admin(actor)
    name_id = _clean(name_id)
    name_en = _clean(name_en) if name_en.strip() else name_id
    _category_names_free(session, name_id, name_en)
    last = session.scalar(select(func.max(Category.position)))
    category = Category(
        code=_new_code(session, name_id), name_id=name_id, name_en=name_en, position=(last or 0) + 1, active=True
    )
    session.add(category)
    session.flush()
    new_reference_token(session)
    audit.record(session, action="category.add", actor_id=actor.id, detail=f"category={category.id}")
    return category


def rename_category(session: Session, *, actor: Actor, category_id: int, name_id: str, name_en: str) -> None:
    _check_admin(actor)
    category = _category(session, category_id)
    name_id = _clean(name_id)
    name_en = _clean(name_en) if name_en.strip() else category.name_en
    if (name_id, name_en) == (category.name_id, category.name_en):
        return
    _category_names_free(session, name_id, name_en, but=category.id)
    category.name_id, category.name_en = name_id, name_en
    session.flush()
    new_reference_token(session)
    audit.record(session, action="category.rename", actor_id=actor.id, detail=f"category={category.id}")


def set_category_active(session: Session, *, actor: Actor, category_id: int, active: bool) -> None:
    """Retire a category (it leaves the report form; its cases stay) or bring it back. The last
    active one stays: a report form needs a category."""
    _check_admin(actor)
    category = _category(session, category_id)
    if category.code == RETALIATION:  # retaliation reports must always have their category (issue 20)
        raise ListEditRefused("protected_category")
    if category.active == active:
        return
    if not active:
        others = session.scalar(
            select(func.count())
            .select_from(Category)
            .where(Category.active.is_(True), Category.id != category.id, Category.code != RETALIATION)
        )
        if not others:
            raise ListEditRefused("last")
    category.active = active
    session.flush()
    new_reference_token(session)
    audit.record(
        session,
        action="category.restore" if active else "category.retire",
        actor_id=actor.id,
        detail=f"category={category.id}",
    )
