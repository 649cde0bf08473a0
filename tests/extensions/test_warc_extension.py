"""WarcExtension: unit tests on the signal handler, and a real crawl run in a subprocess (the
Twisted reactor cannot be restarted in one process) against a local HTTP server."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.core import meta
from crawler.core.capture import Capture
from crawler.core.revisit import PreviousCapture
from crawler.extensions.warc import WarcExtension
from crawler.services.exchange import Archived, capture_of
from crawler.signals import capture_archived
from storage.warc import WarcRecord, read_record
from tests.storage.test_warc import NON_ASCII_HEADERS, all_records, block_of
from tests.support import serving, warcio_check

ROOT = Path(__file__).resolve().parents[2]
HTML = b"<!doctype html><html><body><p>The prison reform bill passed.</p></body></html>" * 30
GZIPPED = gzip.compress(HTML, mtime=0)
USER_AGENT = "newsarchive-test/1.0 (+http://127.0.0.1/)"

SITE: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    "/robots.txt": (200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n"),
    "/article": (
        200,
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
        GZIPPED,
    ),
    "/cookies": (
        200,
        [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "session=abc; Path=/"),
            ("Set-Cookie", "consent=no; Path=/"),
        ],
        b"<html><body>two cookies</body></html>",
    ),
    "/missing": (404, [("Content-Type", "text/html")], b"<html><body>gone</body></html>"),
    "/old": (301, [("Location", "/new?from=old")], b""),
    "/new": (200, [("Content-Type", "text/html")], b"<html><body>moved here</body></html>"),
    "/report": (
        200,
        # http.server writes header text as Latin-1: these are the bytes of NON_ASCII_HEADERS.
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in NON_ASCII_HEADERS],
        b"%PDF-1.7 prison reform",
    ),
}
START_PATHS = ["/article?id=7&page=2", "/cookies", "/missing", "/old", "/report"]
REQUEST_HEADERS = {"/report": {"X-Search": "réforme pénitentiaire"}}
"""Extra headers the spider sends, by path: Scrapy encodes a str value as UTF-8."""


# --- the crawl, run in a subprocess --------------------------------------------------------------


class ArchiveSpider(scrapy.Spider):
    """Fetches START_PATHS and notes what each callback saw."""

    name = "warc-e2e"
    handle_httpstatus_list = [404]  # noqa: RUF012 - Scrapy reads it as a class attribute
    story = SimpleNamespace(name="prison-reform")

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.seen: list[dict[str, Any]] = []

    async def start(self) -> AsyncIterator[Request]:
        for path in START_PATHS:
            yield Request(self.base_url + path, headers=REQUEST_HEADERS.get(path))

    def parse(self, response: Response) -> None:
        self.seen.append(
            {
                "url": response.url,
                "status": response.status,
                "warc_record_id": response.meta.get("warc_record_id"),
                "body": response.body.decode("latin-1"),
            }
        )


def run_crawl() -> None:
    """Entry point of the subprocess: crawl sys.argv[1], write results to sys.argv[2]."""
    from scrapy.crawler import CrawlerProcess

    base_url, out = sys.argv[1], Path(sys.argv[2])
    process = CrawlerProcess(
        settings={
            "WARC_ENABLED": True,
            "NEWSARCHIVE_DATA_DIR": str(out),
            "WARC_PREFIX": "e2e",
            "WARC_MAX_SIZE": 1024**3,
            "USER_AGENT": USER_AGENT,
            "ROBOTSTXT_OBEY": True,
            "EXTENSIONS_BASE": {},
            "EXTENSIONS": {"crawler.extensions.warc.WarcExtension": 100},
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",
        }
    )
    crawler = process.create_crawler(ArchiveSpider)
    captures: list[dict[str, Any]] = []

    def on_capture(capture: Capture, request: Request, response: Response) -> None:
        captures.append(
            {
                **dataclasses.asdict(capture),
                "fetched_at": capture.fetched_at.isoformat(),
                "meta_record_id": request.meta.get("warc_record_id"),
                "response_url": response.url,
            }
        )

    crawler.signals.connect(on_capture, signal=capture_archived)
    process.crawl(crawler, base_url=base_url)
    process.start()
    assert isinstance(crawler.spider, ArchiveSpider)
    result = {"seen": crawler.spider.seen, "captures": captures, "stats": crawler.stats.get_stats()}
    (out / "result.json").write_text(json.dumps(result, default=str))


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: dict[str, list[tuple[str, str]]]  # set on the subclass made per server

    def do_GET(self) -> None:
        status, headers, body = SITE[urlsplit(self.path).path]
        self.received[self.path] = list(self.headers.items())
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, list[tuple[str, str]]]]]:
    """A local site; yields its base URL and the request headers it received, by path."""
    received: dict[str, list[tuple[str, str]]] = {}
    with serving(type("Handler", (SiteHandler,), {"received": received})) as base_url:
        yield base_url, received


CRAWL = f"from {__name__} import run_crawl; run_crawl()"


@pytest.mark.slow
def test_real_crawl_archives_every_exchange_byte_for_byte(
    site: tuple[str, dict[str, list[tuple[str, str]]]], tmp_path: Path
) -> None:
    base_url, received = site
    proc = subprocess.run(
        [sys.executable, "-c", CRAWL, base_url, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # a guard against a hang: the crawl takes seconds, many more on a loaded CI
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Could not archive" not in proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())

    # One closed file in DATA_DIR/warc, and warcio finds every digest right.
    [path] = (tmp_path / "warc").iterdir()
    assert path.name.startswith("e2e-")
    assert path.name.endswith(".warc.gz")
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout
    records = all_records(path)

    _, info = records[0]
    assert info.rec_type == "warcinfo"
    info_fields = dict(line.split(": ", 1) for line in info.payload.decode().splitlines())
    assert info_fields["isPartOf"] == "prison-reform"
    assert info_fields["http-header-user-agent"] == USER_AGENT
    assert info_fields["robots"] == "obey"

    # Read with read_record, which decodes HTTP headers as Latin-1 as http.server does: the text
    # is equal when the bytes are.
    responses = {
        str(r.target_uri): (o, read_record(path, o)) for o, r in records if r.rec_type == "response"
    }
    requests = {
        r.warc_header("WARC-Concurrent-To"): read_record(path, o)
        for o, r in records
        if r.rec_type == "request"
    }
    fetched = [
        "/robots.txt",
        "/article?id=7&page=2",
        "/cookies",
        "/missing",
        "/old",
        "/new?from=old",
        "/report",
    ]
    assert sorted(responses) == sorted(base_url + p for p in fetched)
    assert len(records) == 1 + 2 * len(fetched)

    for target in fetched:
        status, headers, body = SITE[urlsplit(target).path]
        offset, resp = responses[base_url + target]
        # The payload is exactly what the server wrote: the gzip page still compressed.
        assert resp.payload == body
        assert resp.status == status
        for name, value in headers:
            assert (name, value) in resp.http_headers
        req = requests[resp.record_id]
        assert req.http_start_line == f"GET {target} HTTP/1.1"
        assert req.warc_header("WARC-Date") == resp.warc_header("WARC-Date")
        assert resp.warc_header("WARC-IP-Address") == "127.0.0.1"
        # The request record holds the headers the server received, in the order it got them.
        assert list(req.http_headers) == received[target]
        assert req.http_header("Host") == urlsplit(base_url).netloc
        assert req.http_header("User-Agent") == USER_AGENT

    assert responses[base_url + "/article?id=7&page=2"][1].payload == GZIPPED
    cookies = responses[base_url + "/cookies"][1]
    assert [v for k, v in cookies.http_headers if k == "Set-Cookie"] == [
        "session=abc; Path=/",
        "consent=no; Path=/",
    ]
    assert responses[base_url + "/missing"][1].http_start_line == "HTTP/1.1 404 Not Found"
    assert responses[base_url + "/old"][1].http_start_line == "HTTP/1.1 301 Moved Permanently"
    # Header values that are not ASCII are archived as the bytes the server sent.
    offset, report = responses[base_url + "/report"]
    block = block_of(path, offset, records_length(records, offset))
    for line in NON_ASCII_HEADERS:
        assert b"\r\n%s: %s\r\n" % line in block
    search = requests[report.record_id].http_header("X-Search") or ""
    assert search.encode("latin-1") == REQUEST_HEADERS["/report"]["X-Search"].encode()

    # The spider got the decompressed body, so the signal really fired before
    # HttpCompressionMiddleware; and each callback saw its response record's id.
    seen = {s["url"]: s for s in result["seen"]}
    assert sorted(seen) == sorted(
        base_url + p
        for p in ["/article?id=7&page=2", "/cookies", "/missing", "/new?from=old", "/report"]
    )
    assert seen[base_url + "/article?id=7&page=2"]["body"] == HTML.decode()
    for url, s in seen.items():
        assert s["warc_record_id"] == responses[url][1].record_id

    # One capture per response, each pointing at its record.
    captures = {c["url"]: c for c in result["captures"]}
    assert sorted(captures) == sorted(responses)
    for url, capture in captures.items():
        offset, resp = responses[url]
        assert capture["warc_filename"] == path.name
        assert capture["warc_offset"] == offset
        assert capture["warc_record_id"] == capture["meta_record_id"] == resp.record_id
        assert capture["request_record_id"] == requests[resp.record_id].record_id
        assert capture["payload_digest"] == resp.warc_header("WARC-Payload-Digest")
        assert capture["status"] == resp.status
        stored = read_record(path, capture["warc_offset"])
        assert stored.record_id == resp.record_id
        assert capture["warc_length"] == records_length(records, offset)
    assert captures[base_url + "/old"]["location"] == base_url + "/new?from=old"
    assert captures[base_url + "/article?id=7&page=2"]["content_type"] == "text/html"
    assert captures[base_url + "/article?id=7&page=2"]["location"] is None
    assert captures[base_url + "/robots.txt"]["content_type"] == "text/plain"

    stats = result["stats"]
    # Nothing waited out a timeout or failed: what a bound on the crawl's wall-clock time used
    # to check, which a loaded machine can break without any fault (the run's own timeout stays).
    assert "downloader/exception_count" not in stats, stats
    assert stats["warc/records"] == 2 * len(fetched)
    assert stats["warc/files"] == 1
    assert stats["warc/bytes"] == path.stat().st_size - records[1][0]  # all but the warcinfo
    assert "warc/errors" not in stats


def records_length(records: list[tuple[int, WarcRecord]], offset: int) -> int:
    """Length of the record at `offset`: up to the next record, or to the end of the file."""
    offsets = [o for o, _ in records]
    index = offsets.index(offset)
    assert index + 1 < len(offsets)  # a response is always followed by its request
    return offsets[index + 1] - offset


# --- the signal handler, in this process ---------------------------------------------------------


def make_crawler(tmp_path: Path, **settings: Any) -> Crawler:
    return get_crawler(
        settings_dict={
            "WARC_ENABLED": True,
            "NEWSARCHIVE_DATA_DIR": str(tmp_path / "data"),
            "WARC_DIR": "",
            "WARC_PREFIX": "unit",
            "WARC_MAX_SIZE": 1024**3,
            "WARC_GZIP": True,
            "USER_AGENT": USER_AGENT,
            "ROBOTSTXT_OBEY": False,
            **settings,
        }
    )


def download(
    crawler: Crawler,
    request: Request,
    status: int = 200,
    headers: Any = None,
    body: bytes = b"",
    flags: list[str] | None = None,
) -> Response:
    """Send `response_downloaded` as the downloader does; returns the response."""
    response = HtmlResponse(
        request.url.split("#")[0],
        status=status,
        headers=headers,
        body=body,
        flags=flags,
        request=request,
        protocol="HTTP/1.1",
    )
    crawler.signals.send_catch_log(
        signals.response_downloaded, response=response, request=request, spider=crawler.spider
    )
    return response


def test_disabled_extension_is_not_configured(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        WarcExtension.from_crawler(make_crawler(tmp_path, WARC_ENABLED=False))
    assert not (tmp_path / "data").exists()


def test_files_go_to_warc_dir_or_data_dir(tmp_path: Path) -> None:
    extension = WarcExtension.from_crawler(make_crawler(tmp_path))
    assert extension.writer.directory == tmp_path / "data" / "warc"
    assert extension.writer.directory.is_dir()

    other = tmp_path / "elsewhere"
    extension = WarcExtension.from_crawler(make_crawler(tmp_path, WARC_DIR=str(other)))
    assert extension.writer.directory == other


def test_handler_archives_tags_the_request_and_announces_the_capture(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, ROBOTSTXT_OBEY=True)
    crawler.spider = SimpleNamespace(story=SimpleNamespace(name="courts"))  # type: ignore[assignment]
    extension = WarcExtension.from_crawler(crawler)
    announced: list[tuple[Capture, Request, Response]] = []
    crawler.signals.connect(
        lambda capture, request, response: announced.append((capture, request, response)),
        signal=capture_archived,
        weak=False,
    )

    post = Request(
        "http://news.example/search?q=1#top",
        method="POST",
        body=b"q=law",
        headers={"Proxy-Authorization": "Basic c2VjcmV0", "Accept": "text/html"},
    )
    moved = download(crawler, post, 302, {"Location": "../landing?x=é", "X-Custom": ["a", "b"]})
    odd = download(
        crawler,
        Request("http://news.example/odd"),
        599,
        {"Content-Type": "text/html"},
        b"<html>cut",
        flags=["dataloss"],  # DOWNLOAD_FAIL_ON_DATALOSS off and the connection dropped
    )
    download(crawler, Request("data:text/plain,hello"))  # not HTTP: not archived
    extension.close()

    [path] = (tmp_path / "data" / "warc").iterdir()
    assert not path.name.endswith(".open")
    assert [c.url for c, _, _ in announced] == [moved.url, odd.url]
    capture, request, response = announced[0]
    assert (request, response) == (post, moved)
    assert post.meta["warc_record_id"] == capture.warc_record_id
    assert capture.status == 302
    assert capture.location == "http://news.example/landing?x=%C3%A9"
    assert capture.content_type is None
    assert capture.warc_filename == path.name

    resp = read_record(path, capture.warc_offset)
    assert resp.record_id == capture.warc_record_id
    assert resp.http_start_line == "HTTP/1.1 302 Found"
    assert [v for k, v in resp.http_headers if k == "X-Custom"] == ["a", "b"]
    # Scrapy holds the str value as UTF-8; those bytes are archived, read back one char a byte.
    assert resp.http_header("Location") == "../landing?x=é".encode().decode("latin-1")
    req = read_record(path, capture.warc_offset + capture.warc_length)
    assert req.record_id == capture.request_record_id
    assert req.http_start_line == "POST /search?q=1 HTTP/1.1"
    assert req.http_headers == (
        ("Content-Length", "5"),
        ("Accept", "text/html"),
        ("Host", "news.example"),
    )
    assert req.payload == b"q=law"

    odd_capture = announced[1][0]
    assert odd_capture.content_type == "text/html"
    assert odd_capture.location is None
    odd_record = read_record(path, odd_capture.warc_offset)
    assert odd_record.http_start_line == "HTTP/1.1 599"
    assert odd_record.warc_header("WARC-Truncated") == "disconnect"
    assert resp.warc_header("WARC-Truncated") is None

    _, info = all_records(path)[0]
    assert b"isPartOf: courts\r\n" in info.payload
    assert b"robots: obey\r\n" in info.payload
    stats = crawler.stats.get_stats()
    assert stats["warc/records"] == 4
    assert stats["warc/files"] == 1
    assert stats["warc/bytes"] == path.stat().st_size - all_records(path)[1][0]


def test_failed_write_is_logged_counted_and_not_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = make_crawler(tmp_path)
    extension = WarcExtension.from_crawler(crawler)
    announced: list[Capture] = []
    crawler.signals.connect(
        lambda capture: announced.append(capture), signal=capture_archived, weak=False
    )

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(extension.writer, "write_exchange", disk_full)
    request = Request("http://news.example/a")
    with caplog.at_level(logging.ERROR, logger="crawler.extensions.warc"):
        download(crawler, request, body=b"<html></html>")

    [entry] = [r for r in caplog.records if r.name == "crawler.extensions.warc"]
    assert entry.levelno == logging.ERROR
    assert "http://news.example/a" in entry.getMessage()
    assert entry.exc_info is not None
    assert "No space left" in str(entry.exc_info[1])
    assert crawler.stats.get_value("warc/errors") == 1
    assert crawler.stats.get_value("warc/records") is None
    assert "warc_record_id" not in request.meta
    assert announced == []


def test_the_written_record_is_handed_on_for_pages_and_is_the_capture_s_source(
    tmp_path: Path,
) -> None:
    """The crawl reads its capture and its page from the record it wrote, as every door does."""
    crawler = make_crawler(tmp_path)
    extension = WarcExtension.from_crawler(crawler)
    announced: list[Capture] = []

    def note(capture: Capture, **_: Any) -> None:
        announced.append(capture)

    crawler.signals.connect(note, signal=capture_archived)
    page = Request("http://news.example/article")
    download(crawler, page, 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, GZIPPED)
    moved = Request("http://news.example/old", meta={meta.WARC_RECORD: "left from before"})
    download(crawler, moved, 301, {"Location": "/new"})
    extension.close()

    [path] = (tmp_path / "data" / "warc").iterdir()
    record = page.meta[meta.WARC_RECORD]
    assert record == read_record(path, announced[0].warc_offset)
    assert record.payload == GZIPPED  # as transferred: the door decodes it
    assert announced[0] == capture_of(
        Archived(
            record,
            path.name,
            announced[0].warc_offset,
            announced[0].warc_length,
            announced[0].request_record_id,
        )
    )
    assert meta.WARC_RECORD not in moved.meta  # a redirect's meta goes on to the next request


@pytest.mark.parametrize("requests", [True, False])
def test_an_unchanged_answer_has_its_request_record_unless_warc_revisit_requests_is_off(
    tmp_path: Path, requests: bool
) -> None:
    """`WARC_REVISIT_REQUESTS=False`: a 304 is its revisit record alone and its capture points at
    no request record; a new body keeps its request record either way."""
    crawler = make_crawler(tmp_path, WARC_REVISIT_REQUESTS=requests)
    extension = WarcExtension.from_crawler(crawler)
    announced: list[Capture] = []
    crawler.signals.connect(
        lambda capture, request, response: announced.append(capture),
        signal=capture_archived,
        weak=False,
    )
    url = "http://news.example/a"
    previous = PreviousCapture(url, "<urn:uuid:x>", url, datetime(2025, 3, 1, tzinfo=UTC), "sha1:X")
    download(crawler, Request(url, meta={meta.PREVIOUS: previous}), 304, {"ETag": '"v1"'})
    download(crawler, Request(url + "/b"), 200, {"Content-Type": "text/html"}, b"<p>new</p>")
    extension.close()
    [path] = (tmp_path / "data" / "warc").iterdir()
    types = [record.rec_type for _, record in all_records(path)]
    revisit, page = announced
    assert revisit.record_type == "revisit" and page.record_type == "response"
    assert page.request_record_id is not None
    if requests:
        assert types == ["warcinfo", "revisit", "request", "response", "request"]
        assert revisit.request_record_id is not None
    else:
        assert types == ["warcinfo", "revisit", "response", "request"]
        assert revisit.request_record_id is None
    assert crawler.stats is not None
    assert crawler.stats.get_value("warc/records") == len(types) - 1
    result = warcio_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
