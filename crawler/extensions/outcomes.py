"""One recorded outcome for every URL a crawl meets: no silent losses.

The extension follows each URL through the crawl's signals and keeps its outcome by the rules of
`crawler.core.outcomes.OutcomeBook`. Failed requests it hears of from `OutcomesMiddleware`
(`process_exception`), `HttpErrorMiddleware` and the `request_failed` signal, not from the spider's
errbacks; the spider reports only what its callbacks decide (URLs it passes over, feeds and
sitemaps read or unreadable, unchanged and not-HTML pages) with the `url_outcome` signal.
Outcomes are counted in `outcome/<reason>` stats and written to `url_outcomes`, under a
`crawl_runs` row, in the database thread of the crawl's database owner
(`crawler.extensions.database`).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import (
    NotConfigured,
)
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spidermiddlewares.httperror import HttpErrorMiddleware as ScrapyHttpErrorMiddleware

from crawler import settings as defaults
from crawler.core.items import PageItem, RevisitItem
from crawler.core.outcomes import Outcome, OutcomeBook, Stage, UrlOutcome
from crawler.core.story import Story
from crawler.core.urls import host_of
from crawler.extensions.database import Database, database_of
from crawler.identity import url_key
from crawler.refusals import Refused, failure_outcome
from crawler.signals import (
    outcomes_settled,
    report,
    request_failed,
    request_refused,
    url_outcome,
)
from storage.db.engine import write_transaction
from storage.db.repository import Repository
from storage.db.runs import finish_run, insert_outcomes, start_run

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from sqlalchemy import Engine
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


def _is_robots_txt(request: Request) -> bool:
    """A robots.txt request made by Scrapy's RobotsTxtMiddleware (not by the spider)."""
    return bool(request.meta.get("dont_obey_robotstxt")) and request.callback is NO_CALLBACK


def _offsite_pattern(allowed_domains: Sequence[str]) -> re.Pattern[str] | None:
    """The hosts Scrapy's OffsiteMiddleware lets through (None: every host)."""
    domains = [re.escape(d) for d in allowed_domains if d]
    return re.compile(rf"^(.*\.)?({'|'.join(domains)})$") if domains else None


class OutcomesExtension:
    """Keeps one outcome per URL of the crawl run and has them written to the database.

    Each URL's outcome is final when a request for it ends (stored or archived response,
    redirect, refusal, failure) and provisional until then (passed over by discovery, refused as
    a duplicate, scheduled, answered); see `crawler.core.outcomes`. A final outcome goes at once to
    the store pipeline's batches (`outcomes_settled`); at the close the provisional ones are
    settled and written here, with any the store pipeline did not take, and the run's row gets
    its end and stats. `NEWSARCHIVE_OUTCOMES = False` turns it off.
    """

    def __init__(self, crawler: Crawler, story: Story) -> None:
        self.crawler = crawler
        self.story = story
        self.book = OutcomeBook()
        self.counts: Counter[str] = Counter()
        """Outcomes settled so far, by outcome."""
        self._unsent: list[UrlOutcome] = []
        self._database: Database | None = None
        self._run_id: int | None = None
        self._onsite: re.Pattern[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_OUTCOMES", defaults.NEWSARCHIVE_OUTCOMES):
            raise NotConfigured("NEWSARCHIVE_OUTCOMES is off")
        story = getattr(crawler.spider, "story", None)
        if not isinstance(story, Story):
            raise NotConfigured("URL outcomes are kept for a story's crawl")
        extension = cls(crawler, story)
        connect = crawler.signals.connect
        connect(extension.url_outcome, signal=url_outcome)
        connect(extension.request_scheduled, signal=signals.request_scheduled)
        connect(extension.request_dropped, signal=signals.request_dropped)
        connect(extension.request_refused, signal=request_refused)
        connect(extension.request_failed, signal=request_failed)
        connect(extension.response_received, signal=signals.response_received)
        connect(extension.item_scraped, signal=signals.item_scraped)
        connect(extension.item_dropped, signal=signals.item_dropped)
        connect(extension.item_error, signal=signals.item_error)
        connect(extension.spider_error, signal=signals.spider_error)
        connect(extension.spider_opened, signal=signals.spider_opened)
        connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    # -- what happens to URLs ------------------------------------------------------------------

    def url_outcome(
        self,
        url: str,
        outcome: Outcome,
        reason: str,
        detail: str | None = None,
        source: str | None = None,
        final: bool = True,
    ) -> None:
        key = url_key(url)
        if final:
            self.settle(key, outcome, reason, detail=detail, source=source)
        else:
            self.book.provisional(
                key, Stage.PASSED_OVER, outcome, reason, detail=detail, source=source
            )

    def request_scheduled(self, request: Request) -> None:
        self._redirects(request)
        key = url_key(request.url)
        reason, detail = "not-fetched", None
        if self._refused_offsite(request):
            # Scrapy's OffsiteMiddleware refuses it in its own request_scheduled handler,
            # silently: a redirect that left the story's sites.
            reason, detail = "off-site", "not on the story's sites"
        self.book.provisional(
            key, Stage.SCHEDULED, "skipped", reason, detail=detail, source=_source(request, key)
        )

    def request_refused(self, request: Request, refusal: Refused) -> None:
        """A request refused where no errback hears of it (the address guard at scheduling):
        the refusal is the URL's outcome ('blocked-address'), not 'off-site' or 'not-fetched'."""
        outcome, reason, detail = failure_outcome(refusal)
        key = url_key(request.url)
        self.settle(key, outcome, reason, detail=detail, source=_source(request, key))

    def request_failed(self, request: Request, exception: BaseException) -> None:
        """A request that ended in `exception` where no `process_exception` saw it."""
        outcome, reason, detail = failure_outcome(exception)
        key = url_key(request.url)
        self.settle(key, outcome, reason, detail=detail, source=_source(request, key))

    def request_dropped(self, request: Request) -> None:
        self._redirects(request)
        key = url_key(request.url)
        self.book.provisional(
            key,
            Stage.DUPLICATE,
            "skipped",
            "duplicate",
            detail="the duplicate filter refused a request for it",
            source=_source(request, key),
        )

    def response_received(self, response: Response, request: Request) -> None:
        self._redirects(request)
        key = url_key(response.url)
        source = _source(request, key)
        if _is_robots_txt(request):
            detail = f"HTTP {response.status}"
            self.settle(key, "archived", "robots-txt", detail=detail, source=source)
            return
        self.book.provisional(
            key,
            Stage.ANSWERED,
            "failed",
            "unreported",
            detail=f"answered HTTP {response.status}; nothing said what became of it",
            source=source,
        )

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, PageItem):
            key = url_key(item.final_url)
            done = item.processed
            if done is None:  # not archived, so not read (WARC writing is off)
                self.settle(key, "archived", "not-archived", source=item.source)
            else:  # what the door said
                self.settle(key, done.outcome, done.reason, detail=done.detail, source=item.source)
        elif isinstance(item, RevisitItem):
            self.settle(
                url_key(item.url),
                "stored",
                f"article-{item.outcome}",
                detail=f"HTTP {item.status}",
                source=item.source,
            )

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        url = _item_url(item)
        if url is not None:
            self.settle(url_key(url), "failed", "item-dropped", detail=str(exception))

    def item_error(self, item: Any, failure: Failure) -> None:
        url = _item_url(item)
        if url is not None:
            self.settle(url_key(url), "failed", "item-error", detail=failure.getErrorMessage())

    def spider_error(self, failure: Failure, response: Response | None) -> None:
        if response is not None:
            detail = f"{failure.type.__name__ if failure.type else 'error'}: "
            detail += failure.getErrorMessage()
            self.settle(url_key(response.url), "failed", "spider-error", detail=detail)

    def settle(
        self,
        url: str,
        outcome: Outcome,
        reason: str,
        *,
        detail: str | None = None,
        source: str | None = None,
    ) -> None:
        """Give `url` its final outcome, unless it has one already."""
        settled = self.book.final(url, outcome, reason, detail=detail, source=source)
        if settled is not None:
            self._keep(settled)

    def _keep(self, settled: UrlOutcome, *, offer: bool = True) -> None:
        """Count a settled outcome and hand it to the store pipeline's batches; what it does not
        take is written at the close."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"outcome/{settled.reason}")
        if settled.outcome == "failed" and settled.source:
            # the per-publisher errors of the progress display and the closing summary
            self.crawler.stats.inc_value(f"publisher/{settled.source}/errors")
        self.counts[settled.outcome] += 1
        if offer and self._run_id is not None:
            taken = self.crawler.signals.send_catch_log(
                outcomes_settled, run_id=self._run_id, outcomes=[settled]
            )
            if any(result is True for _, result in taken):
                return
        self._unsent.append(settled)

    def _redirects(self, request: Request) -> None:
        """Each URL of the request's redirect chain redirected to the next one."""
        chain: list[str] = request.meta.get("redirect_urls") or []
        if not chain:
            return
        for origin, target in zip(chain, [*chain[1:], request.url], strict=True):
            origin_key, target_key = url_key(origin), url_key(target)
            if origin_key != target_key:
                source = _source(request, origin_key)
                self.settle(origin_key, "redirected", "redirect", detail=target_key, source=source)

    def _refused_offsite(self, request: Request) -> bool:
        if self._onsite is None or request.dont_filter or request.meta.get("allow_offsite"):
            return False
        return not self._onsite.search(urlsplit(request.url).hostname or "")

    # -- the run and its writes ----------------------------------------------------------------

    async def spider_opened(self) -> None:
        """Record the run. The store pipeline opened (and migrated) the database before this
        signal, and nothing else writes yet: the first request comes after it."""
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        self._onsite = _offsite_pattern(allowed)
        database = database_of(self.crawler)
        try:
            self._run_id = await database.run(self._open, self.story, datetime.now(UTC))
            self._database = database
        except Exception:
            logger.exception("Cannot record the crawl run: URL outcomes are only counted")

    async def spider_closed(self, reason: str) -> None:
        """Settle what is still provisional, and write it with whatever the store pipeline did
        not take, and the end of the run: the store pipeline has closed by now, so this is the
        only writer."""
        for settled in self.book.close():
            if settled.reason == "not-fetched":
                settled = replace(settled, detail=f"the crawl ended ({reason}) first")
            self._keep(settled, offer=False)
        logger.info(
            "Outcomes of %d URLs: %s",
            len(self.book),
            ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items())),
        )
        if self._database is None or self._run_id is None:
            return
        assert self.crawler.stats is not None
        stats = dict(self.crawler.stats.get_stats())
        rows, self._unsent = self._unsent, []
        try:
            await self._database.run(self._close, self._run_id, rows, reason, stats)
        except Exception:
            self.crawler.stats.inc_value("db/errors")
            self.crawler.stats.inc_value("db/lost", len(rows))
            logger.exception(
                "Not stored: the outcomes of %d URLs and the end of crawl run %d",
                len(rows),
                self._run_id,
            )

    @staticmethod
    def _open(engine: Engine, story: Story, started_at: datetime) -> int:
        story_id = Repository(engine).ensure_story(story)
        return start_run(engine, story_id, started_at, socket.gethostname(), os.getpid())

    @staticmethod
    def _close(
        engine: Engine,
        run_id: int,
        rows: list[UrlOutcome],
        reason: str,
        stats: dict[str, Any],
    ) -> None:
        write_transaction(engine, lambda conn: insert_outcomes(conn, run_id, rows))
        finish_run(engine, run_id, datetime.now(UTC), reason, stats)


class OutcomesMiddleware:
    """Reports the outcome of every request that ends in an exception raised in a downloader
    middleware's `process_request` or in the download (refusals, robots.txt, DNS, timeouts…),
    whether or not it has an errback. Its priority must be below RetryMiddleware's (550), so that
    it only sees an exception once no retry is left. What is raised in a `process_response` (no
    `process_exception` sees it) is reported with `request_failed` where it is raised."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_OUTCOMES", defaults.NEWSARCHIVE_OUTCOMES):
            raise NotConfigured("NEWSARCHIVE_OUTCOMES is off")
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        outcome, reason, detail = failure_outcome(exception)
        key = url_key(request.url)
        report(
            self.crawler.signals,
            key,
            outcome,
            reason,
            detail=detail,
            source=_source(request, key),
        )


class HttpErrorMiddleware(ScrapyHttpErrorMiddleware):
    """Scrapy's HttpErrorMiddleware, reporting the responses it refuses (`request_failed`):
    their `HttpError` reaches only the request's errback, which no middleware sees."""

    def process_spider_input(self, response: Response, spider: Spider | None = None) -> None:
        try:
            super().process_spider_input(response)
        except HttpError as exc:
            self.crawler.signals.send_catch_log(
                request_failed, request=response.request, exception=exc
            )
            raise


def _source(request: Request, url: str) -> str:
    """The publisher a request was made for: the spider says so in meta; else its host."""
    source = request.meta.get("source")
    return source if isinstance(source, str) else host_of(url)


def _item_url(item: Any) -> str | None:
    if isinstance(item, PageItem):
        return item.final_url
    if isinstance(item, RevisitItem):
        return item.url
    return None
