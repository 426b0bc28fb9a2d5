"""Withheld phrases replaced by "[disamarkan]": the text half of redaction, pure (no database).

A phrase matches case-insensitively wherever it appears, with any run of
whitespace (a line break in a report) standing for a space in the phrase,
and with full Unicode case folding ("STRASSE" matches "straße").
Every occurrence of every phrase is found, overlapping ones included, and
overlapping or touching matches become one mark, so no fragment of a
withheld phrase survives between two marks. What would let a name slip past
an exact match is evened out: text and phrases are compared in Unicode NFC
(an "é" typed as e + accent matches "é"), and invisible format characters
(soft hyphen, zero-width space and joiners, word joiner, BOM) inside a
word do not break a match.
"""

import unicodedata
from collections.abc import Iterable
from typing import Any

MARK = "[disamarkan]"
MIN_PHRASE_CHARS = 2
MAX_PHRASE_CHARS = 20000  # a whole paragraph of a report may be withheld
MAX_PHRASES = 50
# Keys of the export document whose values are codes, hashes or times, never free text: a phrase that
# happens to occur in a SHA-256 is not a disclosure, and rewriting it would break the document.
NOT_TEXT = frozenset(
    {
        "schema",
        "id",
        "code",
        "status",
        "priority",
        "kind",
        "author",
        "mime",
        "type",
        "cleaning",
        "sha256",
        "file",
        "from",
        "to",
        "at",
        "generated_at",
        "received_at",
        "first_response_at",
        "last_update_at",
        "closed_at",
        "created_at",
        "json_sha256",
    }
)


_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\u034f")


def _invisible(char: str) -> bool:
    """Drawn as nothing: every format character (Unicode category Cf: soft hyphen, zero-width and
    direction marks, invisible separators), the combining grapheme joiner, variation selectors. Any of
    them inside a name would otherwise let it through unmatched (review finding)."""
    code = ord(char)
    return (
        char in _INVISIBLE
        or unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def _fold(value: str) -> tuple[str, list[int]]:
    """`value` as matching sees it (case-folded, invisible characters dropped, each run of whitespace one
    space), and for each of its characters the index of the character of `value` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(value):
        if _invisible(char):
            continue
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            folded = " "
        else:
            # compatibility forms first (full-width "Ｂ" is "B"), then full case folding ("ß" -> "ss")
            folded = unicodedata.normalize("NFKC", char).casefold()
        chars.append(folded)
        origin += [index] * len(folded)
    return "".join(chars), origin


def normalise_phrase(phrase: str) -> str:
    visible = "".join(c for c in unicodedata.normalize("NFC", phrase) if not _invisible(c))
    return " ".join(visible.split())


def _key(phrase: str) -> str:
    return _fold(normalise_phrase(phrase))[0]


def usable_phrase(phrase: str) -> bool:
    """Long enough, short enough, and not found inside the mark (which would show it)."""
    return MIN_PHRASE_CHARS <= len(phrase) <= MAX_PHRASE_CHARS and _key(phrase) not in _fold(MARK)[0]


def _find_all(text: str, part: str) -> list[int]:
    """Every position of `part` in `text`, overlapping ones too (str.find is linear)."""
    found, at = [], text.find(part)
    while at != -1:
        found.append(at)
        at = text.find(part, at + 1)
    return found


class Redactor:
    """Replaces the phrases in every text it is given, and counts the passages it replaced."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.keys = sorted({_key(p) for p in phrases if _key(p)})
        self.passages = 0

    def _spans(self, folded: str) -> list[tuple[int, int]]:
        return sorted((at, at + len(key)) for key in self.keys for at in _find_all(folded, key))

    def text(self, value: str) -> str:
        """`value` with every phrase replaced. A phrase with a bracket could form anew across a mark's
        edge ("n] Budi" from "[disamarkan] Budi"), so the text is redacted again until none is left."""
        if not self.keys:
            return value
        value = unicodedata.normalize("NFC", value)
        marks_before = value.count(MARK)  # a reporter may have typed the mark: not a passage we replaced
        for _ in range(4):
            value, replaced = self._once(value)
            if not replaced:
                break
        else:
            value = MARK  # a phrase still forming after four passes: the whole text goes, never the phrase
        self.passages += max(0, value.count(MARK) - marks_before)
        return value

    def _once(self, value: str) -> tuple[str, int]:
        folded, origin = _fold(value)
        marks = [(at, at + len(MARK)) for at in _find_all(value, MARK)]
        merged: list[list[int]] = []
        for start, end in self._spans(folded):
            first, last = origin[start], origin[end - 1] + 1  # back to the characters of `value`
            for mark_start, mark_end in marks:  # a match that cuts into a mark takes the whole mark
                if mark_start < last and mark_end > first:
                    first, last = min(first, mark_start), max(last, mark_end)
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        out, done = [], 0
        for start, end in merged:
            out += [value[done:start], MARK]
            done = end
        out.append(value[done:])
        return "".join(out), len(merged)

    def document(self, node: Any, key: str = "") -> Any:
        """`node` (a JSON-like value) with every free-text string redacted; keys in NOT_TEXT are left."""
        if isinstance(node, str):
            return node if key in NOT_TEXT else self.text(node)
        if isinstance(node, dict):
            return {k: self.document(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.document(v, key) for v in node]
        return node
