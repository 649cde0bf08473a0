"""Start requests once per crawl run, however many workers join it.

Every worker runs the spider's `start()`: the spider loads its frontier from the database there
(what is known, due, to be skipped), and every worker needs that to judge the links it finds. But
only one worker, the first to claim the run's seed key, passes the start requests (home pages,
feeds, sitemaps, revisits) on to the shared queue; the others drop them. If the seeding worker dies
before it has queued them all, a waiting worker takes over and queues them again: the dupefilter
drops the ones already queued. A run is seeded once: a worker that finds its seed key `done`
queues nothing, so a finished run must not be joined but deleted, which `Coordinator.join` does
when no worker of it is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from crawler.distributed.scheduler import WorkerMiddleware

logger = logging.getLogger(__name__)


class SeedOnceMiddleware(WorkerMiddleware):
    """A spider middleware (`SPIDER_MIDDLEWARES`) for workers of a distributed crawl."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = self.scheduler
        if scheduler is None:
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
