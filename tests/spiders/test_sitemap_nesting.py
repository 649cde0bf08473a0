"""The story spider's guard against sitemap indexes that list themselves or nest without end."""

from __future__ import annotations

from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.core.story import Source, Story
from spiders.story import StorySpider

BASE = "http://127.0.0.1:8001"
STORY = Story(name="s", title="s", sources=(Source("A", f"{BASE}/"),))


def index(*children: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{BASE}{c}</loc></sitemap>" for c in children)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'.encode()


def parse(spider: StorySpider, path: str, body: bytes, chain: list[str]) -> list[Request]:
    meta = {"source": "127.0.0.1:8001", "sitemap_chain": chain}
    request = Request(f"{BASE}{path}", meta=meta)
    return list(spider.parse_sitemap(XmlResponse(request.url, body=body, request=request)))


def make_spider(**settings: object) -> StorySpider:
    crawler = get_crawler(StorySpider, dict(settings))
    spider: StorySpider = StorySpider.from_crawler(crawler, story=STORY)
    return spider


def test_an_index_listing_itself_or_its_parent_is_not_followed_again() -> None:
    spider = make_spider()
    requests = parse(
        spider, "/child.xml", index("/child.xml", "/root.xml", "/news.xml"), [f"{BASE}/root.xml"]
    )
    assert [r.url for r in requests] == [f"{BASE}/news.xml"]
    assert requests[0].meta["sitemap_chain"] == [f"{BASE}/root.xml", f"{BASE}/child.xml"]
    assert spider.crawler.stats.get_value("discovery/sitemap_loop") == 2


def test_indexes_nested_deeper_than_the_setting_are_not_followed() -> None:
    spider = make_spider(NEWSARCHIVE_SITEMAP_DEPTH=2)
    assert len(parse(spider, "/1.xml", index("/2.xml"), [f"{BASE}/0.xml"])) == 1
    assert parse(spider, "/2.xml", index("/3.xml"), [f"{BASE}/0.xml", f"{BASE}/1.xml"]) == []
    assert spider.crawler.stats.get_value("discovery/skipped/sitemap_depth") == 1
