"""The limits middlewares, on requests and responses made by hand (no download)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    StopDownload,
)
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.core import meta
from crawler.middlewares.limits import DecompressionMiddleware, LimitsMiddleware, RedirectMiddleware
from crawler.refusals import RedirectLoop, TooLarge, TooManyRedirects, UrlTooLong

BASE = "http://127.0.0.1:8001"


def crawler_with(**settings: Any) -> Any:
    return get_crawler(settings_dict={"REDIRECT_MAX_TIMES": 3, **settings})


def redirect(middleware: RedirectMiddleware, request: Request, location: str) -> Any:
    response = Response(request.url, status=302, headers={"Location": location})
    return middleware.process_response(request, response)


def test_a_redirect_back_into_its_chain_is_a_loop() -> None:
    crawler = crawler_with()
    middleware = RedirectMiddleware.from_crawler(crawler)
    first = Request(f"{BASE}/a")
    second = redirect(middleware, first, "/b")
    assert isinstance(second, Request) and second.url == f"{BASE}/b"
    with pytest.raises(RedirectLoop) as refused:
        redirect(middleware, second, "/a")
    assert refused.value.reason == "redirect-loop"
    assert f"(redirected from {BASE}/a)" in str(refused.value)
    assert crawler.stats.get_value("redirect/loop") == 1


def test_a_page_redirecting_to_itself_is_a_loop() -> None:
    middleware = RedirectMiddleware.from_crawler(crawler_with())
    with pytest.raises(RedirectLoop):
        redirect(middleware, Request(f"{BASE}/self"), "/self")


def test_a_chain_longer_than_redirect_max_times_is_refused() -> None:
    crawler = crawler_with()
    middleware = RedirectMiddleware.from_crawler(crawler)
    request = Request(f"{BASE}/0")
    for step in range(1, 4):
        request = redirect(middleware, request, f"/{step}")
        assert isinstance(request, Request)
    with pytest.raises(TooManyRedirects) as refused:
        redirect(middleware, request, "/4")
    assert isinstance(refused.value, IgnoreRequest)
    assert "4 redirects, REDIRECT_MAX_TIMES is 3" in str(refused.value)
    assert crawler.stats.get_value("redirect/too_many") == 1


def gzip_response(size: int) -> tuple[Request, Response]:
    request = Request(f"{BASE}/bomb")
    body = gzip.compress(b"\0" * size)
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/html"}
    return request, HtmlResponse(request.url, body=body, headers=headers)


def test_a_body_decompressing_past_download_maxsize_is_too_large() -> None:
    crawler = crawler_with(DOWNLOAD_MAXSIZE=1024 * 1024)
    middleware = DecompressionMiddleware.from_crawler(crawler)
    with pytest.raises(TooLarge, match="decompress to more than DOWNLOAD_MAXSIZE"):
        middleware.process_response(*gzip_response(4 * 1024 * 1024))
    assert crawler.stats.get_value("fetch/too_large") == 1


def test_a_body_within_download_maxsize_is_decompressed() -> None:
    middleware = DecompressionMiddleware.from_crawler(crawler_with(DOWNLOAD_MAXSIZE=1024 * 1024))
    response = middleware.process_response(*gzip_response(1000))
    assert isinstance(response, Response) and response.body == b"\0" * 1000


def test_an_overlong_url_is_not_requested() -> None:
    crawler = crawler_with(URLLENGTH_LIMIT=100)
    middleware = LimitsMiddleware.from_crawler(crawler)
    middleware.process_request(Request(f"{BASE}/short"))
    with pytest.raises(UrlTooLong, match="characters, over 100"):
        middleware.process_request(Request(f"{BASE}/" + "a" * 200))
    assert crawler.stats.get_value("fetch/url_too_long") == 1


def test_a_download_cut_at_maxsize_is_too_large_and_a_timeout_is_counted() -> None:
    crawler = crawler_with()
    middleware = LimitsMiddleware.from_crawler(crawler)
    request = Request(f"{BASE}/huge")
    with pytest.raises(TooLarge) as refused:
        middleware.process_exception(request, DownloadCancelledError())
    assert refused.value.reason == "too-large"
    assert middleware.process_exception(request, DownloadTimeoutError()) is None
    assert crawler.stats.get_value("fetch/timeout") == 1


def test_robots_txt_is_cut_at_its_limit_and_marked_truncated() -> None:
    crawler = crawler_with(NEWSARCHIVE_ROBOTSTXT_MAXSIZE=1000)
    middleware = LimitsMiddleware.from_crawler(crawler)
    robots = Request(f"{BASE}/robots.txt", meta={"dont_obey_robotstxt": True})
    page = Request(f"{BASE}/page")
    middleware.bytes_received(b"x" * 600, robots)
    middleware.bytes_received(b"x" * 2000, page)  # not robots.txt: no limit here
    with pytest.raises(StopDownload) as stopped:
        middleware.bytes_received(b"x" * 600, robots)
    assert stopped.value.fail is False  # what arrived is parsed
    assert robots.meta[meta.TRUNCATED] == "length"
    assert meta.TRUNCATED not in page.meta
    assert crawler.stats.get_value("fetch/robots_truncated") == 1
