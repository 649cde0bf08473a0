"""A small archive for the recovery and verify tests: WARC files written by `WarcWriter`, and
the captures the crawl would have stored for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.core.capture import Capture
from crawler.core.story import Story, parse_story
from crawler.services import exchange
from storage.warc import HttpRequestData, HttpResponseData, Location, WarcWriter

SITE = "http://news.example"
ARTICLE = (Path(__file__).parents[1] / "extraction" / "data" / "article.html").read_bytes()
"""An article page of about 400 words (tests/extraction/data)."""
ROBOTS = b"User-agent: *\nAllow: /\n"
T0 = datetime(2025, 2, 4, 12, 0, tzinfo=UTC)


STORY_TOML = f"""
name = "el-salvador"
title = "El Salvador prisons"
since = 2025-02-01
until = 2025-02-28
[match]
all = ["El Salvador"]
any = ["prison*", "jail*"]
[[sources]]
name = "News"
url = "{SITE}/"
"""


def story() -> Story:
    return parse_story(STORY_TOML)


def request(url: str) -> HttpRequestData:
    return HttpRequestData("GET", url, "HTTP/1.1", [(b"User-Agent", b"test")])


def response(body: bytes, content_type: bytes, status: int = 200) -> HttpResponseData:
    headers = [(b"Content-Type", content_type), (b"Content-Length", b"%d" % len(body))]
    return HttpResponseData(status, "OK", "HTTP/1.1", headers, body)


@dataclass(frozen=True)
class Written:
    path: Path
    captures: list[Capture]


def write_archive(directory: Path, pages: int = 3, *, gzip: bool = True) -> Written:
    """One closed file: robots.txt, then `pages` versions of one article (each page's text
    differs by a word)."""
    writer = WarcWriter(directory, prefix="test", max_size=1 << 30, gzip=gzip)
    captures = [
        _write(writer, f"{SITE}/robots.txt", ROBOTS, b"text/plain", T0),
        *(
            _write(
                writer,
                f"{SITE}/news/{n}/",
                ARTICLE.replace(b"on Monday.", f"on Monday (update {n}).".encode()),
                b"text/html; charset=utf-8",
                T0 + timedelta(minutes=n + 1),
            )
            for n in range(pages)
        ),
    ]
    writer.close()
    return Written(directory / captures[0].warc_filename, captures)


def _write(
    writer: WarcWriter, url: str, body: bytes, content_type: bytes, when: datetime
) -> Capture:
    location = writer.write_exchange(request(url), response(body, content_type), fetched_at=when)
    return capture_of(location)


def capture_of(location: Location) -> Capture:
    """The capture the crawl announces for what the writer wrote: the door's."""
    return exchange.capture_of(exchange.Archived.written(location))
