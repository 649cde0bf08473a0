"""Start requests once per crawl run, however many workers join it.

Every worker runs the spider's `start()`: the spider loads its frontier from the database there
(what is known, due, to be skipped), and every worker needs that to judge the links it finds. But
only one worker, the first to claim the run's seed key, passes the start requests (home pages,
feeds, sitemaps, revisits) on to the shared queue; the others drop them. If the seeding worker dies
before it has queued them all, a waiting worker takes over and queues them again: the dupefilter
drops the ones already queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from crawler.distributed.scheduler import RedisScheduler

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SeedOnceMiddleware:
    """A spider middleware (`SPIDER_MIDDLEWARES`) for workers of a distributed crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("NEWSARCHIVE_REDIS_URL"):
            raise NotConfigured("not a distributed crawl")
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if not isinstance(scheduler, RedisScheduler):
            async for item_or_request in start:
                yield item_or_request
            return
        # The spider prepares (loads its frontier) before its first start request.
        first = await anext(start, None)
        scheduler.ready = True
        coordinator = scheduler.coordinator
        stats = self.crawler.stats
        assert stats is not None
        while (role := coordinator.claim_seeding()) == "wait":
            await asyncio.sleep(scheduler.heartbeat_interval)
        if role == "done":
            await start.aclose()  # type: ignore[attr-defined]
            logger.info("Another worker queued this run's start requests")
            return
        logger.info("Worker %s queues this run's start requests", coordinator.worker_id)
        if first is not None:
            stats.inc_value("redis/seeded")
            yield first
            async for item_or_request in start:
                stats.inc_value("redis/seeded")
                yield item_or_request
        coordinator.seeding_done()
