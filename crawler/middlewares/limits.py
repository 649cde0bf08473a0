"""Limits on what one response may cost: size, time, redirects, URL length, robots.txt size.

Scrapy already enforces most of them (docs/crawling.md, "Limits and hostile input"); these
middlewares turn its silent or generic outcomes into refusals with a reason (crawler/refusals.py),
counted under `fetch/…` and `redirect/…` and logged with the URL:

- `LimitsMiddleware`: URLs longer than URLLENGTH_LIMIT are not requested (a redirect can lead to
  one; Scrapy's UrlLengthMiddleware only sees the spider's own requests); a download Scrapy cut at
  DOWNLOAD_MAXSIZE becomes `TooLarge`; timeouts are counted; robots.txt is read only up to
  NEWSARCHIVE_ROBOTSTXT_MAXSIZE (RFC 9309 asks crawlers to read at least 500 KiB), the rest is
  not downloaded.
- `DecompressionMiddleware`: Scrapy's HttpCompressionMiddleware, which stops decompressing at
  DOWNLOAD_MAXSIZE; a body that would be larger becomes `TooLarge`.
- `RedirectMiddleware`: Scrapy's, with loops (a redirect back into its own chain) refused at once
  as `RedirectLoop` and chains longer than REDIRECT_MAX_TIMES as `TooManyRedirects`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirectMiddleware
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    StopDownload,
)
from scrapy.http import Request, Response
from scrapy.spiders import Spider

from crawler import settings as defaults
from crawler.core import meta
from crawler.identity import url_key
from crawler.refusals import (
    RedirectLoop,
    Refused,
    TooLarge,
    TooManyRedirects,
    UrlTooLong,
)
from crawler.signals import request_failed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

ROBOTS_BYTES = "robots_bytes"
"""request.meta key: robots.txt bytes received so far."""


def refuse(
    stats: StatsCollector,
    key: str,
    refusal: Refused,
    *,
    failed: tuple[SignalManager, Request] | None = None,
) -> Refused:
    """Count `refusal` under `key` and log it with its URL; returns it, to be raised. From a
    `process_response`, `failed` (the signals, the request) also sends `request_failed`: no
    `process_exception` sees what is raised there."""
    stats.inc_value(key)
    logger.warning("%s", refusal)
    if failed is not None:
        manager, request = failed
        manager.send_catch_log(request_failed, request=request, exception=refusal)
    return refusal


def origin(request: Request) -> str:
    """' (redirected from URL)' naming where a redirect chain began, or ''."""
    chain = request.meta.get("redirect_urls")
    return f" (redirected from {chain[0]})" if chain else ""


def is_robots_request(request: Request) -> bool:
    """A robots.txt fetch of Scrapy's RobotsTxtMiddleware."""
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == (
        "/robots.txt"
    )


class LimitsMiddleware:
    """Long URLs refused, oversized downloads and timeouts reported, robots.txt cut short.

    Runs next to the engine (priority 45): its `process_exception` sees a failure only once the
    retry middleware has given up on it."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.url_limit = settings.getint("URLLENGTH_LIMIT")
        self.max_size = settings.getint("DOWNLOAD_MAXSIZE")
        self.robots_max = settings.getint(
            "NEWSARCHIVE_ROBOTSTXT_MAXSIZE", defaults.NEWSARCHIVE_ROBOTSTXT_MAXSIZE
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        if middleware.robots_max > 0:
            crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def process_request(self, request: Request) -> None:
        if self.url_limit and len(request.url) > self.url_limit:
            shown = request.url[:200] + "…"
            raise refuse(
                self.stats,
                "fetch/url_too_long",
                UrlTooLong(
                    shown,
                    f"{len(request.url)} characters, over {self.url_limit}{origin(request)}",
                ),
            )

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError):
            # Scrapy's HTTP/1.1 handler cancels a download only when it passes DOWNLOAD_MAXSIZE
            # (announced by Content-Length, or received); timeouts are DownloadTimeoutError.
            limit = request.meta.get("download_maxsize", self.max_size)
            raise refuse(
                self.stats,
                "fetch/too_large",
                TooLarge(request.url, f"body over DOWNLOAD_MAXSIZE ({limit} bytes)"),
            ) from exception
        if isinstance(exception, DownloadTimeoutError):
            self.stats.inc_value("fetch/timeout")  # the spider logs it with the URL

    def bytes_received(self, data: bytes, request: Request) -> None:
        """Stop a robots.txt download past NEWSARCHIVE_ROBOTSTXT_MAXSIZE: what arrived is
        parsed, and archived marked WARC-Truncated: length."""
        if not is_robots_request(request):
            return
        received = request.meta.get(ROBOTS_BYTES, 0) + len(data)
        request.meta[ROBOTS_BYTES] = received
        if received > self.robots_max:
            request.meta[meta.TRUNCATED] = "length"
            self.stats.inc_value("fetch/robots_truncated")
            logger.warning(
                "%s truncated (too-large): read %d bytes, NEWSARCHIVE_ROBOTSTXT_MAXSIZE is %d",
                request.url,
                received,
                self.robots_max,
            )
            raise StopDownload(fail=False)


class DecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware (it stops at DOWNLOAD_MAXSIZE decompressed bytes), its
    refusal a `TooLarge` counted in `fetch/too_large`. The archive keeps the compressed body as
    it was sent."""

    def __init__(
        self, stats: StatsCollector | None = None, *, crawler: Crawler | None = None
    ) -> None:
        super().__init__(stats, crawler=crawler)
        self.signals = crawler.signals if crawler is not None else None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:  # the only one it raises: DOWNLOAD_MAXSIZE reached
            detail = (
                f"{len(response.body)} bytes decompress to more than DOWNLOAD_MAXSIZE "
                f"({request.meta.get('download_maxsize', self._max_size)} bytes)"
            )
            assert self.stats is not None and self.signals is not None
            refusal = TooLarge(request.url, detail)
            failed = (self.signals, request)
            raise refuse(self.stats, "fetch/too_large", refusal, failed=failed) from exc


class RedirectMiddleware(ScrapyRedirectMiddleware):
    """Scrapy's RedirectMiddleware, refusing loops and over-long chains with a reason."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as exc:  # the only one it raises: REDIRECT_MAX_TIMES reached
            chain = len(request.meta.get("redirect_urls", ())) + 1
            limit = self.max_redirect_times
            detail = f"{chain} redirects, REDIRECT_MAX_TIMES is {limit}{origin(request)}"
            refusal: Refused = TooManyRedirects(request.url, detail)
            failed = (self.crawler.signals, request)
            raise refuse(stats, "redirect/too_many", refusal, failed=failed) from exc
        if isinstance(result, Request):
            chain = result.meta.get("redirect_urls", [])
            if result.url in chain:
                detail = f"redirects to {result.url}, already in its chain{origin(result)}"
                refusal = RedirectLoop(request.url, detail)
                failed = (self.crawler.signals, request)
                raise refuse(stats, "redirect/loop", refusal, failed=failed)
            # Scrapy copied the meta: the new request stands for the URL it goes to
            result.meta[meta.IDENTITY] = url_key(result.url)
        return result
