"""The items that flow from the spider through the extract and store pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crawler.core.article import Extraction, Relevance
from crawler.core.page import PageInput

RevisitOutcome = Literal["unchanged", "gone"]


@dataclass
class PageItem:
    """An HTML page the spider fetched: every one is extracted, articles or not."""

    page: PageInput
    source: str
    """The publisher's host:port."""
    warc_record_id: str | None
    """The response record this page came from (links the page to its capture)."""
    discovered_via: str
    """'home', 'link', 'feed' or 'sitemap'."""
    aliases: tuple[str, ...] = ()
    """Other URLs that led to this page: the redirect chain."""
    hints: dict[str, str] = field(default_factory=dict)
    """What the feed or sitemap said about it (title, published, keywords)."""
    extraction: Extraction | None = None
    relevance: Relevance | None = None


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
