"""The item that flows from the spider through the extract and store pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extraction.article import Extraction, Relevance
from crawler.page import PageInput


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
