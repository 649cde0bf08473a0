"""Revisit records: a recrawl archives an unchanged page as a revisit of its last capture.

Unit tests on the signal handler, and two real crawls in subprocesses against a local server: the
first archives the pages, the second recrawls them with `meta["previous"]` built from the first
one's WARC file.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import scrapy
from scrapy.http import Request, Response

from crawler.core.capture import Capture
from crawler.core.revisit import PreviousCapture
from crawler.extensions.warc import WarcExtension
from crawler.signals import capture_archived
from storage.warc import WarcRecord, compute_payload_digest, page_from_revisit, read_record
from tests.extensions.test_warc_extension import ROOT, USER_AGENT, download, make_crawler
from tests.storage.test_warc import all_records
from tests.support import serving, warcio_check

PROFILE_URI = "http://netpreserve.org/warc/1.1/revisit/"
ETAG = '"still-1"'
LAST_MODIFIED = "Mon, 03 Feb 2025 04:00:00 GMT"


def page(seed: int) -> bytes:
    """An article page of 60 kB that compresses to about half, as real pages do not but WARC
    sizes can then be compared without gzip hiding the bodies."""
    text = random.Random(seed).randbytes(30_000).hex().encode()
    return b"<!doctype html><html><body><p>" + text + b"</p></body></html>"


# --- the signal handler, in this process ---------------------------------------------------------


def test_handler_writes_revisits_only_for_a_304_or_the_same_payload(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    extension = WarcExtension.from_crawler(crawler)
    announced: list[Capture] = []
    crawler.signals.connect(
        lambda capture: announced.append(capture), signal=capture_archived, weak=False
    )
    url = "http://news.example/story"
    body = gzip.compress(page(1), mtime=0)
    headers = {"Content-Encoding": "gzip", "ETag": ETAG, "Last-Modified": LAST_MODIFIED}

    download(crawler, Request(url), 200, headers, body)
    [original] = announced
    assert (original.record_type, original.revisit_profile, original.refers_to) == (
        "response",
        None,
        None,
    )
    assert (original.etag, original.last_modified) == (ETAG, LAST_MODIFIED)
    previous = PreviousCapture(
        url=url,
        record_id=original.warc_record_id,
        target_uri=url,
        fetched_at=original.fetched_at,
        payload_digest=original.payload_digest,
        etag=original.etag,
        last_modified=original.last_modified,
    )

    def recrawl(status: int, headers: dict[str, str], body: bytes, **meta: Any) -> Request:
        request = Request(url, meta={"previous": previous, **meta})
        download(crawler, request, status, headers, body)
        return request

    # The server matched the ETag weakly and sent only that validator back.
    not_modified = recrawl(304, {"ETag": f"W/{ETAG}"}, b"")
    # The digest is over the body as transferred: still gzip-compressed here.
    identical = recrawl(200, headers, body)
    # Meta passed on from a revisited request must not mark a changed page unchanged.
    changed = recrawl(200, headers, gzip.compress(page(2)), **identical.meta)
    # A 304 to a request the crawl knows no previous capture for is archived as it is.
    bare = Request(url, headers={"If-None-Match": ETAG})
    download(crawler, bare, 304, {"ETag": ETAG}, b"")
    extension.close()

    assert not_modified.meta["unchanged"] == "not-modified"
    assert identical.meta["unchanged"] == "identical"
    assert "unchanged" not in changed.meta
    assert "unchanged" not in bare.meta
    [path] = (tmp_path / "data" / "warc").iterdir()
    captures = announced[1:]
    records = [read_record(path, c.warc_offset) for c in captures]
    assert [r.rec_type for r in records] == ["revisit", "revisit", "response", "response"]
    assert [c.record_type for c in captures] == [r.rec_type for r in records]
    assert [c.revisit_profile for c in captures] == [
        "server-not-modified",
        "identical-payload-digest",
        None,
        None,
    ]
    assert [c.refers_to for c in captures] == [original.warc_record_id] * 2 + [None] * 2
    assert [c.status for c in captures] == [304, 200, 200, 304]
    for request, capture, record in zip(
        [not_modified, identical, changed, bare], captures, records, strict=True
    ):
        assert request.meta["warc_record_id"] == capture.warc_record_id == record.record_id
        assert capture.payload_digest == record.warc_header("WARC-Payload-Digest")

    not_modified_capture, identical_capture, changed_capture, _ = captures
    # For the revisits: the digest of the body they stand for, the original's.
    assert not_modified_capture.payload_digest == original.payload_digest
    assert identical_capture.payload_digest == original.payload_digest
    assert changed_capture.payload_digest != original.payload_digest
    # Validators as the 304 sent them: those it omits are the previous capture's, which the
    # database fills in when it stores the capture, whichever door it came through
    # (tests/storage/db/test_repository.py).
    assert (not_modified_capture.etag, not_modified_capture.last_modified) == (f"W/{ETAG}", None)
    assert records[0].warc_header("WARC-Profile") == PROFILE_URI + "server-not-modified"
    assert records[1].warc_header("WARC-Profile") == PROFILE_URI + "identical-payload-digest"
    for record in records[:2]:
        assert record.warc_header("WARC-Refers-To") == original.warc_record_id
        assert record.payload == b""

    stats = crawler.stats.get_stats()
    assert stats["warc/revisits/server-not-modified"] == 1
    assert stats["warc/revisits/identical-payload-digest"] == 1
    assert stats["warc/records"] == 2 * 5
    assert stats["warc/bytes"] == path.stat().st_size - all_records(path)[1][0]


# --- two crawls, each run in a subprocess --------------------------------------------------------

STILL = page(1)
"""Answers 304 to a matching If-None-Match."""
SAME = gzip.compress(page(2), mtime=0)
"""Ignores validators and sends the same bytes again, gzip-encoded: digests are over the body as
transferred."""
BEFORE, AFTER = page(3), page(4)
"""The changed page, in the first crawl and in the second."""
PATHS = ["/still", "/same", "/changed"]


class RecrawlSpider(scrapy.Spider):
    """Fetches PATHS, conditionally and with `meta["previous"]` where there is a previous
    capture, and notes what each callback saw."""

    name = "revisits-e2e"
    handle_httpstatus_list = [304]  # noqa: RUF012 - Scrapy reads it as a class attribute

    def __init__(self, base_url: str, previous: dict[str, PreviousCapture], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.previous = previous
        self.seen: list[dict[str, Any]] = []

    async def start(self) -> AsyncIterator[Request]:
        for path in PATHS:
            url = self.base_url + path
            previous = self.previous.get(url)
            if previous is None:
                yield Request(url)
            else:
                headers = previous.conditional_headers()
                yield Request(url, headers=headers, meta={"previous": previous})

    def parse(self, response: Response) -> None:
        self.seen.append(
            {
                "url": response.url,
                "status": response.status,
                "unchanged": response.meta.get("unchanged"),
                "warc_record_id": response.meta.get("warc_record_id"),
            }
        )


def run_crawl() -> None:
    """Entry point of the subprocess: crawl sys.argv[1] into sys.argv[2], with the previous
    captures listed in sys.argv[3] if given."""
    from scrapy.crawler import CrawlerProcess

    base_url, out = sys.argv[1], Path(sys.argv[2])
    previous = {}
    if len(sys.argv) > 3:
        for fields in json.loads(Path(sys.argv[3]).read_text()):
            fields["fetched_at"] = datetime.fromisoformat(fields["fetched_at"])
            previous[fields["url"]] = PreviousCapture(**fields)
    process = CrawlerProcess(
        settings={
            "WARC_ENABLED": True,
            "NEWSARCHIVE_DATA_DIR": str(out),
            "WARC_PREFIX": "revisits",
            "WARC_MAX_SIZE": 1024**3,
            "USER_AGENT": USER_AGENT,
            "ROBOTSTXT_OBEY": False,
            "EXTENSIONS_BASE": {},
            "EXTENSIONS": {"crawler.extensions.warc.WarcExtension": 100},
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",
        }
    )
    crawler = process.create_crawler(RecrawlSpider)
    captures: list[dict[str, Any]] = []

    def on_capture(capture: Capture, request: Request) -> None:
        captures.append(
            {
                **dataclasses.asdict(capture),
                "fetched_at": capture.fetched_at.isoformat(),
                "meta_record_id": request.meta.get("warc_record_id"),
            }
        )

    crawler.signals.connect(on_capture, signal=capture_archived)
    process.crawl(crawler, base_url=base_url, previous=previous)
    process.start()
    assert isinstance(crawler.spider, RecrawlSpider)
    result = {"seen": crawler.spider.seen, "captures": captures, "stats": crawler.stats.get_stats()}
    (out / "result.json").write_text(json.dumps(result, default=str))


class RevisitedSite(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: dict[str, Any]  # set on the subclass made per server: the round, requests received

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.state["received"][path, self.state["round"]] = dict(self.headers.items())
        if path == "/still" and self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        headers = [("Content-Type", "text/html"), ("Last-Modified", LAST_MODIFIED)]
        if path == "/still":
            headers.append(("ETag", ETAG))
            body = STILL
        elif path == "/same":
            headers.append(("Content-Encoding", "gzip"))
            body = SAME
        else:
            body = BEFORE if self.state["round"] == 1 else AFTER
        self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, Any]]]:
    """The local site; yields its base URL and its state (set "round" to 2 for the recrawl)."""
    state: dict[str, Any] = {"round": 1, "received": {}}
    with serving(type("Handler", (RevisitedSite,), {"state": state})) as base_url:
        yield base_url, state


CRAWL = f"from {__name__} import run_crawl; run_crawl()"


def crawl(base_url: str, out: Path, *previous: Path) -> tuple[Path, dict[str, Any]]:
    """Run one crawl; returns its one WARC file and what it reported."""
    proc = subprocess.run(
        [sys.executable, "-c", CRAWL, base_url, str(out), *map(str, previous)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Could not archive" not in proc.stderr
    [path] = (out / "warc").iterdir()
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout
    return path, json.loads((out / "result.json").read_text())


def captures_by_uri(path: Path) -> dict[str, tuple[WarcRecord, WarcRecord, int, int]]:
    """Each response or revisit record of `path` by target URI, with its request record, offset,
    and the bytes the two take in the file."""
    records = all_records(path)
    ends = [offset for offset, _ in records[1:]] + [path.stat().st_size]
    found = {}
    for i in range(1, len(records), 2):
        (offset, record), (_, request) = records[i], records[i + 1]
        assert request.warc_header("WARC-Concurrent-To") == record.record_id
        found[str(record.target_uri)] = (record, request, offset, ends[i + 1] - offset)
    return found


@pytest.mark.slow
def test_recrawl_archives_unchanged_pages_as_revisits(
    site: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    base_url, state = site
    still, same, changed = (base_url + p for p in PATHS)

    first_path, first = crawl(base_url, tmp_path / "first")
    originals = captures_by_uri(first_path)
    assert sorted(originals) == sorted([still, same, changed])
    assert {r.rec_type for r, *_ in originals.values()} == {"response"}
    assert [s["unchanged"] for s in first["seen"]] == [None] * 3
    assert not any(name.startswith("warc/revisits/") for name in first["stats"])

    # What the database would hand the spider, read back from the first crawl's WARC file.
    previous = [
        {
            "url": url,
            "record_id": record.record_id,
            "target_uri": record.target_uri,
            "fetched_at": record.date.isoformat() if record.date else None,
            "payload_digest": record.warc_header("WARC-Payload-Digest"),
            "etag": record.http_header("ETag"),
            "last_modified": record.http_header("Last-Modified"),
        }
        for url, (record, *_) in originals.items()
    ]
    (tmp_path / "previous.json").write_text(json.dumps(previous))
    state["round"] = 2
    second_path, second = crawl(base_url, tmp_path / "second", tmp_path / "previous.json")
    recaptures = captures_by_uri(second_path)

    # Conditional requests went out, and are archived as sent.
    assert state["received"]["/still", 2]["If-None-Match"] == ETAG
    assert state["received"]["/changed", 2]["If-Modified-Since"] == LAST_MODIFIED
    assert recaptures[still][1].http_header("If-None-Match") == ETAG

    assert {url: r.rec_type for url, (r, *_) in recaptures.items()} == {
        still: "revisit",
        same: "revisit",
        changed: "response",
    }
    for url, profile, status_line in [
        (still, "server-not-modified", "HTTP/1.1 304 Not Modified"),
        (same, "identical-payload-digest", "HTTP/1.1 200 OK"),
    ]:
        revisit, _, _, size = recaptures[url]
        original, _, original_offset, original_size = originals[url]
        assert revisit.warc_header("WARC-Profile") == PROFILE_URI + profile
        assert revisit.http_start_line == status_line
        assert revisit.payload == b""
        assert revisit.warc_header("WARC-Refers-To") == original.record_id
        assert revisit.warc_header("WARC-Refers-To-Target-URI") == url
        assert revisit.warc_header("WARC-Refers-To-Date") == original.warc_header("WARC-Date")
        digest = original.warc_header("WARC-Payload-Digest")
        assert revisit.warc_header("WARC-Payload-Digest") == digest
        assert size * 20 < original_size, (url, size, original_size)
        # Re-extraction finds the page the revisit stands for in the first crawl's file.
        body = page_from_revisit(revisit, read_record(first_path, original_offset)).body
        assert body == (STILL if url == still else page(2))
    assert recaptures[changed][0].payload == AFTER

    seen = {s["url"]: s for s in second["seen"]}
    assert {url: s["unchanged"] for url, s in seen.items()} == {
        still: "not-modified",
        same: "identical",
        changed: None,
    }
    assert seen[still]["status"] == 304

    captures = {c["url"]: c for c in second["captures"]}
    for url, capture in captures.items():
        record, _, offset, _ = recaptures[url]
        assert capture["warc_record_id"] == capture["meta_record_id"] == record.record_id
        assert capture["warc_record_id"] == seen[url]["warc_record_id"]
        assert capture["warc_offset"] == offset
        assert capture["record_type"] == record.rec_type
        assert capture["payload_digest"] == record.warc_header("WARC-Payload-Digest")
    assert captures[still]["revisit_profile"] == "server-not-modified"
    assert captures[same]["revisit_profile"] == "identical-payload-digest"
    assert captures[changed]["revisit_profile"] is None
    assert captures[still]["refers_to"] == originals[still][0].record_id
    assert captures[same]["refers_to"] == originals[same][0].record_id
    assert captures[changed]["refers_to"] is None
    assert captures[changed]["payload_digest"] == compute_payload_digest(AFTER)
    # The 304 sent no Last-Modified: the capture says so; the database keeps the previous one
    # for the next conditional request when it stores it (tests/storage/db/test_repository.py).
    assert (captures[still]["etag"], captures[still]["last_modified"]) == (ETAG, None)

    stats = second["stats"]
    assert stats["warc/revisits/server-not-modified"] == 1
    assert stats["warc/revisits/identical-payload-digest"] == 1
    assert stats["warc/records"] == 2 * 3
    assert stats["warc/bytes"] == sum(size for *_, size in recaptures.values())
