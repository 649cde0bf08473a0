"""Page requisites: the stylesheets, images, fonts and scripts a page loads, archived with it so
that it replays as it looked (docs/crawling.md#page-requisites).

A spider middleware: after the spider's own output for an HTML page of a story source, it asks
for what the page loads (`crawler.discovery.requisites`), from any host, and for what the
stylesheets load in turn. The requests go through the downloader like any other (robots.txt, the
address guard, per-host politeness: a download slot per host) and the WARC extension archives the
answers; nothing else is made of them: no items, so never an article and never coverage (their
URL outcome is `archived` / `requisite`). Each URL is asked for once per crawl; one archived by
an earlier crawl carries that capture (`meta["previous"]`) and its validators, so that an
unchanged requisite is archived as a revisit (a 304, or the same digest again). An unchanged page
(archived as a revisit of its last capture) asks only for its requisites that no crawl archived
(an earlier crawl may have had requisites off, been distributed, or failed to get them): those
archived stand with the capture the revisit refers to. What a page loads is stored by the record
that holds its body (`page_requisites`), so an unchanged page whose requisites were all archived
is not read at all: nothing but the revisit path runs for it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, TextResponse

from crawler import settings as defaults
from crawler.core import meta as core_meta
from crawler.core.revisit import PreviousCapture
from crawler.core.urls import host_of, normalise_url
from crawler.discovery.requisites import Needed, css_requisites, page_requisites
from crawler.extensions.database import database_of
from crawler.services.frontier import record_requisites, requisite_captures, requisites_known
from crawler.signals import report

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

REQUISITE = "requisite"
"""`request.meta` key: the kind of requisite a request is for."""
BATCH = 200
"""Pages whose requisites are stored in one write."""


class RequisitesMiddleware:
    """Asks for each HTML page's requisites, at most `REQUISITES_MAX_PER_PAGE` new ones a page
    (and a stylesheet), each answer at most `REQUISITES_MAX_BYTES`; counted in `requisites/*`."""

    def __init__(self, crawler: Crawler, *, max_per_page: int, max_bytes: int, priority: int):
        self.crawler = crawler
        self.max_per_page = max_per_page
        self.max_bytes = max_bytes
        self.priority = priority
        self.asked: set[str] = set()
        self.previous: dict[str, PreviousCapture] = {}
        self.known: set[str] = set()
        """Record ids of page bodies whose requisites are all archived (`page_requisites`)."""
        self.found: list[tuple[str, list[str]]] = []
        """(record id of a body read this crawl, its requisites), not stored yet."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("REQUISITES_ENABLED", defaults.REQUISITES_ENABLED):
            raise NotConfigured("REQUISITES_ENABLED is off")
        if settings.get("NEWSARCHIVE_REDIS_URL"):
            # a shared frontier serialises requests, and these call back into this middleware
            raise NotConfigured("page requisites are not fetched by distributed crawls yet")
        middleware = cls(
            crawler,
            max_per_page=settings.getint(
                "REQUISITES_MAX_PER_PAGE", defaults.REQUISITES_MAX_PER_PAGE
            ),
            max_bytes=settings.getint("REQUISITES_MAX_BYTES", defaults.REQUISITES_MAX_BYTES),
            priority=settings.getint("REQUISITES_PRIORITY", defaults.REQUISITES_PRIORITY),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def spider_opened(self) -> None:
        """The last capture of each non-HTML URL, to revisit against (the crawl's database, read
        in its database thread)."""
        try:
            database = database_of(self.crawler)
            if database.stores:
                self.previous = await database.run(requisite_captures)
                self.known = await database.run(requisites_known, self.previous)
        except Exception:  # no database (a crawl that stores nothing): every requisite is new
            logger.debug("No previous captures of requisites", exc_info=True)
            self.previous = {}
            self.known = set()

    def spider_closed(self) -> None:
        """Store what the pages read since the last write load."""
        self._store(everything=True)

    def _store(self, *, everything: bool = False) -> None:
        if not self.found or (len(self.found) < BATCH and not everything):
            return
        pages, self.found = self.found, []
        try:
            database = database_of(self.crawler)
        except Exception:  # no database: nothing is stored anyway
            return
        if database.stores:
            database.submit(record_requisites, pages).add_done_callback(_log_failure)

    # -- the spider's output ---------------------------------------------------------------------

    # `spider` is optional: older Scrapy versions pass it, newer ones do not (and warn when a
    # middleware requires it).
    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Any = None
    ) -> Iterator[Any]:
        yield from result
        yield from self._for_page(response)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        async for item in result:
            yield item
        for request in self._for_page(response):
            yield request

    def _for_page(self, response: Response) -> Iterator[Request]:
        meta = response.meta
        if meta.get(REQUISITE) is not None or not isinstance(response, HtmlResponse):
            return
        if response.status != 200 or not meta.get("source"):
            return
        unchanged = bool(meta.get(core_meta.UNCHANGED))
        body: str | None = meta.get(core_meta.WARC_RECORD_ID)
        if unchanged:
            previous: PreviousCapture | None = meta.get(core_meta.PREVIOUS)
            body = None if previous is None else previous.record_id
            if body is not None and body in self.known:
                # the same bytes as a body whose requisites were all archived: not read
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("requisites/unchanged_page_known")
                return
        try:
            needed = page_requisites(response.text, response.url)
        except ValueError:  # a body that does not decode
            return
        if body is not None:
            self.found.append((body, _normalised(item.url for item in needed)))
            self._store()
        if unchanged:
            # The same bytes as a capture whose requisites may never have been asked for (a crawl
            # with requisites off or distributed, one that failed): those never archived are
            # asked for now; those archived before stand, as the revisit refers to them.
            needed = [item for item in needed if not self._archived(item.url)]
            if not needed:
                return
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("requisites/unchanged_page_missing")
        yield from self._requests(needed, response.url)

    def _archived(self, url: str) -> bool:
        try:
            return normalise_url(url) in self.previous
        except ValueError:
            return True  # never asked for anyway

    def _requests(self, needed: list[Needed], parent: str) -> Iterator[Request]:
        stats = self.crawler.stats
        assert stats is not None
        new = 0
        for item in needed:
            try:
                url = normalise_url(item.url)
            except ValueError:
                continue
            if url in self.asked:
                stats.inc_value("requisites/shared")
                continue
            if new >= self.max_per_page:
                stats.inc_value("requisites/over_limit")
                continue
            new += 1
            self.asked.add(url)
            stats.inc_value(f"requisites/requested/{item.kind}")
            meta: dict[str, Any] = {
                REQUISITE: item.kind,
                "requisite_of": parent,
                "download_slot": host_of(url),
                "download_maxsize": self.max_bytes,
                "handle_httpstatus_list": [304],
            }
            headers: dict[str, str] = {}
            previous = self.previous.get(url)
            if previous is not None:
                meta["previous"] = previous
                headers = previous.conditional_headers()
            yield Request(
                url,
                callback=self._answered,
                errback=self._failed,
                meta=meta,
                headers=headers,
                priority=self.priority,
            )

    # -- the answers -----------------------------------------------------------------------------

    def _answered(self, response: Response) -> Iterator[Request]:
        stats = self.crawler.stats
        assert stats is not None
        kind = response.meta.get(REQUISITE)
        stats.inc_value(f"requisites/answered/{response.status}")
        unchanged = response.meta.get("unchanged")
        if unchanged:
            stats.inc_value(f"requisites/unchanged/{unchanged}")
        report(
            self.crawler.signals,
            response.url,
            "archived",
            "requisite",
            detail=f"{kind} of {response.meta.get('requisite_of')}; HTTP {response.status}",
            source=host_of(response.url),
            final=True,
        )
        if response.status == 200 and isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            if "css" in content_type.lower() or kind == "stylesheet":
                try:
                    text = response.text
                except ValueError:
                    return
                yield from self._requests(css_requisites(text, response.url), response.url)

    def _failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("requisites/failed")
        request = getattr(failure, "request", None)
        logger.debug("Requisite %s failed: %s", getattr(request, "url", "?"), failure.value)


def _normalised(urls: Iterable[str]) -> list[str]:
    """The URLs as requisites are known by (those that do not normalise are never asked for)."""
    found: dict[str, None] = {}
    for url in urls:
        try:
            found[normalise_url(url)] = None
        except ValueError:
            continue
    return list(found)


def _log_failure(future: Future[None]) -> None:
    error = future.exception()
    if error is not None:
        logger.error("Could not store the requisites of pages: %s", error)
