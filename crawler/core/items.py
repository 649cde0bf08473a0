"""The items that flow from the spider through the extract and store pipelines, and what the door
makes of a page (`Processed`, `crawler.services.door`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crawler.core.access import OPEN, AccessCheck
from crawler.core.article import Extraction, Relevance, TextSignature
from crawler.core.outcomes import Outcome
from crawler.core.record import WarcRecord

RevisitOutcome = Literal["unchanged", "gone"]


@dataclass(frozen=True, slots=True)
class Processed:
    """What the one door (`crawler.services.door.process`) made of an archived page, whichever
    way it came in: what the database stores of it, and the URL's outcome."""

    url: str
    """The URL first requested: the start of the redirect chain that led to the page."""
    final_url: str
    """The URL the page came from (the record's WARC-Target-URI)."""
    fetched_at: datetime
    aliases: tuple[str, ...]
    """The other (normalised) URLs that led to the page through redirects, nearest first."""
    extraction: Extraction | None
    """The article or why there is none; None when the exchange is not a page to extract."""
    relevance: Relevance | None
    """The judgement of the article for the story, when there is a story and an article."""
    outcome: Outcome
    reason: str
    """The outcome's slug: 'article', 'not-article', 'extraction-error', 'not-html',
    'wall-paywall'…"""
    detail: str | None = None
    access: AccessCheck = OPEN
    """What the page shows, from the page alone (`crawler.extraction.access.check_access`): the
    write settles a `suspect` page against the last open version or `description`."""
    rights: str | None = None
    """Where the page asked not to be archived (`Rights.source`), None when it did not."""
    noarchive: bool = False
    """It asked, and the story's `[archive] noarchive` policy is `flag`."""
    description: str | None = None
    """The feed's description of the article (`Lead.description`), to tell a teaser by."""
    signature: TextSignature | None = None
    """The article text's clustering signature, when the door was asked for one."""


@dataclass
class PageItem:
    """An HTML page the spider fetched: every one goes through the door, articles or not."""

    record: WarcRecord | None
    """The response record the WARC extension wrote for it (`meta.WARC_RECORD`): the page is
    read from it as from any archived record. None when nothing was archived (WARC writing off):
    then the page is not extracted or stored, only counted."""
    source: str
    """The publisher's host:port."""
    discovered_via: str
    """'home', 'link', 'feed' or 'sitemap'."""
    redirects: tuple[str, ...] = ()
    """The URLs that redirected to this page, first requested first (Scrapy's redirect_urls)."""
    hints: dict[str, str] = field(default_factory=dict)
    """What the feed or sitemap said about it (title, published, keywords)."""
    processed: Processed | None = None
    """What the door made of it (set by the extract pipeline)."""
    url: str = ""
    """The URL as fetched (the response's URL), whether or not it was archived."""

    @property
    def final_url(self) -> str:
        if self.record is not None and self.record.target_uri:
            return self.record.target_uri
        return self.url

    @property
    def warc_record_id(self) -> str | None:
        """The response record this page came from (links the page to its capture)."""
        return self.record.record_id if self.record is not None else None

    @property
    def extraction(self) -> Extraction | None:
        return self.processed.extraction if self.processed is not None else None

    @property
    def relevance(self) -> Relevance | None:
        return self.processed.relevance if self.processed is not None else None


@dataclass
class RevisitItem:
    """A revisit of a known article that brought no page to extract: the server sent nothing new
    (the WARC extension wrote a revisit record), or said the page is gone (404 or 410). Only the
    store pipeline uses it, to move the article's revisit schedule on."""

    url: str
    """The URL requested: the article's fetch URL."""
    source: str
    """The publisher's host:port."""
    warc_record_id: str | None
    """The revisit (or 404/410 response) record; None when nothing was archived."""
    fetched_at: datetime
    status: int
    outcome: RevisitOutcome
