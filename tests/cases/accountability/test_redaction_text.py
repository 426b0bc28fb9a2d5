"""cases.accountability.redaction_text: every occurrence of every phrase becomes one mark, whatever its case."""

import pytest

from cases.accountability.redaction_text import MARK, Redactor, usable_phrase


def test_a_phrase_is_found_in_any_case_every_time_it_appears() -> None:
    redactor = Redactor(["Pak Budi"])
    text = redactor.text("pak budi meminta uang; PAK BUDI menerima; Pak  Budi\nlagi.")
    assert text == f"{MARK} meminta uang; {MARK} menerima; {MARK}\nlagi." and redactor.passages == 3
    assert "budi" not in text.casefold()


def test_whitespace_inside_a_phrase_matches_a_line_break() -> None:
    assert Redactor(["ruang  arsip"]).text("di ruang\narsip lantai 2") == f"di {MARK} lantai 2"


def test_overlapping_and_touching_phrases_leave_no_fragment() -> None:
    redactor = Redactor(["Budi Santoso", "Santoso Wibowo", "abab"])
    text = redactor.text("Budi Santoso Wibowo; ababab; BudiSantoso")
    assert text == f"{MARK}; {MARK}; BudiSantoso" and redactor.passages == 2
    touching = Redactor(["foo", "bar"])
    assert touching.text("foobar") == MARK and touching.passages == 1


def test_regex_characters_in_a_phrase_are_literal() -> None:
    assert Redactor(["Rp 1.500.000 (tunai)"]).text("uang Rp 1.500.000 (tunai) dan Rp 1x500x000 (tunai)") == (
        f"uang {MARK} dan Rp 1x500x000 (tunai)"
    )


def test_accents_invisible_characters_and_full_case_folding_do_not_let_a_name_through() -> None:
    redactor = Redactor(["José Budi", "straße"])
    text = redactor.text("Jose\u0301 Bu\u00ad\u200bdi; JOSÉ BUDI; STRASSE 5")
    assert text == f"{MARK}; {MARK}; {MARK} 5" and redactor.passages == 3


def test_a_phrase_that_would_form_across_a_marks_edge_is_redacted_too() -> None:
    redactor = Redactor(["Pak", "n] Budi"])
    assert redactor.text("Pak Budi datang") == f"{MARK} datang" and redactor.passages == 1


@pytest.mark.parametrize("phrase", ["x", "disamarkan", "[disamarkan]", "samar", "y" * 20001])
def test_a_phrase_the_mark_would_reveal_or_out_of_bounds_is_unusable(phrase: str) -> None:
    assert not usable_phrase(phrase)


def test_a_document_is_redacted_in_its_text_not_in_its_codes_and_hashes() -> None:
    redactor = Redactor(["abc"])
    doc = {
        "sha256": "00abc0",
        "case": {"id": "abc123", "labels": ["kasus ABC"], "status": "new"},
        "messages": [{"seq": 3, "text": "abcabc", "created_at": "2026-01-01T00:00Z", "reviewer": "Abc"}],
    }
    assert redactor.document(doc) == {
        "sha256": "00abc0",
        "case": {"id": "abc123", "labels": [f"kasus {MARK}"], "status": "new"},
        "messages": [{"seq": 3, "text": MARK, "created_at": "2026-01-01T00:00Z", "reviewer": MARK}],
    }
    assert redactor.passages == 3


def test_every_invisible_or_compatibility_character_is_seen_through() -> None:
    """Direction marks, invisible separators, the grapheme joiner, variation selectors and full-width
    letters inside a name do not let it through (review finding)."""
    redactor = Redactor(["Budi Santoso"])
    for typed in (
        "Bu\u200edi Santoso",
        "Bu\u2063di Santoso",
        "Bu\u034fdi Santoso",
        "Bud\ufe0fi Santoso",
        "\uff22\uff55\uff44\uff49 Santoso",
    ):
        assert "Budi" not in redactor.text(typed) and "[disamarkan]" in redactor.text(typed), repr(typed)
