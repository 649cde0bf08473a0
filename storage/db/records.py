"""What the store pipeline hands the repository to write, and what a written batch reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.core.access import OPEN, AccessCheck
from crawler.core.article import Article, Extraction, Relevance, TextSignature
from crawler.core.items import RevisitOutcome
from crawler.core.urls import host_of, normalise_url


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A fetched HTML page as the store pipeline hands it over (from a `PageItem`)."""

    url: str
    """The URL requested."""
    final_url: str
    """The URL the body came from, after redirects."""
    aliases: tuple[str, ...]
    """Other URLs that led to the page: the redirect chain."""
    publisher_host: str
    """host:port of the publisher the page was crawled for."""
    warc_record_id: str | None
    """The response record of the page; None when nothing was archived."""
    discovered_via: str
    fetched_at: datetime
    extraction: Extraction | None
    """None when the page went through no extraction: then it only records its URLs."""
    relevance: Relevance | None
    access: AccessCheck = OPEN
    """What the page showed, from the page alone; the write settles a suspected wall
    (`crawler.core.versioning.Decide`)."""
    rights: str | None = None
    """Where the page asked not to be archived; recorded on its capture."""
    noarchive: bool = False
    """Its capture is flagged noarchive (the story's policy is `flag`)."""
    description: str | None = None
    """The feed's description of the article, to tell a paywall's teaser by."""
    signature: TextSignature | None = None
    """The article text's clustering signature, made by the extraction worker."""

    @property
    def article(self) -> Article | None:
        return self.extraction.article if self.extraction is not None else None

    @property
    def target_url(self) -> str:
        return target_url(self.final_url, self.article)


def target_url(final_url: str, article: Article | None) -> str:
    """The normalised URL a page is filed under: its rel=canonical when that stays on the host
    that served it (a canonical elsewhere could hijack another site's article), else the final
    URL."""
    final = normalise_url(final_url)
    if article is not None and article.canonical_url:
        try:
            canonical = normalise_url(article.canonical_url)
        except ValueError:
            return final
        if host_of(canonical) == host_of(final):
            return canonical
    return final


@dataclass(frozen=True, slots=True)
class RevisitRecord:
    """A revisit of a known article that brought no page (from a `RevisitItem`): it only moves
    the article's schedule on, and for `unchanged` its latest version's `last_seen`."""

    url: str
    """The URL requested; the article is the URL it points at (or the URL itself)."""
    fetched_at: datetime
    status: int
    outcome: RevisitOutcome


@dataclass(frozen=True, slots=True)
class BatchResult:
    captures: int
    """Captures inserted."""
    duplicate_captures: int
    """Captures already stored (same WARC record ID), skipped."""
    pages: int
    new_versions: int
    unchanged_versions: int
    """Article pages whose text equals their latest version: only `last_seen` moved."""
    story_links: int
    revisits_unchanged: int
    revisits_gone: int
    """Revisits applied to a known article; those of unknown URLs are dropped."""
    outcomes: int = 0
    """URL outcomes inserted (a URL with an outcome in the run already keeps it)."""
    walled: int = 0
    """Pages that showed a wall in the article's place: no version, no deletion."""
    article_ids: tuple[int, ...] = ()
    """The url ids of the batch's article pages: those whose clusters may have changed."""
