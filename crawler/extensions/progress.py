"""Progress while crawling, on the console, in the terms a user of newsarchive thinks in: pages
fetched, articles found, relevant ones, what is still queued, and what went wrong.

The display goes to standard output, not to the log, so that it shows at every log level
(`NEWSARCHIVE_PROGRESS`): on a terminal a live table, one row per publisher (rich); otherwise a
plain line every `NEWSARCHIVE_PROGRESS_INTERVAL` seconds. The counts per publisher are stats
(`publisher/<host:port>/fetched|articles|relevant|errors`), so that the closing summary
(`crawler.cli.crawl`) and the stats dump read the same numbers.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from crawler import settings as defaults
from crawler.core import meta
from crawler.core.items import PageItem
from crawler.core.story import Story
from crawler.core.urls import host_of

logger = logging.getLogger("newsarchive")

MODES = ("auto", "live", "lines", "off")
"""NEWSARCHIVE_PROGRESS: a live table on a terminal and lines elsewhere (auto), always one or
the other, or nothing on the console (off, as with --quiet)."""
COUNTS = ("fetched", "articles", "relevant", "errors")
FAILURES = ("discovery/failed/", "extract/failed/", "db/errors", "warc/errors")
LIVE_REFRESH = 0.5
"""Seconds between redraws of the live table."""


def publisher_stat(host: str, count: str) -> str:
    """The stats key of one publisher's count ('fetched', 'articles', 'relevant', 'errors')."""
    return f"publisher/{host}/{count}"


def publisher_counts(stats: dict[str, Any], host: str) -> dict[str, int]:
    """One publisher's counts, read back from the stats."""
    return {count: int(stats.get(publisher_stat(host, count), 0)) for count in COUNTS}


def failures(stats: dict[str, Any]) -> int:
    """Everything that went wrong, as the stats count it."""
    return sum(int(value) for key, value in stats.items() if key.startswith(FAILURES))


def progress_mode(value: str) -> str:
    """NEWSARCHIVE_PROGRESS checked: one of `MODES`, else ValueError."""
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(f"NEWSARCHIVE_PROGRESS must be one of {', '.join(MODES)}, got {value!r}")
    return mode


class ProgressExtension:
    def __init__(
        self,
        stats: StatsCollector,
        interval: float,
        mode: str = "lines",
        publishers: dict[str, str] | None = None,
        out: IO[str] | None = None,
    ) -> None:
        self.stats = stats
        self.interval = interval
        self.mode = mode
        """'live', 'lines' or 'off' ('auto' decided already)."""
        self.publishers = publishers or {}
        """host:port → the story's name for the publisher, in the story's order."""
        self.out = out if out is not None else sys.stdout
        self._task: task.LoopingCall | None = None
        self._live: Any = None
        self._restore: Callable[[], None] | None = None
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        settings = crawler.settings
        interval = settings.getfloat(
            "NEWSARCHIVE_PROGRESS_INTERVAL", defaults.NEWSARCHIVE_PROGRESS_INTERVAL
        )
        try:
            mode = progress_mode(
                settings.get("NEWSARCHIVE_PROGRESS", defaults.NEWSARCHIVE_PROGRESS)
            )
        except ValueError as exc:
            raise NotConfigured(str(exc)) from None
        if interval <= 0:
            mode = "off"
        if mode == "auto":
            mode = "live" if sys.stdout.isatty() else "lines"
        story = getattr(crawler.spider, "story", None)
        publishers = (
            {source.host: source.name for source in story.sources}
            if isinstance(story, Story)
            else {}
        )
        assert crawler.stats is not None
        ext = cls(crawler.stats, interval, mode, publishers)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    # -- counting per publisher ----------------------------------------------------------------

    def response_received(self, response: Response, request: Request) -> None:
        self.stats.inc_value(publisher_stat(_source(request, response.url), "fetched"))

    def item_scraped(self, item: Any) -> None:
        if not isinstance(item, PageItem) or item.processed is None:
            return
        processed = item.processed
        if processed.extraction is not None and processed.extraction.article is not None:
            self.stats.inc_value(publisher_stat(item.source, "articles"))
        if processed.relevance is not None and processed.relevance.relevant:
            self.stats.inc_value(publisher_stat(item.source, "relevant"))

    # -- what is shown -------------------------------------------------------------------------

    def _get(self, key: str) -> int:
        value: Any = self.stats.get_value(key, 0)
        return int(value)

    def _elapsed(self) -> float:
        return max(time.monotonic() - self._started, 1e-9)

    def line(self) -> str:
        """One progress line: counts so far and the fetch rate."""
        fetched = self._get("downloader/response_count")
        queued = self._get("scheduler/enqueued") - self._get("scheduler/dequeued")
        return (
            f"fetched {fetched} pages ({fetched / self._elapsed() * 60:.0f}/min), "
            f"articles {self._get('extract/articles')}, relevant {self._get('extract/relevant')}, "
            f"queued {max(queued, 0)}, errors {failures(self.stats.get_stats())}"
        )

    def hosts(self) -> list[str]:
        """The story's publishers, then any other host a response came from."""
        seen = [
            key.split("/")[1]
            for key in self.stats.get_stats()
            if key.startswith("publisher/") and key.count("/") >= 2
        ]
        return [*self.publishers, *sorted(set(seen) - set(self.publishers))]

    def table(self) -> Any:
        """The live display: a row per publisher, a total row, the rate and the queue."""
        from rich.table import Table

        stats = self.stats.get_stats()
        elapsed = self._elapsed()
        fetched = self._get("downloader/response_count")
        queued = max(self._get("scheduler/enqueued") - self._get("scheduler/dequeued"), 0)
        minutes, seconds = divmod(int(elapsed), 60)
        table = Table(
            title=f"crawling: {minutes}:{seconds:02d}, {fetched / elapsed * 60:.0f} pages/min, "
            f"{queued} queued",
            title_justify="left",
            box=None,
            pad_edge=False,
        )
        table.add_column("publisher")
        for count in COUNTS:
            table.add_column(count, justify="right")
        totals = dict.fromkeys(COUNTS, 0)
        for host in self.hosts():
            counts = publisher_counts(stats, host)
            for count in COUNTS:
                totals[count] += counts[count]
            table.add_row(self.publishers.get(host, host), *(str(counts[c]) for c in COUNTS))
        totals["errors"] = max(totals["errors"], failures(stats))
        totals["fetched"] = max(totals["fetched"], fetched)
        table.add_row("total", *(str(totals[c]) for c in COUNTS), style="bold")
        return table

    # -- when ----------------------------------------------------------------------------------

    def spider_opened(self) -> None:
        self._started = time.monotonic()
        if self.mode == "live":
            self._start_live()
            self._task = task.LoopingCall(self._redraw)
            self._task.start(LIVE_REFRESH, now=True)
        elif self.mode == "lines":
            self._task = task.LoopingCall(self._print_line)
            self._task.start(self.interval, now=False)
        elif self.interval > 0:  # no console: the log has the lines (shown with -L INFO)
            self._task = task.LoopingCall(lambda: logger.info("Progress: %s", self.line()))
            self._task.start(self.interval, now=False)

    def _print_line(self) -> None:
        elapsed = int(self._elapsed())
        self.out.write(f"[{elapsed // 60}:{elapsed % 60:02d}] {self.line()}\n")
        self.out.flush()

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        stderr_is_terminal = sys.stderr.isatty()
        live = Live(
            self.table(),
            console=Console(file=self.out),
            auto_refresh=False,
            transient=True,  # the closing summary replaces it
            redirect_stdout=True,
            redirect_stderr=stderr_is_terminal,
        )
        live.start()
        self._live = live
        if stderr_is_terminal:
            self._restore = _log_above(live)

    def _redraw(self) -> None:
        if self._live is not None:
            self._live.update(self.table(), refresh=True)

    def spider_closed(self, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        if self._live is not None:
            self._live.update(self.table(), refresh=True)
            self._live.stop()
            self._live = None
            if self._restore is not None:
                self._restore()
        logger.info("Finished (%s): %s", reason, self.line())
        problems = {
            key: value
            for key, value in sorted(self.stats.get_stats().items())
            if key.startswith(FAILURES)
        }
        for key, value in problems.items():
            logger.warning("  %s: %s", key, value)


def _source(request: Request, url: str) -> str:
    """The publisher a request was made for: the spider says so in meta; else its host."""
    source = request.meta.get(meta.SOURCE)
    return source if isinstance(source, str) else host_of(url)


def _log_above(live: Any) -> Callable[[], None]:
    """Send the log handlers that write to standard error through the live display, which
    prints their lines above the table instead of through it; returns the undo."""
    moved: list[tuple[logging.StreamHandler[Any], Any]] = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (
            sys.__stderr__,
            getattr(live, "_restore_stderr", None),
        ):
            moved.append((handler, handler.setStream(sys.stderr)))

    def restore() -> None:
        for handler, stream in moved:
            handler.setStream(stream)

    return restore
