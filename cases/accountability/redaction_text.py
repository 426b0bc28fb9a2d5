"""Withheld phrases replaced by "[disamarkan]": the text half of redaction, pure (no database).

A phrase matches case-insensitively wherever it appears, with any run of
whitespace (a line break in a report) standing for a space in the phrase.
Every occurrence of every phrase is found, overlapping ones included, and
overlapping or touching matches become one mark, so no fragment of a
withheld phrase survives between two marks.
"""

import re
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


def normalise_phrase(phrase: str) -> str:
    return " ".join(phrase.split())


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Finds `phrase` at every position (a lookahead, so overlapping occurrences are all seen)."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(f"(?=({body}))", re.IGNORECASE)


def usable_phrase(phrase: str) -> bool:
    """Long enough, short enough, and not found inside the mark itself (which would reveal it)."""
    return MIN_PHRASE_CHARS <= len(phrase) <= MAX_PHRASE_CHARS and not phrase_pattern(phrase).search(MARK)


class Redactor:
    """Replaces the phrases in every text it is given, and counts the passages it replaced."""

    def __init__(self, phrases: Iterable[str]) -> None:
        unique = {normalise_phrase(p).casefold(): normalise_phrase(p) for p in phrases if p.strip()}
        self.patterns = [phrase_pattern(p) for p in unique.values()]
        self.passages = 0

    def text(self, value: str) -> str:
        spans = sorted(
            (m.start(1), m.end(1))
            for pattern in self.patterns
            for m in pattern.finditer(value)
            if m.end(1) > m.start(1)
        )
        if not spans:
            return value
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.passages += len(merged)
        out, last = [], 0
        for start, end in merged:
            out += [value[last:start], MARK]
            last = end
        out.append(value[last:])
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
