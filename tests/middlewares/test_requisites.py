"""The requisites middleware on a page that came back unchanged (a revisit record)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.core.revisit import PreviousCapture
from crawler.middlewares.requisites import REQUISITE, RequisitesMiddleware

PAGE = "http://127.0.0.1:8001/news/one/"
CSS, IMG = "http://127.0.0.1:8001/site.css", "http://127.0.0.1:8001/photo.jpg"
BODY = f'<html><head><link rel="stylesheet" href="{CSS}"></head><body><img src="{IMG}"></body>'


def middleware(archived: tuple[str, ...]) -> RequisitesMiddleware:
    crawler = get_crawler(settings_dict={})
    assert crawler.stats is not None
    crawler.stats.open_spider()
    found = RequisitesMiddleware(crawler, max_per_page=40, max_bytes=1 << 20, priority=-10)
    found.previous = {
        url: PreviousCapture(url, f"<urn:uuid:{n}>", url, datetime(2025, 3, 1, tzinfo=UTC), "x")
        for n, url in enumerate(archived)
    }
    return found


PAGE_BEFORE = PreviousCapture(PAGE, "<urn:uuid:p>", PAGE, datetime(2025, 3, 1, tzinfo=UTC), "y")
"""The page's capture the revisit refers to, by a crawl that did not ask for its requisites."""


def answer(**meta: object) -> HtmlResponse:
    request = Request(PAGE, meta={"source": "A", **meta})
    return HtmlResponse(PAGE, status=200, body=BODY.encode(), encoding="utf-8", request=request)


def asked(found: RequisitesMiddleware, response: HtmlResponse) -> set[str]:
    return {r.url for r in found.process_spider_output(response, []) if isinstance(r, Request)}


def test_an_unchanged_page_asks_for_the_requisites_no_crawl_archived() -> None:
    """Its last capture may come from a crawl with requisites off: the revisit refers to bytes
    whose stylesheet and images must still be archived once."""
    found = middleware(archived=(CSS,))
    requests = list(
        found.process_spider_output(
            answer(unchanged="identical-payload-digest", previous=PAGE_BEFORE), []
        )
    )
    assert [(r.url, r.meta[REQUISITE]) for r in requests] == [(IMG, "image")]
    assert found.crawler.stats is not None
    assert found.crawler.stats.get_value("requisites/unchanged_page_missing") == 1


def test_an_unchanged_page_whose_requisites_are_archived_asks_for_nothing() -> None:
    found = middleware(archived=(CSS, IMG))
    assert asked(found, answer(unchanged="identical-payload-digest", previous=PAGE_BEFORE)) == set()
    assert found.crawler.stats is not None
    assert found.crawler.stats.get_value("requisites/unchanged_page_missing") is None


def test_a_changed_page_asks_for_every_requisite_archived_or_not() -> None:
    assert asked(middleware(archived=(CSS, IMG)), answer()) == {CSS, IMG}


def test_an_unchanged_page_whose_requisites_a_crawl_asked_for_is_not_read() -> None:
    """Those it found archived then stand; those that failed are not asked for again."""
    found = middleware(archived=(CSS,))
    before = replace(PAGE_BEFORE, requisites_asked=True)
    assert asked(found, answer(unchanged="identical-payload-digest", previous=before)) == set()
    assert found.crawler.stats is not None
    assert found.crawler.stats.get_value("requisites/unchanged_page_read") is None
