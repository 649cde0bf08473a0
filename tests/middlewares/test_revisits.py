"""The revisit middleware and its policy, without a reactor: the frontier is given."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from crawler.core import meta
from crawler.core.revisit import PreviousCapture
from crawler.core.story import Source, Story
from crawler.middlewares.revisits import (
    REVISIT_META,
    KnownArticle,
    RevisitMiddleware,
    RevisitPolicy,
    RevisitStartMiddleware,
)
from spiders.story import StorySpider
from storage.db.frontier import Frontier

BASE = "http://127.0.0.1:8001/"
DUE, NOT_DUE, NEW, SECTION = (BASE + p for p in ("due/", "not-due/", "new/", "section/"))
LAST_PAGE, THEIRS, ROBOTS = (BASE + p for p in ("archive/?page=9", "theirs/", "robots.txt"))
STORY = Story(name="s", title="s", sources=(Source("A", BASE),))
PREVIOUS = {
    url: PreviousCapture(url, f"<urn:uuid:{n}>", url, datetime(2025, 3, 1, tzinfo=UTC), "sha1:X",
                         etag=f'"{n}"')
    for n, url in enumerate((DUE, NOT_DUE, SECTION, BASE, LAST_PAGE, THEIRS, ROBOTS))
}  # fmt: skip
FRONTIER = Frontier(
    previous=PREVIOUS,
    due=[DUE],
    skip={NOT_DUE: "not-due"},
    published={DUE: DUE + "?utm_source=rss"},
    unjudged=frozenset({THEIRS}),
)


def middleware() -> tuple[RevisitMiddleware, StorySpider]:
    crawler = get_crawler(StorySpider)
    spider: StorySpider = StorySpider.from_crawler(crawler, story=STORY)
    crawler.spider = spider
    revisits = RevisitMiddleware.from_crawler(crawler)
    homes = {BASE}

    async def load() -> RevisitPolicy:
        return RevisitPolicy(FRONTIER, homes)

    revisits._load = load  # type: ignore[method-assign]
    return revisits, spider


def request(url: str, **extra: object) -> Request:
    return Request(url, meta={meta.IDENTITY: url, meta.VIA: "link", meta.FOLLOW: 0, **extra})


def test_a_known_article_not_due_is_refused_with_its_reason() -> None:
    revisits, spider = middleware()
    with pytest.raises(KnownArticle) as refused:
        asyncio.run(revisits.process_request(request(NOT_DUE)))
    assert refused.value.reason == "known-not-due"
    assert spider.crawler.stats.get_value("discovery/skipped/not-due") == 1


def test_a_due_article_met_by_discovery_becomes_its_revisit() -> None:
    revisits, _ = middleware()
    found = request(DUE + "?utm_source=rss", **{meta.IDENTITY: DUE})
    asyncio.run(revisits.process_request(found))
    assert found.meta[meta.VIA] == "revisit"
    assert {k: found.meta[k] for k in REVISIT_META} == REVISIT_META
    assert found.meta[meta.PREVIOUS] == PREVIOUS[DUE]
    assert found.headers[b"If-None-Match"] == b'"0"'


def test_a_listing_carries_its_previous_capture_but_no_validators() -> None:
    revisits, _ = middleware()
    listing = request(SECTION, **{meta.FOLLOW: 1})
    leaf = request(NEW)
    home = request(BASE, **{meta.FOLLOW: 2, meta.VIA: "home"})
    for r in (listing, leaf, home):
        asyncio.run(revisits.process_request(r))
    assert listing.meta[meta.PREVIOUS] == PREVIOUS[SECTION]
    assert b"If-None-Match" not in listing.headers
    assert meta.PREVIOUS not in leaf.meta
    assert home.meta[meta.PREVIOUS] == PREVIOUS[BASE] and home.meta[meta.VIA] == "home"


def test_every_known_page_carries_its_previous_capture_but_one_this_story_never_judged() -> None:
    """A pagination page reached at the last depth (no links followed) is known: the same bytes
    again are a revisit record. Another story's article must be extracted for this one."""
    revisits, _ = middleware()
    last_page, theirs = request(LAST_PAGE), request(THEIRS)
    for r in (last_page, theirs):
        asyncio.run(revisits.process_request(r))
    assert last_page.meta[meta.PREVIOUS] == PREVIOUS[LAST_PAGE]
    assert last_page.meta[meta.VIA] == "link" and b"If-None-Match" not in last_page.headers
    assert meta.PREVIOUS not in theirs.meta


def test_robots_txt_carries_its_previous_capture_and_nothing_else() -> None:
    revisits, _ = middleware()
    robots = Request(ROBOTS)
    unknown = Request("http://127.0.0.1:8002/robots.txt")
    for r in (robots, unknown):
        asyncio.run(revisits.process_request(r))
    assert robots.meta == {meta.PREVIOUS: PREVIOUS[ROBOTS]}
    assert b"If-None-Match" not in robots.headers
    assert meta.PREVIOUS not in unknown.meta


def test_the_crawl_starts_with_the_due_revisits_as_last_published() -> None:
    revisits, spider = middleware()
    spider.crawler.get_downloader_middleware = lambda cls: revisits  # type: ignore[method-assign]
    starts = RevisitStartMiddleware.from_crawler(spider.crawler)

    async def collect() -> list[Request]:
        return [r async for r in starts.process_start(spider.start())]

    first, *rest = asyncio.run(collect())
    assert (first.url, first.meta[meta.IDENTITY], first.meta[meta.VIA]) == (
        DUE + "?utm_source=rss",
        DUE,
        "revisit",
    )
    assert [r.url for r in rest] == [BASE]
    assert spider.crawler.stats.get_value("discovery/revisits") == 1
