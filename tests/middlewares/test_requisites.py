"""The requisites middleware on a page that came back unchanged (a revisit record)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.core.revisit import PreviousCapture
from crawler.middlewares import requisites
from crawler.middlewares.requisites import REQUISITE, RequisitesMiddleware

PAGE = "http://127.0.0.1:8001/news/one/"
CSS, IMG = "http://127.0.0.1:8001/site.css", "http://127.0.0.1:8001/photo.jpg"
REFERRED = "<urn:uuid:page>"
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


def referred() -> PreviousCapture:
    """The capture of the page's body that a revisit of it refers to."""
    return PreviousCapture(PAGE, REFERRED, PAGE, datetime(2025, 3, 1, tzinfo=UTC), "x")


def answer(**meta: object) -> HtmlResponse:
    request = Request(PAGE, meta={"source": "A", **meta})
    return HtmlResponse(PAGE, status=200, body=BODY.encode(), encoding="utf-8", request=request)


def asked(found: RequisitesMiddleware, response: HtmlResponse) -> set[str]:
    return {r.url for r in found.process_spider_output(response, []) if isinstance(r, Request)}


def test_an_unchanged_page_asks_for_the_requisites_no_crawl_archived() -> None:
    """Its last capture may come from a crawl with requisites off: the revisit refers to bytes
    whose stylesheet and images must still be archived once."""
    found = middleware(archived=(CSS,))
    requests = list(found.process_spider_output(answer(unchanged="identical-payload-digest"), []))
    assert [(r.url, r.meta[REQUISITE]) for r in requests] == [(IMG, "image")]
    assert found.crawler.stats is not None
    assert found.crawler.stats.get_value("requisites/unchanged_page_missing") == 1


def test_an_unchanged_page_whose_requisites_are_archived_asks_for_nothing() -> None:
    found = middleware(archived=(CSS, IMG))
    assert asked(found, answer(unchanged="identical-payload-digest")) == set()
    assert found.crawler.stats is not None
    assert found.crawler.stats.get_value("requisites/unchanged_page_missing") is None


def test_a_changed_page_asks_for_every_requisite_archived_or_not() -> None:
    assert asked(middleware(archived=(CSS, IMG)), answer()) == {CSS, IMG}


def test_an_unchanged_page_whose_requisites_are_all_archived_is_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The body it refers to was read by an earlier crawl and every requisite found there is
    archived (`page_requisites`): nothing but the revisit path runs for the same bytes again."""
    found = middleware(archived=(CSS, IMG))
    found.known = {REFERRED}

    def unread(*args: object) -> None:
        raise AssertionError("the page was read for requisites")

    monkeypatch.setattr(requisites, "page_requisites", unread)
    assert asked(found, answer(unchanged="identical-payload-digest", previous=referred())) == set()
    assert found.found == []


def test_an_unchanged_page_not_known_is_read_and_its_requisites_recorded_for_its_body() -> None:
    found = middleware(archived=(CSS,))
    response = answer(unchanged="identical-payload-digest", previous=referred())
    assert asked(found, response) == {IMG}
    assert found.found == [(REFERRED, [CSS, IMG])]


def test_a_new_page_records_its_requisites_under_its_own_record() -> None:
    found = middleware(archived=())
    assert asked(found, answer(warc_record_id="<urn:uuid:new>")) == {CSS, IMG}
    assert found.found == [("<urn:uuid:new>", [CSS, IMG])]
