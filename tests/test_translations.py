"""Every user-facing string has an Indonesian translation (the default locale)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("portal/**.py", "python"),
    ("review/**.py", "python"),
    ("cases/**.py", "python"),
    ("portal/templates/**.html", "jinja2"),
    ("review/templates/**.html", "jinja2"),
]


def _extracted() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def test_every_string_in_code_and_templates_has_an_indonesian_translation() -> None:
    with (ROOT / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy: pybabel compile would skip it"
    # A plural entry's id is (singular, plural) and its string a tuple: every form must be translated.
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string]) and not m.fuzzy
    }
    missing = sorted(_extracted() - translated)
    assert not missing, f"untranslated in id: {missing}"


def test_extraction_finds_the_strings_at_all() -> None:
    # Guards the test above: an empty extraction would make it pass vacuously.
    assert {"Make a report", "Log in", "Received"} <= _extracted()


def test_every_file_kind_has_a_translatable_label() -> None:
    # The labels come from cases/evidence/sniff.py at run time; each needs an entry.
    import re

    from cases.web.i18n import FILE_LABELS

    labels = set(
        re.findall(
            r'"[^"]*", "[^"]*", (?:"[a-z]+"|None), "([^"]+)"\)', (ROOT / "cases" / "evidence" / "sniff.py").read_text()
        )
    )
    labels |= {label for _mime, _ext, label in (v for v in _sniff_tables())}
    assert labels and labels <= set(FILE_LABELS)


def _sniff_tables() -> list[tuple[str, str, str]]:
    from cases.evidence import sniff

    ooxml = list(sniff._OOXML.values())
    odf = [("", extension, label) for extension, label in sniff._ODF.values()]
    return ooxml + odf
