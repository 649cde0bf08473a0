r"""Text normalisation: when two texts are the same version, what a word is, how terms match.

Version identity
----------------
A page is fetched again and again, and publishers change typography, spacing and "Updated 3
minutes ago" lines without changing the story. `text_digest` hashes a normalised form of the title
and text, so that such cosmetic changes do not make a new article version. `normalise_text`
applies these rules, in this order:

1. Unicode NFC, so that "é" typed as one character or as "e" plus an accent is the same.
2. Invisible characters are removed: soft hyphen, zero-width space, word joiner, byte-order mark.
3. Quotation marks are unified: ‘ ’ ‚ ‛ ‹ › become ' and “ ” „ ‟ « » become ".
4. Dashes are unified: hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar
   and minus sign become "-", and a run of dashes ("--", "—–") becomes one "-".
5. Within a line, each run of whitespace (no-break and thin spaces included) becomes one space,
   and the line is trimmed.
6. Empty lines are dropped: paragraph spacing is layout.
7. A line that is only a timestamp, a relative time or a reading time is dropped, with or without
   a label: "Updated 3 minutes ago", "Last updated: 2025/02/04 at 12:52 AM",
   "Published 4 February 2025", "Tue 4 Feb 2025 09.12 GMT", "5 min read", or several of them
   separated by "|", "·", "•" or ";". Labels and month names are English; numeric dates are matched
   in any language. A line with any other word is kept.

Everything else is kept: a change of wording, of other punctuation, of case or of paragraph breaks
is a new version.

Words
-----
`WORD` is what the project counts and matches as a word: a run of letters, digits and combining
marks (Python's `\w` alone would split Devanagari words at their vowel signs), or one Han or kana
character, since Chinese and Japanese do not put spaces between words. Apostrophes and hyphens end
a word: "El Salvador's" is three words, "prison-like" two.

`fold` gives the form terms are matched in: case-folded, compatibility-decomposed and without
nonspacing marks, so "Guantánamo" and "guantanamo" are equal, and "Straße" and "strasse".
"""

# ruff: noqa: RUF002  (the typographic characters in the docstring are the subject of the rule)

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable


def _ranges(code_points: Iterable[int]) -> str:
    """A regex character-class body for the given ascending BMP code points."""
    spans: list[list[int]] = []
    for cp in code_points:
        if spans and spans[-1][1] == cp - 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in spans)


# The combining marks of the Basic Multilingual Plane, found by a scan (a few ms, once per process)
# rather than kept by hand in a table that would age. The marks of the few scripts beyond it
# (Adlam, Chakma, ...) are left out: they would push `re` off its fast path for classes, making
# every text slower to split.
_MARK_CATEGORIES = {
    cp: category
    for cp in range(0x10000)
    if (category := unicodedata.category(chr(cp))).startswith("M")
}
_NONSPACING_MARKS = re.compile(
    f"[{_ranges(cp for cp, category in _MARK_CATEGORIES.items() if category == 'Mn')}]+"
)
_MARKS = _ranges(_MARK_CATEGORIES)
_HAN_KANA = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han ideographs
)
_LETTERS = f"[^\\W{_HAN_KANA}]"
WORD = re.compile(f"{_LETTERS}+(?:[{_MARKS}]+{_LETTERS}*)*|[{_HAN_KANA}]")
"""One word (see the module docstring)."""


def count_words(text: str) -> int:
    """The number of words in `text`."""
    return len(WORD.findall(text))


def fold(text: str) -> str:
    """`text` in the case- and accent-insensitive form that terms are matched in."""
    return _NONSPACING_MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


_CHARACTERS = str.maketrans(
    {
        **dict.fromkeys("\u00ad\u200b\u2060\ufeff"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2039\u203a", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
_REPLACEMENTS = tuple((chr(code), value or "") for code, value in _CHARACTERS.items())
"""`_CHARACTERS` as (character, replacement) pairs: `str.translate` with a mapping looks up every
character of a text that is not all ASCII in Python's dictionary, 40 times the CPU of one
`str.replace` per character that occurs (the replacements are ASCII, so the order is free)."""
_DASHES = re.compile(r"-{2,}")
_SPACE = re.compile(r"\s+")

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = rf"""
    (?:{_WEEKDAY}\s*)?
    (?: \d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}
      | \d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}
      | {_DAY}\s+{_MONTH},?\s+\d{{4}}
      | {_MONTH}\s+{_DAY},?\s+\d{{4}}
    )"""
_AMPM = r"\s*[ap]\.?m\.?"
_TIME = rf"\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}}(?:\.\d+)?)?(?:{_AMPM})?|\d{{1,2}}{_AMPM}"
# Without a date beside it, "09.12" could be a number: a bare time needs a colon or am/pm.
_BARE_TIME = rf"\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:{_AMPM})?|\d{{1,2}}(?:\.\d{{2}})?{_AMPM}"
_ZONE = r"""(?:\s*\(?(?:utc|gmt|z|[a-z]{1,4}t)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?\)?
    |[+-]\d{2}:?\d{2})?"""
_JOIN = r"(?:\s*(?:,|at|@|-|\||·|•)\s*|\s+|t)"
_UNIT = r"""(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?
    |mos?|months?|y|yrs?|years?)"""
_LABEL = r"""(?:(?:last\s+|first\s+)?(?:updated|modified|edited|published|posted)
    (?:\s+on|\s+at)?\s*:?|date\s*:)"""
_STAMP = rf"""
    (?:{_LABEL}\s*)?
    (?: (?:just\s+now|moments?\s+ago|(?:an?|one|\d+)\s*{_UNIT}\s+ago|yesterday|today)
        (?:{_JOIN}(?:{_TIME}){_ZONE})?
      | {_DATE}(?:{_JOIN}(?:{_TIME}){_ZONE})?
      | (?:{_BARE_TIME}){_ZONE}(?:{_JOIN}{_DATE})?
      | (?:reading\s+time\s*:?\s*)?(?:about\s+)?\d+\s*-?\s*(?:mins?|minutes?)\.?\s+read
      | reading\s+time\s*:?\s*\d+\s*(?:mins?|minutes?)
    )"""
# One stamp per pattern match, several stamps by splitting first: a repeated group here would let
# the optional parts share out the spaces between stamps in exponentially many ways.
_TIMESTAMP = re.compile(_STAMP, re.IGNORECASE | re.VERBOSE)
_TIMESTAMP_SEPARATOR = re.compile(r"\s*[|·•;]\s*")
_LONGEST_TIMESTAMP_LINE = 120
"""Longer lines are never timestamps; skipping them keeps the check cheap."""


def _is_timestamp(line: str) -> bool:
    return len(line) <= _LONGEST_TIMESTAMP_LINE and all(
        _TIMESTAMP.fullmatch(part) for part in _TIMESTAMP_SEPARATOR.split(line)
    )


def normalise_text(text: str) -> str:
    """`text` with cosmetic differences removed (the rule is in the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    for character, replacement in _REPLACEMENTS:
        if character in text:
            text = text.replace(character, replacement)
    text = _DASHES.sub("-", text)
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not _is_timestamp(line))


def text_digest(title: str | None, text: str) -> str:
    """SHA-256 (hex) of the normalised title and text: equal digests mean the same version."""
    normalised = f"{normalise_text(title or '')}\n{normalise_text(text)}"
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
