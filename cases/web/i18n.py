"""Languages and labels: Babel, the language chosen by URL, status and file labels, template filters."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, url_for
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    lazy_gettext,
    lazy_pgettext,
)
from flask_babel.speaklater import LazyString

from cases.models import CaseStatus
from cases.platform.clock import utc_now
from cases.web.filters import rupiah

_EXTENSION = "kanal.sessions"


STATUS_LABELS: dict[str, LazyString] = {  # keyed by CaseStatus; a plain status string finds its label
    CaseStatus.NEW: lazy_gettext("Received"),
    CaseStatus.VERIFYING: lazy_gettext("Verification"),
    CaseStatus.INVESTIGATING: lazy_gettext("Investigation"),
    CaseStatus.REFERRED: lazy_gettext("Referred"),
    CaseStatus.CLOSED: lazy_gettext("Concluded"),
    CaseStatus.REJECTED: lazy_gettext("Rejected"),
}


# Case priorities (cases.triage.workflow.PRIORITIES), with a context: "high" is not the same
# word everywhere.
PRIORITY_LABELS: dict[str, LazyString] = {
    "low": lazy_pgettext("priority", "low"),
    "normal": lazy_pgettext("priority", "normal"),
    "high": lazy_pgettext("priority", "high"),
    "urgent": lazy_pgettext("priority", "urgent"),
}


def status_note_text(text: str) -> str:
    """A status change's note ("new → verifying" and the reason) with the statuses named in the
    reader's language; any other text unchanged."""
    first, _, rest = text.partition("\n")
    old, arrow, new = first.partition(" → ")
    if not arrow or old not in STATUS_LABELS or new not in STATUS_LABELS:
        return text
    named = f"{STATUS_LABELS[old]} → {STATUS_LABELS[new]}"
    return named + ("\n" + rest if rest else "")


# The English descriptions cases/evidence/sniff.py gives each accepted file kind.
# A request for a reporter's identity (issue 20, cases.identity.disclosure).
IDENTITY_STATE_LABELS: dict[str, LazyString] = {
    "pending": lazy_gettext("waiting for a custodian"),
    "granted": lazy_gettext("granted"),
    "refused": lazy_gettext("refused"),
    "withdrawn": lazy_gettext("ended: the reporter withdrew the identity"),
}

FILE_LABELS = {
    "JPEG image": lazy_gettext("JPEG image"),
    "PNG image": lazy_gettext("PNG image"),
    "WebP image": lazy_gettext("WebP image"),
    "GIF image": lazy_gettext("GIF image"),
    "HEIC photo": lazy_gettext("HEIC photo"),
    "PDF document": lazy_gettext("PDF document"),
    "Word document": lazy_gettext("Word document"),
    "Excel spreadsheet": lazy_gettext("Excel spreadsheet"),
    "PowerPoint file": lazy_gettext("PowerPoint file"),
    "OpenDocument text": lazy_gettext("OpenDocument text"),
    "OpenDocument spreadsheet": lazy_gettext("OpenDocument spreadsheet"),
    "OpenDocument presentation": lazy_gettext("OpenDocument presentation"),
    "older Office document": lazy_gettext("older Office document"),
    "audio recording": lazy_gettext("audio recording"),
    "text file": lazy_gettext("text file"),
}


TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "translations"


LANGUAGES = ("id", "en")


def chosen_language() -> str:
    """Indonesian unless the visit asked for English with `?lang=en`.

    The choice travels in the URL (every link and form the app builds carries it
    on), never in a cookie: no cookie is set just to remember a language.
    """
    lang = request.args.get("lang", "") if has_request_context() else ""
    return lang if lang in LANGUAGES else "id"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=chosen_language)

    @app.url_defaults
    def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" and "lang" not in values and chosen_language() != "id":
            values["lang"] = chosen_language()

    def switch_language_url(lang: str) -> str:
        args = {**(request.view_args or {}), **request.args.to_dict()}
        args["lang"] = lang
        return url_for(request.endpoint or "static", **args) if request.endpoint else "/"

    def status_label(code: str) -> str:
        return str(STATUS_LABELS.get(code, code))

    def category_name(name_id: str, name_en: str) -> str:
        return name_en if str(get_locale()) == "en" else name_id

    def file_label(label: str) -> str:
        return str(FILE_LABELS.get(label, label))

    app.jinja_env.globals.update(
        priority_label=lambda code: str(PRIORITY_LABELS.get(code, code)),
        identity_state_label=lambda code: str(IDENTITY_STATE_LABELS.get(code, code)),
        status_note_text=status_note_text,
        status_label=status_label,
        category_name=category_name,
        get_locale=get_locale,
        file_label=file_label,
        switch_language_url=switch_language_url,
        config_limits=app.extensions.get("kanal.config"),
    )
    app.jinja_env.filters["date"] = lambda value: format_date(value, "long")

    def relative(value: datetime | None) -> str:
        if value is None:
            return ""
        return str(format_timedelta(value - utc_now(), add_direction=True, threshold=1.1))

    app.jinja_env.filters["relative"] = relative
    app.jinja_env.filters["rupiah"] = rupiah
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "d MMM yyyy HH:mm")
    # Times stored to the hour only (DESIGN.md §3): shown as the hour they fall in, never as ":00" that
    # would read like an exact minute.
    app.jinja_env.filters["hour"] = lambda value: (
        format_datetime(value, "d MMM yyyy, HH:00") + "–" + format_datetime(value + timedelta(hours=1), "HH:00")
    )
    # The day alone, for what is kept to the hour but shown in a list ("2 Des"; the year when not this one).
    app.jinja_env.filters["day"] = lambda value: format_date(
        value, "d MMM" if value.year == utc_now().year else "d MMM yyyy"
    )
    # The audit view: the exact time, unsealed (cases.accountability.audit.recent_events).
    app.jinja_env.filters["exact_datetime"] = lambda value: format_datetime(value, "d MMM yyyy HH:mm:ss")
