"""What the coverage report shows: plain frozen data, filled by `crawler.services.report`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crawler.core.clusters import Cluster
from crawler.versions.diff import VersionDiff


@dataclass(frozen=True, slots=True)
class ReportArticle:
    """One article of the story, as of its latest version."""

    url: str
    publisher: str
    title: str | None
    published: date | None
    first_seen: datetime
    relevant: bool
    versions: int

    @property
    def day(self) -> date:
        """The day the article counts on in the timeline: published, else first captured."""
        return self.published or self.first_seen.date()


@dataclass(frozen=True, slots=True)
class EditedArticle:
    """An article with more than one version, and what changed from its first to its latest."""

    url: str
    publisher: str
    title: str | None
    versions: int
    first_seen: datetime
    last_changed: datetime
    diff: VersionDiff
    """From the first version to the latest: title and text."""


@dataclass(frozen=True, slots=True)
class HealthRow:
    """How extraction went on one publisher's pages captured on one day.

    A layout change at a site shows as a sudden drop in one of the shares.
    """

    publisher: str
    day: date
    pages: int
    """Article pages fetched (HTML, status 200): those that gave an article or were found as
    articles (feed and sitemap entries, revisits); listing pages are left out."""
    with_text: int
    """Pages that gave an article."""
    with_title: int
    with_date: int
    with_author: int
    """Of the articles (`with_text`): those with a title, a publication date, an author."""


@dataclass(frozen=True, slots=True)
class ReportEdit:
    """One version after an article's first: what kind of edit it was."""

    url: str
    publisher: str
    title: str | None
    version: int
    first_seen: datetime
    kinds: tuple[str, ...]
    stealth: bool


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed in the story's articles, and what the crawl could not see."""

    kinds: tuple[tuple[str, int], ...] = ()
    """Edits by kind, in `crawler.core.versioning.KINDS` order (an edit counts for each kind)."""
    edits: tuple[ReportEdit, ...] = ()
    """Every edit, stealth edits first, then newest first."""
    walled: tuple[tuple[str, int], ...] = ()
    """Captures of the story's articles that showed a wall, by wall (paywall, consent...)."""
    noarchive: int = 0
    """Captures of the story's articles flagged noarchive: their articles are left out of the
    report unless asked for (`--include-noarchive`)."""
    noarchive_included: bool = False


@dataclass(frozen=True, slots=True)
class ReportData:
    story: str
    title: str
    generated_at: datetime
    articles: tuple[ReportArticle, ...]
    edited: tuple[EditedArticle, ...]
    """The most edited articles, most versions first."""
    health: tuple[HealthRow, ...]
    clusters: tuple[Cluster, ...]
    """Clusters of more than one article; empty when clustering has not run."""
    changes: Changes = Changes()
