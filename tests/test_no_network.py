"""Extraction and discovery parsing never touch the network.

Pages are full of URLs (images, scripts, canonical links, DTDs, feeds' external entities): a
library that fetched one of them would leak the crawl to third parties from inside a worker, where
no politeness or address guard applies. Here every socket operation raises while the simulated
web's real pages, feeds and sitemaps go through `extract()` and the discovery parsers.
"""

from __future__ import annotations

import contextlib
import socket
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.core.page import PageInput
from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.sitemaps import SitemapError, parse_sitemap
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.simweb import SimWeb

EXTERNAL = [
    # external DTD and entity: an XML parser that resolved them would connect to 127.0.0.2
    b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.2:9/rss.dtd">'
    b'<rss version="2.0"><channel><item><link>http://127.0.0.1:1/a</link></item></channel></rss>',
    b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "http://127.0.0.2:9/x">]>'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url>'
    b"</urlset>",
]


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(scope="module")
def fetched() -> list[tuple[str, str, bytes]]:
    """(url, content type, body) of every article, feed and sitemap of the simulated web."""
    out = []
    with SimWeb() as web:
        urls = [a.url for a in web.truth.articles]
        for publisher in web.publishers:
            urls += [publisher.base_url, *publisher.feeds, *publisher.sitemaps]
        for url in urls:
            with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only
                out.append((url, response.headers.get_content_type(), response.read()))
    return out


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every attempt to resolve a name or open a connection raises, and is listed."""
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise NetworkUsed(f"{name} called during extraction: {args!r}")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    yield attempts


def test_extraction_and_parsing_use_no_network(
    fetched: list[tuple[str, str, bytes]], no_network: list[str]
) -> None:
    articles = 0
    for url, content_type, body in fetched:
        if "html" in content_type:
            page = PageInput(
                url, url, 200, (("Content-Type", content_type),), body, datetime.now(UTC)
            )
            extraction = extract(page, ExtractOptions())
            assert extraction.reason is None or not extraction.reason.startswith("error:")
            articles += extraction.article is not None
        elif "sitemap" in url:
            parse_sitemap(body)
        else:
            parse_feed(body, url, content_type)
    for body in EXTERNAL:
        for parse in (lambda b: parse_feed(b, "http://127.0.0.1:1/rss", None), parse_sitemap):
            with contextlib.suppress(FeedError, SitemapError):
                parse(body)
    assert articles >= 20
    assert no_network == []


def test_the_guard_catches_a_connection(no_network: list[str]) -> None:
    """The fixture itself works: a connection attempt is refused and listed."""
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))
    assert no_network
