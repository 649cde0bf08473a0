"""`extra_articles` for benchmarks: many more pages, reachable, generated and served fast."""

from __future__ import annotations

import html
import http.client
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from crawler.simweb import SimArticle, SimWeb
from tests.simweb.helpers import article_links, feed_dates, fetch, sitemap_dates, untracked

EXTRA = 1000


@pytest.fixture(scope="module")
def big() -> Iterator[SimWeb]:
    started = time.perf_counter()
    with SimWeb(extra_articles=EXTRA) as running:
        assert time.perf_counter() - started < 3, "generating must be fast"
        yield running


@pytest.fixture(scope="module")
def extra(big: SimWeb) -> list[SimArticle]:
    """The articles `extra_articles` added: those a default web does not have."""
    with SimWeb() as small:
        base = {(a.publisher, urlsplit(a.url).path) for a in small.truth.articles}
    return [a for a in big.truth.articles if (a.publisher, urlsplit(a.url).path) not in base]


def archive_urls(web: SimWeb) -> set[str]:
    """Article URLs on every publisher's /archive/ pages, found by following the pager."""
    found: set[str] = set()
    for publisher in web.publishers:
        first = publisher.base_url + "archive/?page=1"
        pages, queue = {first}, [first]
        while queue:
            page = queue.pop()
            for link in article_links(page, fetch(page).text):
                if "/archive/?page=" in link and link not in pages:
                    pages.add(link)
                    queue.append(link)
                else:
                    found.add(link)
        assert len(pages) > 1, "the archive is paginated"
    return found


def test_extra_articles_are_off_topic_in_window_and_spread(
    big: SimWeb, extra: list[SimArticle]
) -> None:
    assert len(extra) == EXTRA
    assert not any(a.on_topic for a in extra)
    assert all(a.in_window and a.paragraphs for a in extra)
    assert len({a.host for a in extra}) == 5, "spread over the publishers"
    assert len({a.url for a in extra}) == EXTRA


def test_every_extra_article_is_reachable_and_served(big: SimWeb, extra: list[SimArticle]) -> None:
    listed: set[str] = set()
    for publisher in big.publishers:
        for feed in publisher.feeds:
            listed |= {untracked(u) for u in feed_dates(feed)}
        for sitemap in publisher.sitemaps:
            listed |= set(sitemap_dates(sitemap))
        robots = fetch(publisher.base_url + "robots.txt").text
        for line in robots.splitlines():
            if line.startswith("Sitemap: "):
                listed |= set(sitemap_dates(line.removeprefix("Sitemap: ")))
    assert {a.url for a in extra} <= archive_urls(big)
    # Every publisher but the sections-only one lists them in its feed or sitemaps too.
    assert {a.url for a in extra if a.publisher != "Continental Herald"} <= listed
    started = time.perf_counter()
    by_host: dict[str, list[SimArticle]] = {}
    for article in extra:
        by_host.setdefault(article.host, []).append(article)
    for host, articles in by_host.items():
        conn = http.client.HTTPConnection(host, timeout=10)
        for article in articles:
            conn.request("GET", urlsplit(article.url).path)
            resp = conn.getresponse()
            body = resp.read().decode()
            assert resp.status == 200, article.url
            assert html.escape(article.paragraphs[-1], quote=False) in body
        conn.close()
    assert time.perf_counter() - started < 5, "serving must be fast"
