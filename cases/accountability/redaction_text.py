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


_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def _fold(value: str) -> tuple[str, list[int]]:
    """`value` as matching sees it (case-folded, invisible characters dropped, each run of whitespace one
    space), and for each of its characters the index of the character of `value` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(value):
        if char in _INVISIBLE:
            continue
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            folded = " "
        else:
            folded = char.casefold()  # "ß" -> "ss": full case folding, not just lower case
        chars.append(folded)
        origin += [index] * len(folded)
    return "".join(chars), origin


def normalise_phrase(phrase: str) -> str:
    visible = "".join(c for c in unicodedata.normalize("NFC", phrase) if c not in _INVISIBLE)
    return " ".join(visible.split())


def _key(phrase: str) -> str:
    return _fold(normalise_phrase(phrase))[0]


def usable_phrase(phrase: str) -> bool:
    """Long enough, short enough, and unable to show up through the mark: not found inside it, and
    without its brackets (a phrase that spans a bracket could form across a mark's edge)."""
    key = _key(phrase)
    return (
        MIN_PHRASE_CHARS <= len(phrase) <= MAX_PHRASE_CHARS and key not in _fold(MARK)[0] and not {"[", "]"} & set(key)
    )


class Redactor:
    """Replaces the phrases in every text it is given, and counts the passages it replaced."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.keys = sorted({_key(p) for p in phrases if _key(p)})
        self.passages = 0

    def _spans(self, folded: str) -> list[tuple[int, int]]:
        spans = []
        for key in self.keys:  # str.find is linear; starting again one past each hit finds overlaps
            at = folded.find(key)
            while at != -1:
                spans.append((at, at + len(key)))
                at = folded.find(key, at + 1)
        return sorted(spans)

    def text(self, value: str) -> str:
        if not self.keys:
            return value
        value = unicodedata.normalize("NFC", value)
        folded, origin = _fold(value)
        merged: list[list[int]] = []
        for start, end in self._spans(folded):
            first, last = origin[start], origin[end - 1] + 1  # back to the characters of `value`
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self.passages += len(merged)
        out, done = [], 0
        for start, end in merged:
            out += [value[done:start], MARK]
            done = end
        out.append(value[done:])
        return "".join(out)

    def document(self, node: Any, key: str = "") -> Any:
        """`node` (a JSON-like value) with every free-text string redacted; keys in NOT_TEXT are left."""
        if isinstance(node, str):
            return node if key in NOT_TEXT else self.text(node)
        if isinstance(node, dict):
            return {k: self.document(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.document(v, key) for v in node]
        return node
