"""What kind of edit a new version of an article is.

`classify_edit(old, new, rules)` compares two versions (title, text, authors) and returns an
`Edit`: whether the change makes a new version under the story's `[versions]` rules (a version
is its title and text, crawler/core/normalise.py: other authors alone make none, and are told
as a `byline` edit that is no new version), and its `kinds`, any of:

- `headline`: the title's wording changed;
- `lede`: the first paragraph (notices aside) was reworded, replaced, or a new one put first;
- `correction`: a correction or editor's note was added (crawler/versions/notices.py);
- `update`: an update notice was added, or text appended at the end;
- `removal`: a paragraph was removed (more paragraphs went than came in its place);
- `byline`: the authors changed;
- `dateline`: a change in which only dates and times differ (crawler/versions/dates.py);
- `substantive`: any other change of wording, a paragraph added in the middle included.

`stealth` is set for a substantive change or a removal with no correction or update notice
added: the edits readers are not told about.

Texts are compared as versions are decided: normalised (crawler/core/normalise.py), without the
lines the story ignores. Paragraphs are aligned first (`difflib` over whole paragraphs; within a
changed stretch, an old and a new paragraph that share `SAME_PARAGRAPH` of their words are one
paragraph reworded, and those left are paired in order: a paragraph replaced in its place is
reworded, only those left over were removed or added), then the words of each reworded
paragraph (crawler/versions/diff.py), each changed stretch of words judged on its own: a
notice, a date, an author's name, text appended to the last paragraph, or wording.

The dates extraction reads from the page's markup (published, modified) are not compared:
`modified` changes with every edit, and both are found by heuristics that can shift when the
page around them changes. A date changed in the title or the text is a `dateline`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from crawler.core.normalise import WORD, fold, normalise_text
from crawler.core.versioning import KINDS, NOTICES, ChangeKind, Edit, Version, VersionRules
from crawler.versions.dates import DATE_WORDS, NEAR_NUMBER_WORDS, is_date_word
from crawler.versions.diff import split_words, version_diff
from crawler.versions.notices import notice_kind, sentences

SAME_PARAGRAPH = 0.5
"""Within a changed stretch, an old and a new paragraph that share this much of their words
(difflib's ratio) are paired first, the others then in order."""
_NAME_JOINS = frozenset({"by", "and", "und", "y", "et", "e", "por", "von", "par", "di", "de"})


def classify_edit(old: Version, new: Version, rules: VersionRules | None = None) -> Edit:
    """The edit from `old` to `new` (see the module docstring)."""
    rules = rules or VersionRules()
    old_title, new_title = normalise_text(old.title or ""), normalise_text(new.title or "")
    old_paragraphs, new_paragraphs = rules.paragraphs(old.text), rules.paragraphs(new.text)
    diff = version_diff(old_title, "\n".join(old_paragraphs), new_title, "\n".join(new_paragraphs))
    byline = _names(old.authors) != _names(new.authors)
    if diff.words_added + diff.words_removed < rules.min_changed_words:
        kinds: tuple[ChangeKind, ...] = ("byline",) if byline else ()
        return Edit(False, kinds, False, diff.words_added, diff.words_removed)
    found = _Found(names=_name_words(old.authors + new.authors))
    if byline:
        found.kinds.add("byline")
    if old_title != new_title:
        found.kinds.add(_title_kind(old_title, new_title, found.names))
    _paragraph_kinds(old_paragraphs, new_paragraphs, rules, found)
    ordered = tuple(kind for kind in KINDS if kind in found.kinds)
    stealth = bool(found.kinds & {"substantive", "removal"}) and not found.kinds & NOTICES
    return Edit(True, ordered, stealth, diff.words_added, diff.words_removed, tuple(found.notices))


def is_new_version(old: Version, new: Version, rules: VersionRules | None = None) -> bool:
    """Whether `new` is a new version of `old` under `rules`."""
    return classify_edit(old, new, rules).new_version


@dataclass
class _Found:
    names: frozenset[str]
    kinds: set[ChangeKind] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)

    def notice(self, kind: ChangeKind, text: str) -> None:
        self.kinds.add(kind)
        self.notices.append(text)


def _names(authors: tuple[str, ...]) -> frozenset[str]:
    return frozenset(" ".join(fold(name).split()) for name in authors if name.strip())


def _name_words(authors: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold(word) for name in authors for word in WORD.findall(name))


def _title_kind(old: str, new: str, names: frozenset[str]) -> ChangeKind:
    kinds = {kind for kind, _ in _hunks(old, new, names)}
    return "dateline" if kinds == {"dateline"} else "headline"


def _paragraph_kinds(old: list[str], new: list[str], rules: VersionRules, found: _Found) -> None:
    pairs, removed, inserted = _align(old, new, found.names)
    # The last new paragraph that stands for an old one: what comes after it was appended.
    anchor = max((j for _, j in pairs), default=-1)
    old_lede, new_lede = _lede(old), _lede(new)
    reworded = {j: i for i, j in pairs if old[i] != new[j]}
    for j in inserted:
        kind = notice_kind(new[j])
        if kind:
            found.notice(kind, new[j])
        elif j > anchor and anchor >= 0:
            found.kinds.add("update")
        elif j == new_lede:
            found.kinds.add("lede")
        else:
            found.kinds.add("substantive")
    if removed:
        found.kinds.add("removal")
    if (
        old_lede is not None
        and new_lede is not None
        and old[old_lede] != new[new_lede]
        and (old_lede, new_lede) not in pairs
    ):
        found.kinds.add("lede")  # another paragraph leads now
    for j, i in reworded.items():
        _reworded_kinds(old[i], new[j], lede=j == new_lede, last=j == anchor, found=found)


def _reworded_kinds(old: str, new: str, *, lede: bool, last: bool, found: _Found) -> None:
    """The kinds of the changes within one reworded paragraph."""
    kept = []
    for sentence in sentences(new):
        notice = notice_kind(sentence) if sentence not in old else None
        if notice:
            found.notice(notice, sentence)
        else:
            kept.append(sentence)
    for hunk, appended in _hunks(old, " ".join(kept), found.names):
        if hunk == "wording" and appended and last:
            found.kinds.add("update")
        elif hunk == "wording":
            found.kinds.add("lede" if lede else "substantive")
        else:
            found.kinds.add(hunk)


HunkKind = Literal["dateline", "byline", "wording"]


def _hunks(old: str, new: str, names: frozenset[str]) -> Iterator[tuple[HunkKind, bool]]:
    """Each changed stretch of words from `old` to `new`: what it changes, and whether it is
    text added at the end."""
    old_words, old_seps = split_words(old)
    new_words, new_seps = split_words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 == i1 == len(old_words) and j2 > j1:
            yield "wording", True
            continue
        deleted = [(old_words, old_seps, i) for i in range(i1, i2)]
        added = [(new_words, new_seps, j) for j in range(j1, j2)]
        changed = deleted + added
        numbers = any(words[k][:1].isdigit() for words, _, k in changed)
        if _all_dates(changed) and ((deleted and added) or numbers):
            yield "dateline", False
        elif names and _names_only([fold(w[k]) for w, _, k in changed], names):
            yield "byline", False
        else:
            yield "wording", False


def _all_dates(changed: list[tuple[list[str], list[str], int]]) -> bool:
    """Whether every changed word is part of a date. A word that is a date only in context
    ('May') is one beside a changed word that is a date whatever its context ('June')."""
    dated = [is_date_word(words, seps, k) for words, seps, k in changed]
    if all(dated):
        return True
    sure = any(fold(words[k]) in DATE_WORDS for words, _, k in changed)
    return sure and all(
        ok or fold(words[k]) in NEAR_NUMBER_WORDS
        for ok, (words, _, k) in zip(dated, changed, strict=True)
    )


def _names_only(words: list[str], names: frozenset[str]) -> bool:
    return all(w in names or w in _NAME_JOINS for w in words) and any(w in names for w in words)


def _lede(paragraphs: list[str]) -> int | None:
    """The index of the first paragraph that is not a notice."""
    return next((i for i, p in enumerate(paragraphs) if notice_kind(p) is None), None)


def _align(
    old: list[str], new: list[str], names: frozenset[str]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Old and new paragraphs matched: pairs (equal or reworded), old ones removed, new ones
    inserted. Authors' names are left out of the likeness: 'By A' and 'By B' are one line."""
    pairs: list[tuple[int, int]] = []
    removed: list[int] = []
    inserted: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(range(i1, i2), range(j1, j2), strict=True)
            continue
        matched = _pair_alike(old, new, range(i1, i2), range(j1, j2), names)
        matched += _pair_in_order(range(i1, i2), range(j1, j2), matched)
        pairs += matched
        removed += [i for i in range(i1, i2) if i not in {a for a, _ in matched}]
        inserted += [j for j in range(j1, j2) if j not in {b for _, b in matched}]
    return sorted(pairs), removed, inserted


def _pair_alike(
    old: list[str], new: list[str], olds: range, news: range, names: frozenset[str]
) -> list[tuple[int, int]]:
    """Within a changed stretch, each old paragraph paired, in order, with the most similar
    new one at or above `SAME_PARAGRAPH`."""
    pairs = []
    start = news.start
    for i in olds:
        old_words = _likeness_words(old[i], names)
        best, best_ratio = None, SAME_PARAGRAPH
        for j in range(start, news.stop):
            new_words = _likeness_words(new[j], names)
            ratio = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).ratio()
            if ratio >= best_ratio:
                best, best_ratio = j, ratio
        if best is not None:
            pairs.append((i, best))
            start = best + 1
    return pairs


def _pair_in_order(olds: range, news: range, alike: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The paragraphs `alike` left unpaired, paired in order between the alike pairs: one put in
    another's place rewords it; only those over are removed or added."""
    bounds = [(olds.start - 1, news.start - 1), *alike, (olds.stop, news.stop)]
    return [
        pair
        for (a0, b0), (a1, b1) in pairwise(bounds)
        for pair in zip(range(a0 + 1, a1), range(b0 + 1, b1), strict=False)
    ]


def _likeness_words(paragraph: str, names: frozenset[str]) -> list[str]:
    return [w for w in (fold(w) for w in WORD.findall(paragraph)) if w not in names]
