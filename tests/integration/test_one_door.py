"""One door: the same archived exchanges give the same stored rows whichever way they come in.

The exchanges are those of a real crawl of the simulated web (the demo crawl's WARC files) and of
other crawlers' files (tests/data/warcs: wget, warcio's, Heritrix's WARC/0.17, warcprox, a
ClueWeb09 WARC/0.18 file gzipped whole, ...). They go through ingest, crash recovery,
`verify --repair`, re-extraction and the crawl's own components (the WARC extension and the
extract and store pipelines, driven with the records' responses), and every door stores the
same captures (but for when and where a crawl writes its own), aliases, articles, extractions,
judgements and outcomes.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import signals
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import aliased
from warcio.bufferedreaders import ChunkedDataReader

from crawler.cli import ingest, verify
from crawler.core import meta
from crawler.core.capture import NO_CONTENT_TYPE, Capture
from crawler.core.items import PageItem
from crawler.core.page import not_a_page
from crawler.core.story import Story, load_story
from crawler.core.urls import normalise_url
from crawler.extensions.warc import WarcExtension
from crawler.extraction.options import ExtractOptions
from crawler.pipelines.extract import ExtractPipeline
from crawler.pipelines.store import page_record
from crawler.services.door import process
from crawler.services.exchange import Archived, NotACapture, capture_of, paired
from crawler.services.recover import Reconciler
from crawler.signals import capture_archived
from storage.db import models as m
from storage.db.engine import open_database
from storage.warc import page_from_record
from storage.warcscan import scan
from tests.integration.conftest import CrawlRun, run_newsarchive

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "data" / "warcs"
FOREIGN = [
    DATA / "example.warc.gz",  # warcio's: a response and a WARC/1.0 revisit of it
    DATA / "example-iana.org-chunked.warc",  # warcio's: a chunked body kept chunked
    DATA / "webarchive-commons" / "IAH-urls-wget.warc.gz",  # wget
    # Heritrix's WARC/0.17 with bad digests (not the ukwa copy of the same crawl as well: the two
    # share record IDs, and a record ID met again in another file is the same record to every door)
    DATA / "jwat" / "invalid-warcfile-segment-number-response.warc",
    DATA / "ipwb" / "2mementos.warc",  # bare LF, one record ID for three records
    DATA / "anserini" / "cw09-segment1.warc.gz",  # ClueWeb09: WARC/0.18, gzipped whole
    DATA / "js-wacz" / "lil-projects.warc.gz",  # warcprox: digests of the chunked body
    DATA / "node-warc" / "parseMe.warc.gz",  # WAIL
]


# --- the stored rows, as every door must leave them ---------------------------------------------


def snapshot(engine: Engine, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every stored row that says what the archive holds, keyed by what identifies it (URLs,
    record IDs) rather than by row ids; without what says which door stored it
    (`urls.discovered_via`) or when a row was written."""
    c, u, v, x, link, s = (
        m.Capture,
        m.Url,
        m.ArticleVersion,
        m.Extraction,
        m.StoryArticle,
        m.ArticleSchedule,
    )
    canonical, fetch, body = aliased(u), aliased(u), aliased(c)
    with engine.connect() as conn:
        captures = {
            row.warc_record_id: row._asdict()
            for row in conn.execute(
                select(
                    *(col for col in c.__table__.columns if col.name not in ("id", "url_id")),
                    u.url,
                    body.warc_record_id.label("revisit_of"),
                )
                .join(u, u.id == c.url_id)
                .outerjoin(body, body.id == c.revisit_of_id)
            )
        }
        for row in captures.values():
            del row["revisit_of_id"]
        urls = {
            row.url: (row.canonical, row.host)
            for row in conn.execute(
                select(u.url, canonical.url.label("canonical"), m.Publisher.host)
                .outerjoin(canonical, canonical.id == u.canonical_id)
                .outerjoin(m.Publisher, m.Publisher.id == u.publisher_id)
            )
        }
        version_of: dict[int, tuple[str, int]] = {}
        versions: dict[tuple[str, int], dict[str, Any]] = {}
        for version in conn.execute(
            select(*v.__table__.columns, u.url, c.warc_record_id)
            .join(u, u.id == v.url_id)
            .outerjoin(c, c.id == v.capture_id)
        ):
            fields = version._asdict()
            version_of[fields.pop("id")] = (version.url, version.version)
            for name in ("url_id", "capture_id"):
                fields.pop(name)
            versions[(version.url, version.version)] = fields
        extractions = {
            (row.warc_record_id, row.extractor, row.options_digest): (
                version_of.get(row.version_id) if row.version_id else None,
                row.reason,
            )
            for row in conn.execute(
                select(
                    x.version_id, x.extractor, x.options_digest, x.reason, c.warc_record_id
                ).join(c, c.id == x.capture_id)
            )
        }
        judgements = {
            (row.name, row.url): (
                row.relevant,
                round(row.relevance_score, 6),
                tuple(row.matched_terms),
                row.reason,
                version_of[row.version_id],
            )
            for row in conn.execute(
                select(*link.__table__.columns, m.Story.name, u.url)
                .join(m.Story, m.Story.id == link.story_id)
                .join(u, u.id == link.url_id)
            )
        }
        schedules = {
            row.url: (row.fetch_url, row.first_seen, row.last_fetched, row.unchanged_count)
            for row in conn.execute(
                select(*s.__table__.columns, u.url, fetch.url.label("fetch_url"))
                .join(u, u.id == s.url_id)
                .join(fetch, fetch.id == s.fetch_url_id)
            )
        }
    found = {
        "captures": captures,
        "urls": urls,
        "versions": versions,
        "extractions": extractions,
        "judgements": judgements,
        "schedules": schedules,
    }
    return {name: rows for name, rows in found.items() if name not in skip}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between two snapshots, table by table and row by row (empty when equal)."""
    found = []
    for table in a:
        left, right = a[table], b[table]
        for key in sorted(set(left) | set(right), key=repr):
            if left.get(key) != right.get(key):
                found.append(f"{table} {key!r}: {left.get(key)!r} != {right.get(key)!r}")
    return found


# --- the archive doors --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(demo_crawl: CrawlRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo crawl's WARC files and the foreign ones, as `ingest --copy` leaves them in a data
    directory (a file gzipped whole recompressed record by record): the exchanges every door
    reads."""
    data = tmp_path_factory.mktemp("ingested") / "data"
    # in the order of their names, the order the other doors read the directory in
    files = sorted([*(demo_crawl.data / "warc").glob("*.warc.gz"), *FOREIGN], key=lambda p: p.name)
    args = [*map(str, files), "--data", str(data), "--copy", "--story", str(demo_crawl.story)]
    assert ingest.main([*args, "--workers", "2", "--progress", "0"]) == 0
    yield data


def story_of(run: CrawlRun) -> Story:
    return load_story(run.story)


def database(data: Path) -> Engine:
    return open_database(f"sqlite:///{data / 'newsarchive.db'}")


def fresh_copy(archive: Path, tmp: Path) -> Path:
    """A data directory with the same WARC files and an empty database."""
    data = tmp / "data"
    shutil.copytree(archive / "warc", data / "warc")
    database(data).dispose()
    return data


def test_ingest_recovery_and_repair_store_the_same_rows(
    archive: Path, demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    names = sorted(p.name for p in (archive / "warc").iterdir())
    ingested = database(archive)
    expected = snapshot(ingested)
    ingested.dispose()
    assert len(expected["captures"]) > 150 and len(expected["versions"]) > 20
    flagged = {f for row in expected["captures"].values() for f in (row["flags"] or "").split(",")}
    assert {"digest-mismatch", "bad-date", "nonstandard-version"} <= flagged

    recovered = fresh_copy(archive, tmp_path / "recovered")
    engine = database(recovered)
    done = Reconciler(engine, recovered / "warc", ExtractOptions(), story_of(demo_crawl)).reconcile(
        names
    )
    assert done.captures_added == len(expected["captures"])
    assert differences(expected, snapshot(engine)) == []
    engine.dispose()

    repaired = fresh_copy(archive, tmp_path / "repaired")
    verify.main(["--data", str(repaired), "--repair", "--story", str(demo_crawl.story)])
    engine = database(repaired)
    assert differences(expected, snapshot(engine)) == []
    engine.dispose()


def test_reextraction_stores_the_same_articles_extractions_and_judgements(
    archive: Path, demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(archive, data)
    engine = database(data)
    expected = snapshot(engine, skip=frozenset({"schedules"}))
    # Re-extraction judges an article again for a story that watches its publisher or judged it
    # before; with the judgements forgotten below, only the story's own sites' are judged again.
    hosts = {source.host for source in story_of(demo_crawl).sources}
    expected["judgements"] = {
        (story, url): judged
        for (story, url), judged in expected["judgements"].items()
        if urlsplit(url).netloc in hosts
    }
    with engine.begin() as conn:  # keep the captures and URLs, forget what extraction made
        for model in (m.StoryArticle, m.ArticleSignature, m.ArticleBand, m.Extraction):
            conn.execute(delete(model))
        conn.execute(delete(m.ArticleSchedule))
        conn.execute(delete(m.ArticleVersion))
    engine.dispose()

    done = run_newsarchive("reextract", "--data", str(data), "--workers", "2", "--progress", "0")

    assert done.returncode == 0, done.stderr[-3000:]
    engine = database(data)
    again = snapshot(engine, skip=frozenset({"schedules"}))
    engine.dispose()
    assert differences(expected, again) == []


# --- the crawl's door: the WARC extension and the pipelines, driven with the records ---------


def responses(archive: Path) -> Iterator[tuple[Archived, Capture]]:
    """The HTTP response records of the archive, one per URL (the first), with their captures."""
    seen: set[str] = set()
    for path in sorted((archive / "warc").iterdir()):
        for item in paired(scan(path), path.name):
            if not isinstance(item, Archived) or item.record.rec_type != "response":
                continue
            try:
                capture = capture_of(item)
                page_from_record(item.record)
            except (NotACapture, ValueError):  # not a capture, or a body that does not decode
                continue
            if "truncated" in capture.flags:  # a cut body cannot be fetched again as it was
                continue
            url = normalise_url(capture.url)
            if url not in seen and capture.url.startswith(("http://", "https://")):
                seen.add(url)
                yield item, capture


def as_received(archived: Archived) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The response as Scrapy's downloader hands it over: Twisted consumes Transfer-Encoding
    (and de-chunks the body), the content codings stay for HttpCompressionMiddleware."""
    record = archived.record
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in record.http_headers
        if k.lower() not in ("transfer-encoding", "content-length")
    ]
    chunked = any(
        k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in record.http_headers
    )
    body = ChunkedDataReader(BytesIO(record.payload)).read() if chunked else record.payload
    return record.status or 0, headers, body


def crawl_door(
    archive: Path, story: Story, tmp: Path
) -> dict[str, tuple[Capture, PageItem | None]]:
    """What the crawl's components make of each response: its capture (announced by the WARC
    extension from the record it wrote) and its processed page item."""
    crawler = get_crawler(
        settings_dict={
            "WARC_ENABLED": True,
            "NEWSARCHIVE_DATA_DIR": str(tmp / "crawl"),
            "WARC_PREFIX": "door",
            "EXTRACT_WORKERS": 2,
            "ROBOTSTXT_OBEY": False,
        }
    )
    crawler.spider = SimpleNamespace(story=story)  # type: ignore[assignment]
    assert crawler.stats is not None
    crawler.stats.open_spider()
    extension = WarcExtension.from_crawler(crawler)
    pipeline = ExtractPipeline.from_crawler(crawler)
    announced: list[Capture] = []

    def note(capture: Capture, **_: Any) -> None:
        announced.append(capture)

    crawler.signals.connect(note, capture_archived)  # held here: signals keep weak references
    found: dict[str, tuple[Capture, PageItem | None]] = {}
    items: list[PageItem] = []
    for archived, _ in responses(archive):
        status, headers, body = as_received(archived)
        request = Request(archived.record.target_uri or "")
        response: Response = HtmlResponse(
            request.url,
            status=status,
            headers=headers,
            body=body,
            request=request,
            protocol="HTTP/1.1",
        )
        crawler.signals.send_catch_log(
            signals.response_downloaded, response=response, request=request, spider=crawler.spider
        )
        capture = announced[-1]
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        decoded = page_from_record(archived.record).body  # as HttpCompressionMiddleware decodes
        item = None
        if not_a_page(request.url, status, content_type, decoded) is None:  # the spider's rule
            item = PageItem(
                record=request.meta[meta.WARC_RECORD],
                source=story.sources[0].host,
                discovered_via="link",
            )
            items.append(item)
        found[normalise_url(capture.url)] = (capture, item)

    async def extract_all() -> None:
        try:
            for item in items:
                await pipeline.process_item(item)
        finally:
            pipeline.close_spider()

    asyncio.run(extract_all())
    extension.close()
    return found


def test_the_crawl_door_makes_the_same_captures_pages_judgements_and_outcomes(
    archive: Path, demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    story = story_of(demo_crawl)
    crawled = crawl_door(archive, story, tmp_path)
    engine = database(archive)
    stored = snapshot(engine)
    engine.dispose()
    by_url = {normalise_url(row["url"]): row for row in stored["captures"].values()}
    pages = 0
    for archived, ingested in responses(archive):
        url = normalise_url(ingested.url)
        capture, item = crawled[url]
        row = by_url[url] if by_url[url]["warc_record_id"] == ingested.warc_record_id else None
        # the capture: all that does not depend on when and where the crawl wrote its record
        same = ("status", "content_type", "location", "record_type", "etag", "last_modified")
        assert {f: getattr(capture, f) for f in same} == {f: getattr(ingested, f) for f in same}
        # Scrapy requests a URL with its host lower-cased: the same URL to the database
        assert normalise_url(capture.url) == url
        assert (NO_CONTENT_TYPE in capture.flags) == (NO_CONTENT_TYPE in ingested.flags)
        # the page: what the door made of the archived record, the crawl's item and the row
        mine = process(archived.record, ExtractOptions(), story=story, flags=ingested.flags)
        if item is None:
            assert mine.extraction is None, url
            continue
        pages += 1
        assert item.processed is not None
        got = item.processed
        assert (got.outcome, got.reason, got.detail) == (mine.outcome, mine.reason, mine.detail)
        assert got.extraction == mine.extraction
        assert got.relevance == mine.relevance
        record = page_record(item)
        if row is not None and record is not None and got.extraction is not None:
            key = (row["warc_record_id"], got.extraction.extractor, got.extraction.options_digest)
            version, reason = stored["extractions"][key]
            assert reason == got.extraction.reason
            if got.relevance is not None and version is not None:
                judged = stored["judgements"][(story.name, version[0])]
                assert judged[:4] == (
                    got.relevance.relevant,
                    round(got.relevance.score, 6),
                    tuple(got.relevance.matched_terms),
                    got.relevance.reason,
                )
    assert pages > 20


# --- must-show 2: crawl into A, ingest A's files into B -----------------------------------------


def exported(data: Path) -> dict[str, dict[str, Any]]:
    out = data.parent / "export.jsonl"
    done = run_newsarchive("export", "--data", str(data), "-o", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    fields = ("url", "title", "text", "published", "relevant")
    return {row["url"]: {f: row.get(f) for f in fields} for row in rows}


def test_ingesting_a_crawls_files_gives_the_crawls_export(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data = tmp_path / "b" / "data"
    files = sorted(str(p) for p in (demo_crawl.data / "warc").glob("*.warc.gz"))
    done = run_newsarchive(
        "ingest",
        *files,
        "--data",
        str(data),
        "--story",
        str(demo_crawl.story),
        "--workers",
        "2",
        "--progress",
        "0",
    )
    assert done.returncode == 0, done.stderr[-3000:]

    crawled, ingested = exported(demo_crawl.data), exported(data)
    assert len(crawled) > 20
    assert {u: a for u, a in ingested.items()} == crawled
