"""Small parsers and formatters shared by views and templates."""

from flask_babel import (
    format_currency,
)

_EXTENSION = "kanal.sessions"


def small_int(text: str, maximum: int = 10**9) -> int | None:
    """A number typed in a form or query: ASCII digits only, at most `maximum`.

    `str.isdigit` accepts "²" (int() then raises) and any length (the database then
    overflows): both were 500s found by bench/fuzz_review.py."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


def rupiah(value: int) -> str:
    """An amount in rupiah as the visit's locale writes it: "Rp1.500.000" (id), "IDR1,500,000" (en)."""
    return str(format_currency(value, "IDR"))
