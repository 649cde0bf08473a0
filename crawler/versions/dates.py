"""Which words of a text are (parts of) dates and times: what a `dateline` edit may change.

A word is part of a date when it is a month, a weekday or a relative day ("yesterday", "gestern")
in English, Spanish, German, French, Portuguese or Italian; or a word that is a date only beside
a number ("May", "Sun", "a.m.", "GMT", "Uhr": "May 12", "3 p.m."); or a number beside one of
those ("Feb. 12", "12 de febrero"), or joined to another by ':' (a time, "16:40") or in a chain
of three by '/', '-' or '.' (a date, "13.02.2025", "2025-02-13"). A number alone is not: "12
people" to "15 people" is a change of substance.
"""

from __future__ import annotations

import re

from crawler.core.normalise import fold

_MONTHS = """
january february april june july september october november december
jan feb apr jun jul aug sept oct nov
enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
januar februar marz juni juli oktober dezember mrz
janvier fevrier avril juin juillet aout septembre octobre novembre decembre janv fevr avr juil
janeiro fevereiro marco maio junho julho setembro outubro novembro dezembro
gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre
"""
_WEEKDAYS = """
monday tuesday wednesday thursday friday saturday sunday tues thurs
lunes martes miercoles jueves viernes sabado domingo
montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag
lundi mardi mercredi jeudi vendredi samedi dimanche
segunda terca quarta quinta sexta
lunedi martedi mercoledi giovedi venerdi
"""
_RELATIVE = """
today yesterday tomorrow tonight hoy ayer anoche heute gestern vorgestern aujourd demain
hoje ontem amanha oggi ieri domani stasera
"""
DATE_WORDS = frozenset((_MONTHS + _WEEKDAYS + _RELATIVE).split())
"""Folded words that are dates whatever stands beside them."""

_NEAR_NUMBER = """
may march august mar sep dec ene abr ago dic mai dez okt out fev gen mag giu lug ott
mon tue wed thu fri sat sun morning afternoon evening night noon midnight manana
morgen abend nachmittag vormittag hier soir matin
am pm uhr h gmt utc bst cet cest est edt cst cdt mst mdt pst pdt mez mesz
"""
NEAR_NUMBER_WORDS = frozenset(_NEAR_NUMBER.split())
"""Folded words that are dates or times only beside a number ('May 12', '3 pm', '14 Uhr'): alone
they are as often other words ('may', 'sun', 'est')."""

_NUMBER = re.compile(r"^\d{1,4}(?:st|nd|rd|th|er|e|o|a)?$")
"""A day, month, year, hour or minute: '12', '12th', '1er', '2025'."""
_JOINED = re.compile(r"^\s*[/.\-]\s*$")


def is_date_word(words: list[str], separators: list[str], index: int) -> bool:
    """Whether `words[index]` is part of a date or time, in its context. `separators[i]` is
    what comes before `words[i]` (as `crawler.versions.diff.split_words` gives them)."""
    word = fold(words[index])
    if word in DATE_WORDS:
        return True
    near = [i for i in range(max(0, index - 2), min(len(words), index + 3)) if i != index]
    if word in ("a", "p", "m"):
        return _am_pm(words, index)
    if word in NEAR_NUMBER_WORDS:
        return any(_is_number(words, i) for i in near)
    if not _NUMBER.match(word):
        return False
    if any(fold(words[i]) in DATE_WORDS | NEAR_NUMBER_WORDS for i in near):
        return True
    before = separators[index].strip() if index > 0 else ""
    after = separators[index + 1].strip() if index + 1 < len(words) else ""
    if ":" in (before, after):
        return _is_number(words, index - 1 if before == ":" else index + 1)
    return _in_chain(words, separators, index)


def _am_pm(words: list[str], index: int) -> bool:
    """Whether `words[index]` is the 'a', 'p' or 'm' of '3 a.m.' or '10.30 p.m.' (split at the
    dots)."""
    folded = [fold(word) for word in words[max(0, index - 2) : index + 2]]
    at = min(index, 2)
    if folded[at] == "m":
        return at >= 2 and folded[at - 1] in ("a", "p") and _is_number(words, index - 2)
    return at + 1 < len(folded) and folded[at + 1] == "m" and _is_number(words, index - 1)


def _is_number(words: list[str], index: int) -> bool:
    return 0 <= index < len(words) and bool(_NUMBER.match(words[index]))


def _in_chain(words: list[str], separators: list[str], index: int) -> bool:
    """Whether the number at `index` is one of three joined by '/', '-' or '.'."""
    start = index
    while start > 0 and _JOINED.match(separators[start]) and _is_number(words, start - 1):
        start -= 1
    end = index
    while (
        end + 1 < len(words) and _JOINED.match(separators[end + 1]) and _is_number(words, end + 1)
    ):
        end += 1
    return end - start >= 2
