"""The category and OPD lists, edited by admins (issue 19): add, rename, retire, bring back.

Admins only, with a fresh code (step-up); every change is audited by cases.platform.reference_lists,
which also keeps the "don't know / other" unit as it is. A retired entry leaves the report form and
keeps its cases.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.platform.errors import ListEditRefused
from cases.platform.reference_lists import (
    add_category,
    add_opd,
    all_categories,
    all_opds,
    rename_category,
    rename_opd,
    set_category_active,
    set_opd_active,
)
from cases.platform.seed import UNKNOWN_OPD
from cases.web.app import db_session

from .access import admin_only, step_up_required
from .forms import ButtonForm, CategoryForm, OpdForm

bp = Blueprint("lists", __name__)

_MESSAGES = {
    "not_admin": _l("Only an administrator can edit the lists."),
    "step_up": _l("Please confirm with a fresh code, then repeat the action."),
    "unknown": _l("That entry no longer exists."),
    "exists": _l("That name is already on the list."),
    "empty": _l("Write a name first."),
    "protected": _l(
        "“Tidak tahu / lainnya” stays on the report form as it is: reporters who do not know the unit choose it."
    ),
    "protected_category": _l(
        "Retaliation reports are always filed in this category, so it cannot be retired (it is never offered on "
        "the ordinary report form)."
    ),
    "last": _l("The report form needs at least one category: add another before retiring this one."),
    "affiliated": _l(
        "Someone works in this unit or is recused from it: renaming or retiring it would send its reports "
        "to them. Remove those affiliations first (a second key holder confirms each one)."
    ),
}


_CHANGES = ("retire", "restore")


def _done(message: str) -> Response:
    flash(message)
    return redirect(url_for("lists.lists_page"))


def _refused(refused: ListEditRefused) -> Response:
    return _done(str(_MESSAGES[refused.reason]))


@bp.get("/lists")
@admin_only
def lists_page() -> str:
    return render_template(
        "lists.html",
        opds=all_opds(db_session()),
        categories=all_categories(db_session()),
        unknown_opd=UNKNOWN_OPD,
        opd_form=OpdForm(formdata=None),
        category_form=CategoryForm(formdata=None),
        button=ButtonForm(),
    )


@bp.post("/lists/opd")
@admin_only
@step_up_required("lists.lists_page")
def new_opd() -> Response:
    form = OpdForm()
    if not form.validate_on_submit():
        return _done(str(_MESSAGES["empty"]))
    try:
        add_opd(db_session(), actor=g.actor, name=form.name.data or "")
    except ListEditRefused as refused:
        return _refused(refused)
    return _done(_("Unit added: it is on the report form now."))


@bp.post("/lists/opd/<int:opd_id>/rename")
@admin_only
@step_up_required("lists.lists_page")
def opd_rename(opd_id: int) -> Response:
    form = OpdForm()
    if not form.validate_on_submit():
        return _done(str(_MESSAGES["empty"]))
    try:
        rename_opd(db_session(), actor=g.actor, opd_id=opd_id, name=form.name.data or "")
    except ListEditRefused as refused:
        return _refused(refused)
    return _done(_("Unit renamed; its cases and recusals follow it."))


@bp.post("/lists/opd/<int:opd_id>/<change>")
@admin_only
@step_up_required("lists.lists_page")
def opd_active(opd_id: int, change: str) -> Response:
    if change not in _CHANGES:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        set_opd_active(db_session(), actor=g.actor, opd_id=opd_id, active=change == "restore")
    except ListEditRefused as refused:
        return _refused(refused)
    if change == "restore":
        return _done(_("Unit back on the report form."))
    return _done(_("Unit retired: it is no longer on the report form; its cases stay as they are."))


@bp.post("/lists/category")
@admin_only
@step_up_required("lists.lists_page")
def new_category() -> Response:
    form = CategoryForm()
    if not form.validate_on_submit():
        return _done(str(_MESSAGES["empty"]))
    try:
        add_category(db_session(), actor=g.actor, name_id=form.name_id.data or "", name_en=form.name_en.data or "")
    except ListEditRefused as refused:
        return _refused(refused)
    return _done(_("Category added: it is on the report form now."))


@bp.post("/lists/category/<int:category_id>/rename")
@admin_only
@step_up_required("lists.lists_page")
def category_rename(category_id: int) -> Response:
    form = CategoryForm()
    if not form.validate_on_submit():
        return _done(str(_MESSAGES["empty"]))
    try:
        rename_category(
            db_session(),
            actor=g.actor,
            category_id=category_id,
            name_id=form.name_id.data or "",
            name_en=form.name_en.data or "",
        )
    except ListEditRefused as refused:
        return _refused(refused)
    return _done(_("Category renamed; its cases follow it."))


@bp.post("/lists/category/<int:category_id>/<change>")
@admin_only
@step_up_required("lists.lists_page")
def category_active(category_id: int, change: str) -> Response:
    if change not in _CHANGES:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        set_category_active(db_session(), actor=g.actor, category_id=category_id, active=change == "restore")
    except ListEditRefused as refused:
        return _refused(refused)
    if change == "restore":
        return _done(_("Category back on the report form."))
    return _done(_("Category retired: it is no longer on the report form; its cases stay as they are."))
