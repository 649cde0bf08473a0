"""Whether a capture shows the article, or a wall in its place: the judgement and its evidence.

A recrawl that meets a paywall, a cookie-consent interstitial, a login wall or a bot challenge
must not store the wall as a new version of the article (most of the text would look deleted).
The judgement is made in two steps, both pure:

- from the page alone (`crawler.extraction.access.check_access`, in the extraction worker): the
  status, headers, markup and the extraction say whether the page is a wall, or only that it
  may be one (`suspect`): overlay text or `isAccessibleForFree: false` beside an article;
- against what was seen before (`crawler.versions.access.judge_access`, where versions are
  compared): a suspect page whose text is truncated against the last open version or the feed's
  description is a wall.

Each step gives an `AccessCheck`: the access, and the evidence it rests on, as short
machine-readable reasons with details for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["open", "paywall", "consent", "login", "challenge"]
ACCESS: tuple[Access, ...] = ("open", "paywall", "consent", "login", "challenge")
"""open: no wall found (the page is what the site shows everyone, article or not); paywall: the
article is cut for non-subscribers; consent: a cookie-consent interstitial in its place; login:
a log-in or registration wall; challenge: a bot challenge, block or rate limit."""

Wall = Literal["paywall", "login"]
"""The walls a page may be suspected of: those that leave part of the article in place."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing seen that bears on access."""

    reason: str
    """Machine-readable, e.g. 'cf-mitigated', 'challenge-title', 'cmp-markup', 'consent-text',
    'wall-text', 'not-free', 'parts-missing', 'no-article', 'truncated-vs-previous'."""
    detail: str = ""
    """For people: what exactly was seen ('Just a moment...', 'OneTrust', '120 of 900 words')."""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True, slots=True)
class AccessCheck:
    """What a capture shows: the article (`open`) or a wall, and why."""

    access: Access
    evidence: tuple[Evidence, ...] = ()
    """What the judgement rests on; an `open` page may carry hints (a consent banner beside the
    article, a subscribe box) that did not make it a wall."""
    suspect: Wall | None = None
    """For an `open` page: the wall its markup suggests, to be confirmed by truncation against
    an earlier text (`crawler.versions.access`). None when nothing suggests one."""

    @property
    def walled(self) -> bool:
        return self.access != "open"

    @property
    def reason(self) -> str:
        """One line: the access and its evidence ('challenge: cf-mitigated: challenge; ...')."""
        if not self.evidence:
            return self.access
        return f"{self.access}: " + "; ".join(map(str, self.evidence))


OPEN = AccessCheck("open")

WALL_STATUSES = (401, 403, 429, 503)
"""Statuses that may answer with a wall (a log-in wall, a bot challenge or block, a rate limit)
in the article's place: an HTML answer with one of them is read and judged like a page; it is
stored as a walled capture when it is a wall, as a failed fetch otherwise."""
"""A page with nothing that suggests a wall."""
