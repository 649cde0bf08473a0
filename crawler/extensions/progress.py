"""Progress while crawling, and a summary at the end.

Like Scrapy's LogStats, but in the terms a user of newsarchive thinks in: pages fetched, articles
found, relevant ones, what is still queued, and what went wrong.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from crawler import settings as defaults

logger = logging.getLogger("newsarchive")


class ProgressExtension:
    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self._task: task.LoopingCall | None = None
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat(
            "NEWSARCHIVE_PROGRESS_INTERVAL", defaults.NEWSARCHIVE_PROGRESS_INTERVAL
        )
        if interval <= 0:
            raise NotConfigured
        assert crawler.stats is not None
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _get(self, key: str) -> int:
        value: Any = self.stats.get_value(key, 0)
        return int(value)

    def line(self) -> str:
        """One progress line: counts so far and the fetch rate."""
        fetched = self._get("downloader/response_count")
        elapsed = max(time.monotonic() - self._started, 1e-9)
        queued = self._get("scheduler/enqueued") - self._get("scheduler/dequeued")
        return (
            f"fetched {fetched} pages ({fetched / elapsed * 60:.0f}/min), "
            f"articles {self._get('extract/articles')}, relevant {self._get('extract/relevant')}, "
            f"queued {max(queued, 0)}, errors {self._failures()}"
        )

    def _failures(self) -> int:
        return sum(
            int(value)
            for key, value in self.stats.get_stats().items()
            if key.startswith(("discovery/failed/", "extract/failed/", "db/errors", "warc/errors"))
        )

    def spider_opened(self) -> None:
        self._started = time.monotonic()
        self._task = task.LoopingCall(lambda: logger.info("Progress: %s", self.line()))
        self._task.start(self.interval, now=False)

    def spider_closed(self, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        logger.info("Finished (%s): %s", reason, self.line())
        problems = {
            key: value
            for key, value in sorted(self.stats.get_stats().items())
            if key.startswith(("discovery/failed/", "extract/failed/", "db/errors", "warc/errors"))
        }
        for key, value in problems.items():
            logger.warning("  %s: %s", key, value)
