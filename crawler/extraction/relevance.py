"""Whether an article belongs to a story, and how strongly.

The rule (docs/story-file.md): an article is relevant when every `all` term occurs in its title or
text, at least one `any` term does (if the story lists any), no `none` term does, and its
publication date lies in the story's window. An unknown date does not rule an article out; the
reason says that the window could not be checked.

Terms match whole words in the folded form of `normalise.fold` (case and accents ignored); a term
ending in `*` matches words that start with it; a term of several words matches them in sequence.
Words are as `normalise.WORD` defines them, so an apostrophe or hyphen ends a word and
"El Salvador's" contains the term "El Salvador".

The score of a relevant article, in (0, 1], grows with how many of its terms were found and how
often they occur; it is 0 for an article that is not relevant:

    coverage   = positive terms found / positive terms          (positive: `all` and `any`)
    density    = occurrences of positive terms per 100 words of title and text
    saturation = min(1, density / 2)
    score      = coverage * (0.5 + 0.5 * saturation)

so an article that names every term scores at least 0.5, and reaches 1 when the terms make up one
word in fifty. A story without positive terms scores every relevant article 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from crawler.core.article import Article, Relevance
from crawler.core.normalise import WORD, fold
from crawler.core.story import MatchRule, Story

SATURATION = 2.0
"""Occurrences of positive terms per 100 words at which the density part of the score is full."""


@dataclass(frozen=True, slots=True)
class Hits:
    """What a `Matcher` found in one text."""

    counts: Mapping[str, int]
    """Occurrences of each of the rule's terms, keyed by the term as the story writes it."""
    words: int
    """Words in the text."""


def _compile(term: str) -> re.Pattern[str]:
    """A pattern that finds `term` in the space-joined folded words of a text."""
    prefix = term.endswith("*")
    words = WORD.findall(fold(term.removesuffix("*")))
    if not words:
        raise ValueError(f"match term {term!r} has no letters or digits to match")
    body = " ".join(re.escape(word) for word in words) + ("[^ ]*" if prefix else "")
    # The leading space is matched, not looked behind for: a literal start lets `re` skip ahead
    # fast. The trailing one is only looked at, so it can start the next match.
    return re.compile(f" {body}(?= )")


class Matcher:
    """A story's match rule, compiled once and applied to many texts.

    A text is folded and split into words once; each term is then one regular-expression scan of
    the words joined by single spaces, where word boundaries are plain spaces.
    """

    def __init__(self, rule: MatchRule) -> None:
        terms = dict.fromkeys((*rule.all, *rule.any, *rule.none))
        self._patterns = {term: _compile(term) for term in terms}

    def hits(self, text: str) -> Hits:
        """How often each term occurs in `text`."""
        words = WORD.findall(fold(text))
        joined = f" {' '.join(words)} "
        counts = {
            term: sum(1 for _ in pattern.finditer(joined))
            for term, pattern in self._patterns.items()
        }
        return Hits(counts, len(words))


@lru_cache(maxsize=32)
def _matcher(rule: MatchRule) -> Matcher:
    return Matcher(rule)


def _listed(terms: Iterable[str]) -> str:
    return f"[{', '.join(terms)}]"


def score(article: Article, story: Story) -> Relevance:
    """How `article` relates to `story` (the rule and the score are in the module docstring)."""
    rule = story.match
    hits = _matcher(rule).hits(f"{article.title or ''}\n{article.text}")
    found = {term for term, count in hits.counts.items() if count}
    positive = tuple(dict.fromkeys((*rule.all, *rule.any)))
    matched = tuple(sorted((t for t in positive if t in found), key=lambda t: (t.casefold(), t)))

    def irrelevant(reason: str) -> Relevance:
        return Relevance(relevant=False, score=0.0, matched_terms=matched, reason=reason)

    excluded = [term for term in rule.none if term in found]
    if excluded:
        return irrelevant(f"contains excluded term {excluded[0]!r}")
    missing = [term for term in rule.all if term not in found]
    if missing:
        names = ", ".join(repr(term) for term in missing)
        return irrelevant(f"missing required term{'s' if len(missing) > 1 else ''} {names}")
    found_any = [term for term in rule.any if term in found]
    if rule.any and not found_any:
        return irrelevant(f"none of {_listed(rule.any)} found")

    published = article.published
    window = story.in_window(published)
    if window is False:
        if story.since is not None and published is not None and published < story.since:
            return irrelevant(
                f"published {published}, before the story window (from {story.since})"
            )
        return irrelevant(f"published {published}, after the story window (until {story.until})")

    parts = []
    if rule.all:
        parts.append(f"all of {_listed(rule.all)}")
    if rule.any:
        parts.append(f"any of {_listed(found_any)}")
    reason = f"matched {', '.join(parts)}" if parts else "the story names no required terms"
    if window is None and (story.since is not None or story.until is not None):
        reason += "; publication date unknown, so the story window was not checked"

    if positive:
        coverage = len(matched) / len(positive)
        occurrences = sum(hits.counts[term] for term in positive)
        density = 100 * occurrences / max(hits.words, 1)
        value = coverage * (0.5 + 0.5 * min(1.0, density / SATURATION))
    else:
        value = 1.0
    return Relevance(relevant=True, score=round(value, 4), matched_terms=matched, reason=reason)
