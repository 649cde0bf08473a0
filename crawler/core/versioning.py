"""A story's rules for versions (which lines never count, and the thresholds of edits), and the
data of an edit: the two sides compared and what `crawler.versions.kinds` says of them.

They come from the story file's `[versions]` table (docs/story-file.md) and are applied where
two captures of an article are compared (`crawler.versions`): on top of the normalisation that
decides a version everywhere (`crawler.core.normalise`), a story can drop lines of its own
(view counters, "Updated 3 minutes ago" in a site's own words) and set how large an edit must
be to make a version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crawler.core.access import AccessCheck
from crawler.core.article import Article
from crawler.core.normalise import normalise_text


@dataclass(frozen=True, slots=True)
class VersionRules:
    ignore: tuple[re.Pattern[str], ...] = ()
    """A line (a paragraph, after normalisation) that one of these matches whole is left out
    before texts are compared: it never makes a version and is never part of an edit."""
    min_changed_words: int = 1
    """An edit of fewer words (added plus removed, in title and text) makes no new version."""
    truncated_below: float = 0.5
    """A capture suspected of a wall is one when its text has less than this share of the
    words of the last open version (crawler/core/access.py)."""

    def __post_init__(self) -> None:
        if self.min_changed_words < 1:
            raise ValueError("min_changed_words must be at least 1")
        if not 0 < self.truncated_below <= 1:
            raise ValueError("truncated_below must be more than 0 and at most 1")

    def ignored(self, line: str) -> bool:
        """Whether a normalised line is left out."""
        return any(pattern.fullmatch(line) for pattern in self.ignore)

    def paragraphs(self, text: str) -> list[str]:
        """The paragraphs of `text` that count: normalised (`normalise_text`), ignored lines
        left out."""
        return [
            line for line in normalise_text(text).split("\n") if line and not self.ignored(line)
        ]


def compile_ignore(pattern: str) -> re.Pattern[str]:
    """A `[versions] ignore` pattern as it is applied: matched against a whole line,
    case-insensitively. Raises `re.error` for a pattern that is not a regular expression."""
    return re.compile(pattern, re.IGNORECASE)


ChangeKind = Literal[
    "headline", "lede", "correction", "update", "removal", "byline", "dateline", "substantive"
]
KINDS: tuple[ChangeKind, ...] = (
    "headline", "lede", "correction", "update", "removal", "byline", "dateline", "substantive"
)  # fmt: skip
"""Every kind, in the order an edit lists them."""
NOTICES: frozenset[ChangeKind] = frozenset({"correction", "update"})


@dataclass(frozen=True, slots=True)
class Version:
    """One side of an edit: what the kinds are judged on."""

    title: str | None
    text: str
    """Paragraphs one per line, as extraction gives them."""
    authors: tuple[str, ...] = ()

    @classmethod
    def of(cls, article: Article) -> Version:
        return cls(article.title, article.text, article.authors)


@dataclass(frozen=True, slots=True)
class Edit:
    """How a version differs from the one before it."""

    new_version: bool
    """Whether the title or text changed by `min_changed_words` or more (other authors alone
    make no version: a version is its title and text)."""
    kinds: tuple[ChangeKind, ...]
    """In `KINDS` order. For no new version: ('byline',) when only the authors changed, else
    empty."""
    stealth: bool
    words_added: int
    words_removed: int
    notices: tuple[str, ...] = ()
    """The correction and update notices added, as they read."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a capture of an article is to the archive, as the write decides it: its access
    settled against what was seen before, whether it makes a new version, and the edit."""

    access: AccessCheck
    new_version: bool
    """False for a wall, for no article, and for a text that is no new version under the
    story's rules (the same after ignored lines, or fewer words changed than the threshold)."""
    edit: Edit | None = None
    """How it differs from the last open version; None for a first version or a wall."""


Decide = Callable[[Version | None, Version | None, AccessCheck, str | None], Judgement]
"""`decide(previous, new, access, description)`: the judgement of a capture whose article is
`new` (None when it gave none) against the article's last open version `previous` (None for an
article not seen open yet), from the page's own `access` and the feed's `description`. The
services make it from a story's `[versions]` rules (`crawler.services.versions.decider`); the
repository calls it for every article page it writes."""
