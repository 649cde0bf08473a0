"""The hostile publisher serves what it says, and only when asked for."""

from __future__ import annotations

import http.client
import time
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import brotli
import pytest

from crawler.core.story import parse_story
from crawler.simweb import SimWeb
from crawler.simweb.hostile import (
    ATTACKS,
    CLOSED_PORT,
    HUGE_SIZE,
    NOT_LINKED,
    brotli_bomb,
    zlib_bomb,
)
from tests.simweb.helpers import fetch, page_links

SMALL = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def web() -> Iterator[SimWeb]:
    with SimWeb(hostile_publisher=True) as web:
        yield web


@pytest.mark.parametrize(("wbits", "coding"), [(31, "gzip"), (15, "deflate")])
def test_zlib_bombs_are_valid_streams_of_their_size(wbits: int, coding: str) -> None:
    bomb = zlib_bomb(wbits, SMALL)
    assert len(bomb) < SMALL / 500, coding
    decompressor = zlib.decompressobj(wbits)
    size, data = 0, bomb
    while data:
        size += len(decompressor.decompress(data, 1024 * 1024))
        data = decompressor.unconsumed_tail
    assert decompressor.eof  # the trailer's checksum and length matched
    assert size == SMALL


def test_the_brotli_bomb_is_a_valid_stream_of_its_size() -> None:
    bomb = brotli_bomb(SMALL)
    assert len(bomb) < SMALL / 500
    assert brotli.decompress(bomb) == b"\0" * SMALL


def test_the_default_web_has_no_hostile_publisher() -> None:
    with SimWeb() as web:
        assert web.hostile is None
        assert "Hostile" not in web.story_toml()


def test_the_story_file_names_the_hostile_publisher(web: SimWeb) -> None:
    assert web.hostile is not None
    story = parse_story(web.story_toml())
    source = next(s for s in story.sources if s.host == web.hostile.host)
    assert list(source.feeds) == web.hostile.feeds
    assert list(source.sitemaps) == web.hostile.sitemaps


def test_the_home_page_links_its_attacks_and_only_loopback_elsewhere(web: SimWeb) -> None:
    assert web.hostile is not None
    home = fetch(web.hostile.base_url)
    links = set(page_links(web.hostile.base_url, home.body.decode()))
    linked = {web.hostile.attacks[name] for name in ATTACKS if name not in NOT_LINKED}
    assert linked <= links
    others = {urlsplit(link).hostname for link in links} - {"127.0.0.1"}
    assert others == {"127.0.0.2", "::1"}
    assert f"http://127.0.0.1:{CLOSED_PORT}/admin" in links


def test_bombs_are_small_on_the_wire_with_a_content_encoding(web: SimWeb) -> None:
    assert web.hostile is not None
    for name, coding in (("gzip-bomb", "gzip"), ("deflate-bomb", "deflate"), ("brotli-bomb", "br")):
        response = fetch(web.hostile.attacks[name])
        assert response.header("Content-Encoding") == coding
        assert len(response.body) < 4 * 1024 * 1024


def test_redirects_lead_where_they_say(web: SimWeb) -> None:
    assert web.hostile is not None
    attacks = web.hostile.attacks
    assert fetch(attacks["redirect-self"]).header("Location") == "/redirect/self"
    assert fetch(attacks["redirect-internal"]).header("Location") == (
        f"http://127.0.0.2:{web.hostile.port}/"
    )
    long = fetch(attacks["redirect-long-url"]).header("Location")
    assert long is not None and len(long) > 2083


def test_the_huge_body_announces_a_gigabyte(web: SimWeb) -> None:
    assert web.hostile is not None
    parts = urlsplit(web.hostile.attacks["huge-with-length"])
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        assert response.getheader("Content-Length") == str(HUGE_SIZE)
        assert len(response.read(1024 * 1024)) == 1024 * 1024
    finally:
        conn.close()


def test_the_slow_body_trickles(web: SimWeb) -> None:
    assert web.hostile is not None
    parts = urlsplit(web.hostile.attacks["slow-loris"])
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        started = time.monotonic()
        assert response.read(2) == b"  "
        assert time.monotonic() - started >= 0.9
    finally:
        conn.close()


def test_robots_txt_is_ten_megabytes(web: SimWeb) -> None:
    assert web.hostile is not None
    body = fetch(web.hostile.url("/robots.txt")).body
    assert 10 * 1024 * 1024 - 100 <= len(body) <= 10 * 1024 * 1024
    assert body.startswith(b"User-agent: *\n")
