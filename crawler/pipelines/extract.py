"""Extraction pipeline: each page through the one door (`crawler.services.door.process`), off the
reactor, in a pool of processes.

The page is read from the record the WARC extension just wrote (`PageItem.record`), as ingest,
recovery and re-extraction read theirs, and the worker decodes, extracts and judges it for the
story: extraction and relevance are CPU-bound, so they run in worker processes (one per core by
default) while the reactor keeps fetching. A page whose extraction fails is still stored: its
capture is in the archive already.

After each page the crawling process, like each worker, gives freed heap back to the system when
it has grown (`crawler.extraction.heap`): the start of a large crawl parses a home page and a
sitemap of thousands of links, whose high-water mark would otherwise stay resident.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler import settings as defaults
from crawler.clustering.signatures import ClusterOptions, cluster_options
from crawler.core.article import Extraction
from crawler.core.items import PageItem, Processed
from crawler.core.story import Story
from crawler.extraction.heap import Trimmer
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import extraction_pool
from crawler.services.door import extraction_outcome, process
from crawler.services.exchange import RedirectIndex

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(
        self,
        crawler: Crawler,
        options: ExtractOptions,
        workers: int,
        clusters: ClusterOptions | None = None,
    ) -> None:
        self.crawler = crawler
        self.options = options
        self.clusters = clusters
        """Clustering's options: the workers sign each article for the store pipeline."""
        self.workers = workers
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self._executor: Executor | None = None
        self.trimmer = Trimmer()
        """Trims this process's heap after a page when it has grown (see the module)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        if not crawler.settings.getbool("EXTRACT_ENABLED", defaults.EXTRACT_ENABLED):
            raise NotConfigured("EXTRACT_ENABLED is off")
        workers = crawler.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(
            crawler,
            ExtractOptions.from_settings(crawler.settings),
            workers,
            cluster_options(crawler.settings),
        )

    def _pool(self) -> Executor:
        if self._executor is None:
            # the workers sign articles for clustering: datasketch (and scipy, 0.4 s) once, in
            # the fork server, rather than in each worker
            preload = ["datasketch"] if self.clusters is not None else []
            self._executor = extraction_pool(self.workers, preload)
        return self._executor

    def close_spider(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        if item.record is None:
            # WARC writing is off: there is no record to read the page from
            self.stats.inc_value("extract/not_archived")
            return item
        item.processed = await self._process(item)
        self._count(item.processed)
        self.trimmer.check()
        return item

    async def _process(self, item: PageItem) -> Processed:
        assert item.record is not None
        story: Story | None = getattr(self.crawler.spider, "story", None)
        redirects = RedirectIndex()
        redirects.add_chain([*item.redirects, item.final_url])
        aliases = redirects.chain(item.final_url)
        try:
            future = self._pool().submit(
                process,
                item.record,
                self.options,
                story=story,
                hints=item.hints,
                aliases=aliases,
                clusters=self.clusters,
            )
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            # A worker died (out of memory, a crash in a C extension): start a fresh pool for
            # the pages that follow, and keep this one as a failed extraction.
            logger.error("Extraction worker died on %s: %s", item.final_url, exc)
            from crawler.extraction.extract import not_an_article  # trafilatura: workers only

            self._executor = None
            failed = not_an_article(f"error: {type(exc).__name__}: {exc}", self.options)
            fetched_at, _ = item.record.fetch_time()
            assert fetched_at is not None
            return Processed(
                aliases[-1] if aliases else item.final_url,
                item.final_url,
                fetched_at,
                aliases,
                failed,
                None,
                *extraction_outcome(failed),
            )

    def _count(self, processed: Processed) -> None:
        extraction = processed.extraction
        if extraction is None:
            self.stats.inc_value(f"extract/not_page/{processed.reason}")
            return
        if processed.relevance is not None and processed.relevance.relevant:
            self.stats.inc_value("extract/relevant")
        _count_extraction(self.stats, extraction)


def _count_extraction(stats: StatsCollector, extraction: Extraction) -> None:
    if extraction.article is not None:
        stats.inc_value("extract/articles")
        return
    reason = extraction.reason or "unknown"
    if reason.startswith("error"):
        kind = reason.split(":", 2)[1].strip() if ":" in reason else "unknown"
        stats.inc_value(f"extract/failed/{kind}")
    else:
        stats.inc_value(f"extract/not_article/{reason.split(':', 1)[0]}")
