"""Extraction pipeline: runs `extract()` off the reactor, in a pool of processes.

Extraction is CPU-bound, so it runs in worker processes (one per core by default) while the
reactor keeps fetching. The same `extract()` serves re-extraction from the archive later.
A page whose extraction fails is still stored: its capture is in the archive already.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import date
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler import settings as defaults
from crawler.core.article import Extraction
from crawler.core.items import PageItem
from crawler.core.story import Story
from crawler.extraction.extract import extract, not_an_article
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import extraction_pool
from crawler.extraction.relevance import score

logger = logging.getLogger(__name__)


def with_listing_date(extraction: Extraction, hints: dict[str, str]) -> Extraction:
    """The publication date from the feed or news sitemap that listed the page, when the page
    itself states none: the listing's date is the publisher's own word too."""
    article = extraction.article
    listed = hints.get("published")
    if article is None or article.published is not None or not listed:
        return extraction
    return replace(extraction, article=replace(article, published=date.fromisoformat(listed)))


class ExtractPipeline:
    def __init__(self, crawler: Crawler, options: ExtractOptions, workers: int) -> None:
        self.crawler = crawler
        self.options = options
        self.workers = workers
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self._executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        if not crawler.settings.getbool("EXTRACT_ENABLED", defaults.EXTRACT_ENABLED):
            raise NotConfigured("EXTRACT_ENABLED is off")
        workers = crawler.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(crawler, ExtractOptions.from_settings(crawler.settings), workers)

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = extraction_pool(self.workers)
        return self._executor

    def close_spider(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        item.extraction = with_listing_date(await self._extract(item), item.hints)
        self._count(item.extraction)
        if item.extraction.article is not None:
            story: Story = self.crawler.spider.story  # type: ignore[union-attr]
            item.relevance = score(item.extraction.article, story)
            if item.relevance.relevant:
                self.stats.inc_value("extract/relevant")
        return item

    async def _extract(self, item: PageItem) -> Extraction:
        try:
            future = self._pool().submit(extract, item.page, self.options)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            # A worker died (out of memory, a crash in a C extension): start a fresh pool for
            # the pages that follow, and keep this one as a failed extraction.
            logger.error("Extraction worker died on %s: %s", item.page.final_url, exc)
            self._executor = None
            return not_an_article(f"error: {type(exc).__name__}: {exc}", self.options)

    def _count(self, extraction: Extraction) -> None:
        if extraction.article is not None:
            self.stats.inc_value("extract/articles")
            return
        reason = extraction.reason or "unknown"
        if reason.startswith("error"):
            kind = reason.split(":", 2)[1].strip() if ":" in reason else "unknown"
            self.stats.inc_value(f"extract/failed/{kind}")
        else:
            self.stats.inc_value(f"extract/not_article/{reason.split(':', 1)[0]}")
