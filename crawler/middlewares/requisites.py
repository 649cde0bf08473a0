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
(archived as a revisit of its last capture: the same bytes, or a 304) whose requisites no crawl
asked for (`Capture.requisites_asked`: an earlier crawl may have had requisites off, or been
distributed) is read, from the answer or for a 304 from the archived record, and asks only for
its requisites that no crawl archived: those archived stand with the capture the revisit refers
to. An unchanged page whose requisites were asked for is not read at all.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, TextResponse

from crawler import settings as defaults
from crawler.core.datadir import settings_warc_dir
from crawler.core.page import PageInput
from crawler.core.record import WarcReadError
from crawler.core.requisites import REQUISITE, requisites_on
from crawler.core.revisit import PreviousCapture
from crawler.core.urls import host_of, normalise_url
from crawler.discovery.requisites import Needed, css_requisites, page_requisites
from crawler.extensions.database import database_of
from crawler.services.frontier import requisite_captures
from crawler.signals import report
from storage.warc import page_from_record, read_record, resolve_warc_path

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not requisites_on(settings):
            raise NotConfigured("REQUISITES_ENABLED is off, or the crawl is distributed")
        middleware = cls(
            crawler,
            max_per_page=settings.getint(
                "REQUISITES_MAX_PER_PAGE", defaults.REQUISITES_MAX_PER_PAGE
            ),
            max_bytes=settings.getint("REQUISITES_MAX_BYTES", defaults.REQUISITES_MAX_BYTES),
            priority=settings.getint("REQUISITES_PRIORITY", defaults.REQUISITES_PRIORITY),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    async def spider_opened(self) -> None:
        """The last capture of each non-HTML URL, to revisit against (the crawl's database, read
        in its database thread)."""
        try:
            database = database_of(self.crawler)
            self.previous = await database.run(requisite_captures) if database.stores else {}
        except Exception:  # no database (a crawl that stores nothing): every requisite is new
            logger.debug("No previous captures of requisites", exc_info=True)
            self.previous = {}

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
        if meta.get(REQUISITE) is not None or not meta.get("source"):
            return
        if meta.get("unchanged"):
            yield from self._for_unchanged(response, meta.get("previous"))
            return
        if response.status != 200 or not isinstance(response, HtmlResponse):
            return
        try:
            needed = page_requisites(response.text, response.url)
        except ValueError:  # a body that does not decode
            return
        yield from self._requests(needed, response.url)

    def _for_unchanged(
        self, response: Response, previous: PreviousCapture | None
    ) -> Iterator[Request]:
        """An unchanged page (the same bytes again, or a 304) whose requisites no crawl asked for
        (a crawl with requisites off or distributed; `PreviousCapture.requisites_asked`): those
        never archived are asked for now, those archived stand, as the revisit refers to them.
        A page whose requisites were asked for is not read at all."""
        if previous is None or previous.requisites_asked:
            return
        stats = self.crawler.stats
        assert stats is not None
        if response.status == 200:
            if not isinstance(response, HtmlResponse):
                return
            try:
                text = response.text
            except ValueError:
                return
        else:  # a 304: the body is the previous capture's
            page = self._archived_page(previous)
            if page is None or not page.is_html:
                return
            # decoded as Scrapy decodes a live page (headers' charset, then the body's)
            archived = HtmlResponse(response.url, headers=list(page.headers), body=page.body)
            try:
                text = archived.text
            except ValueError:
                return
        stats.inc_value("requisites/unchanged_page_read")
        try:
            needed = page_requisites(text, response.url)
        except ValueError:
            return
        needed = [item for item in needed if not self._archived(item.url)]
        if not needed:
            return
        stats.inc_value("requisites/unchanged_page_missing")
        yield from self._requests(needed, response.url)

    def _archived_page(self, previous: PreviousCapture) -> PageInput | None:
        """The page of the previous capture, read from its WARC record; None when it cannot be
        (a record moved, damaged, or not a response)."""
        if previous.warc_filename is None or previous.warc_offset is None:
            return None
        path = resolve_warc_path(settings_warc_dir(self.crawler.settings), previous.warc_filename)
        try:
            return page_from_record(read_record(path, previous.warc_offset, verify=False))
        except (OSError, ValueError, WarcReadError):
            logger.debug("Could not read %s for its requisites", previous.url, exc_info=True)
            return None

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
