"""The normalisation rule: cosmetic changes keep an article's version, real edits do not."""

# ruff: noqa: RUF001  (typographic quotes and dashes are what these tests are about)

from __future__ import annotations

import hashlib
import re
import time
import unicodedata

import pytest

from crawler.core.normalise import count_words, fold, normalise_text, text_digest


def same(a: str, b: str) -> bool:
    return normalise_text(a) == normalise_text(b)


def test_composed_and_decomposed_accents_are_the_same() -> None:
    decomposed = unicodedata.normalize("NFD", "Beltrán said")
    assert decomposed != "Beltrán said"
    assert normalise_text(decomposed) == "Beltrán said"


def test_invisible_characters_are_removed() -> None:
    assert normalise_text("pris\u00adon\u200b sys\u2060tem\ufeff") == "prison system"


@pytest.mark.parametrize("quoted", ["‘fee’", "‚fee‛", "‹fee›", "'fee'"])
def test_single_quote_styles_are_unified(quoted: str) -> None:
    assert normalise_text(f"a {quoted}, it’s") == "a 'fee', it's"


@pytest.mark.parametrize("quoted", ["“fee”", "„fee‟", "«fee»", '"fee"'])
def test_double_quote_styles_are_unified(quoted: str) -> None:
    assert normalise_text(f"a {quoted}") == 'a "fee"'


@pytest.mark.parametrize(
    "dash",
    [
        "-",
        "--",
        "---",
        "\u2010",
        "\u2011",
        "\u2012",
        "\u2013",
        "\u2014",
        "\u2015",
        "\u2212",
        "\u2014\u2013",
    ],
)
def test_dash_styles_and_runs_are_unified(dash: str) -> None:
    assert normalise_text(f"Salvador {dash} and{dash}more") == "Salvador - and-more"


def test_whitespace_within_a_line_collapses_and_lines_are_trimmed() -> None:
    assert (
        normalise_text("  El\u00a0Salvador \t offers\u2009a  fee  ") == "El Salvador offers a fee"
    )


def test_blank_lines_are_dropped() -> None:
    assert normalise_text("First.\n\n\n  \nSecond.\r\n\r\nThird.") == "First.\nSecond.\nThird."


@pytest.mark.parametrize(
    "stamp",
    [
        "Updated 3 minutes ago",
        "3 mins ago",
        "Posted 2h ago",
        "an hour ago",
        "Just now",
        "Updated: yesterday at 5:30 PM",
        "Last updated: 2025/02/04 at 12:52 AM",
        "Published 4 February 2025",
        "First published on Tue 4 Feb 2025 09.12 GMT",
        "February 4, 2025",
        "Feb. 4, 2025 at 3:15 p.m. ET",
        "Monday, February 3, 2025 - 10:42 pm EST",
        "2025-02-04T12:52:00+00:00",
        "04.02.2025",
        "12:52",
        "5 min read",
        "4 Min Read",
        "Reading time: 6 minutes",
        "Published 4 February 2025 · Updated 5 February 2025",
        "4 February 2025 | 5 min read",
    ],
)
def test_a_line_that_is_only_a_timestamp_is_dropped(stamp: str) -> None:
    assert normalise_text(f"Before.\n{stamp}\nAfter.") == "Before.\nAfter."


@pytest.mark.parametrize(
    "line",
    [
        "The vote was held on 4 February 2025.",
        "Updated guidance was published today.",
        "Today the president said no.",
        "May 2025",
        "2025",
        "3.50",
        "5 minutes",
        "By News Room",
    ],
)
def test_a_line_with_more_than_a_timestamp_is_kept(line: str) -> None:
    assert normalise_text(line) == line


def test_a_line_of_many_times_is_checked_quickly() -> None:
    """Backtracking regression: this line once took the timestamp check 15 seconds."""
    line = "1:11 " * 23 + "x"
    started = time.perf_counter()
    assert normalise_text(line) == line.strip()
    assert time.perf_counter() - started < 0.5


def test_real_changes_are_kept() -> None:
    assert not same("The fee is low.", "The fee is high.")  # wording
    assert not same("The fee is low.", "The fee is low!")  # other punctuation
    assert not same("the fee", "The fee")  # case
    assert not same("First.\nSecond.", "First. Second.")  # paragraph breaks


def test_text_digest_is_sha256_of_title_newline_text() -> None:
    expected = hashlib.sha256(b"A title\nLine one.\nLine two.").hexdigest()
    assert text_digest("A title", "Line one.\nLine two.") == expected
    assert text_digest(None, "Text.") == text_digest("", "Text.")


def test_text_digest_ignores_cosmetics_but_not_the_title() -> None:
    base = text_digest("Bukele’s offer", "He said “yes”.\nUpdated 3 minutes ago")
    assert text_digest("Bukele's offer", 'He said "yes".') == base
    assert text_digest("Bukele’s new offer", "He said “yes”.") != base


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("El Salvador’s prison-like system", 6),  # apostrophes and hyphens end words
        ("40,000 inmates", 3),
        (unicodedata.normalize("NFD", "cárceles salvadoreñas"), 2),  # marks stay in the word
        ("नमस्ते दुनिया", 2),  # Python's \w alone would split these at the vowel signs
        ("北京市", 3),  # one word per Han character
        ("ひらがなとカタカナ", 9),
        ("", 0),
        (" — … ", 0),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Guantánamo", "guantanamo"), ("STRASSE", "strasse"), ("Straße", "strasse"), ("ﬁne", "fine")],
)
def test_fold_ignores_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_every_replaced_character_is_replaced_as_its_table_says() -> None:
    from crawler.core.normalise import _CHARACTERS

    characters = "".join(chr(code) for code in _CHARACTERS)
    text = f"é{characters}x{characters[::-1]}—"
    translated = unicodedata.normalize("NFC", text).translate(_CHARACTERS)
    expected = re.sub(r"-{2,}", "-", translated)
    assert normalise_text(text) == expected
