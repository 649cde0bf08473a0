"""The spider requests a URL as it was published; its normalised form is the identity."""

from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.core import meta
from crawler.core.story import Source, Story
from spiders.story import StorySpider

BASE = "http://127.0.0.1:8001"
STORY = Story(name="s", title="s", sources=(Source("A", f"{BASE}/", feeds=(f"{BASE}/feed",)),))
FEED_FORM = f"{BASE}/story/a/?utm_source=RSS_Feed&utm_medium=RSS"
HOME_FORM = f"{BASE}/story/a/?utm_medium=RSS&utm_source=RSS_Feed"
PLAIN = f"{BASE}/story/a/"


def spider() -> StorySpider:
    crawler = get_crawler(
        StorySpider, {"REQUEST_FINGERPRINTER_CLASS": "crawler.identity.IdentityFingerprinter"}
    )
    made: StorySpider = StorySpider.from_crawler(crawler, story=STORY)
    return made


def test_a_feed_link_is_requested_as_published_with_its_identity_in_meta() -> None:
    feed = (
        '<rss version="2.0"><channel><item><title>A</title>'
        f"<link>{FEED_FORM.replace('&', '&amp;')}#top</link></item></channel></rss>"
    ).encode()
    request = Request(f"{BASE}/feed", meta={"source": "127.0.0.1:8001", "via": "feed"})
    [page] = spider().parse_feed(XmlResponse(request.url, body=feed, request=request))
    assert page.url == FEED_FORM  # tracking query kept, fragment dropped
    assert page.meta[meta.IDENTITY] == PLAIN


def test_a_second_published_form_is_a_duplicate() -> None:
    made = spider()
    home = f'<a href="{HOME_FORM.replace("&", "&amp;")}">A</a>'.encode()
    request = Request(f"{BASE}/", meta={"source": "127.0.0.1:8001", "via": "home", "follow": 1})
    response = HtmlResponse(
        request.url, body=home, request=request, headers={"Content-Type": "text/html"}
    )
    [link] = [r for r in made.parse_page(response) if isinstance(r, Request)]
    assert (link.url, link.meta[meta.IDENTITY]) == (HOME_FORM, PLAIN)
    dupes = RFPDupeFilter.from_crawler(made.crawler)
    first = Request(FEED_FORM, meta={meta.IDENTITY: PLAIN})
    assert not dupes.request_seen(first)
    assert dupes.request_seen(link)
