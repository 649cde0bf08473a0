"""WARC and ARC files from other crawlers into the database, as if our crawl had fetched them.

Each file is scanned (`storage.warcscan.scan`: exact offsets, digests checked, damage reported
and skipped); its response, resource and revisit records become `Capture`s pointing into the file,
and its HTML pages go through the crawl's own `page_from_record` → `extract()` path (in a process
pool) and, with a story, its relevance rule. Everything is written with
`Repository.write_batch`, batch by batch, so versions and story links come out as in a crawl.

A record whose WARC-Record-ID is already stored is skipped before extraction: ingesting a file
again adds nothing. A revisit record is resolved to the record holding its body, looked up by
WARC-Refers-To, then by WARC-Refers-To-Target-URI and -Date, then by URI and payload digest:
first among the records of this run, then in the database. Revisits whose original comes later
in the run are resolved once every file has been read.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urljoin, urlsplit

from warcio.timeutils import iso_date_to_datetime

from crawler.core.article import Extraction
from crawler.core.capture import Capture
from crawler.core.page import PageInput
from crawler.core.story import Story
from crawler.core.urls import host_of, normalise_url
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import extraction_pool
from crawler.extraction.relevance import score
from storage.db import queries
from storage.db.records import PageRecord
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.warc import (
    ContentDecodingError,
    WarcRecord,
    compute_payload_digest,
    page_from_record,
    read_record,
    resolve_warc_path,
)
from storage.warcscan import Damage, Parser, ScannedRecord, scan

logger = logging.getLogger(__name__)

INGESTED = ("response", "resource", "revisit")
"""Record types that become captures; the others are counted and skipped."""
DISCOVERED_VIA = "ingest"
MAX_RECORD_ID = 100
"""The longest WARC-Record-ID the captures table holds."""
"""`urls.discovered_via` of a URL first seen in an ingested file."""


@dataclass
class FileReport:
    """What ingesting one file did."""

    path: str
    records: Counter[str] = field(default_factory=Counter)
    """Records read, by WARC-Type."""
    damage: list[Damage] = field(default_factory=list)
    new_captures: int = 0
    already_stored: int = 0
    pages: int = 0
    articles: int = 0
    relevant: int = 0
    new_versions: int = 0
    revisits_resolved: int = 0
    revisits_unresolved: int = 0
    error: str | None = None
    """Why the file could not be read on (OSError), if it could not."""

    @property
    def clean(self) -> bool:
        return not self.damage and self.error is None

    def summary(self) -> str:
        read = sum(self.records.values())
        ingested = ", ".join(f"{self.records[t]} {t}" for t in INGESTED if self.records[t])
        skipped = ", ".join(
            f"{n} {t}" for t, n in sorted(self.records.items()) if t not in INGESTED
        )
        parts = [
            f"{read} records read",
            f"ingested: {ingested or 'none'}",
            f"skipped: {skipped or 'none'}",
            f"captures: {self.new_captures} new, {self.already_stored} already stored",
            f"pages: {self.pages} ({self.articles} articles, {self.relevant} relevant, "
            f"{self.new_versions} new versions)",
        ]
        if self.revisits_resolved or self.revisits_unresolved:
            parts.append(
                f"revisits: {self.revisits_resolved} resolved, "
                f"{self.revisits_unresolved} without their original"
            )
        if self.damage:
            parts.append(f"DAMAGED: {len(self.damage)} unreadable stretches skipped")
        if self.error:
            parts.append(f"STOPPED: {self.error}")
        return f"{self.path}: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class _Entry:
    """A record to store: its capture, and the page to extract when it is an HTML page."""

    capture: Capture
    page: PageInput | None
    concurrent_to: str | None


@dataclass(frozen=True, slots=True)
class _Located:
    path: Path
    offset: int
    record_id: str


class Ingester:
    """Ingests files one after another into one database; `close()` when done."""

    def __init__(
        self,
        repo: Repository,
        *,
        warc_dir: Path,
        story: Story | None = None,
        options: ExtractOptions | None = None,
        workers: int = 1,
        batch_size: int = 200,
        parser: Parser | None = None,
        progress_interval: float = 5.0,
        err: TextIO | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.repo = repo
        self.stop = stop
        """True once the run is to stop (a Ctrl-C): after the batch being written, a file is
        left with `error` set, and no other file is started."""
        self.warc_dir = warc_dir
        self.story = story
        self.options = options or ExtractOptions()
        self.workers = workers
        self.batch_size = max(1, batch_size)
        self.parser = parser
        self.progress_interval = progress_interval
        self.err = err or sys.stderr
        self.story_id = repo.ensure_story(story) if story is not None else None
        self.policy = story.revisit if story is not None else DEFAULT_POLICY
        self._executor: Executor | None = None
        self._by_id: dict[str, _Located] = {}
        self._by_uri_date: dict[tuple[str, str], _Located] = {}
        self._by_uri_digest: dict[tuple[str, str], _Located] = {}
        self._deferred: list[tuple[FileReport, str, ScannedRecord]] = []

    def ingest(self, path: Path, stored_name: str) -> FileReport:
        """Ingest the file at `path`; captures name it `stored_name` (see `resolve_warc_path`)."""
        report = FileReport(str(path))
        size = path.stat().st_size
        started = last_shown = time.monotonic()
        batch: list[_Entry] = []
        requests: dict[str, str] = {}
        try:
            for item in scan(path, parser=self.parser):
                if isinstance(item, Damage):
                    report.damage.append(item)
                    self.err.write(f"{path}: offset {item.offset}: {item.reason}\n")
                    continue
                record = item.record
                report.records[record.rec_type] += 1
                if record.rec_type == "request":
                    concurrent = record.warc_header("WARC-Concurrent-To")
                    if concurrent and record.record_id:
                        requests[concurrent] = record.record_id
                elif record.rec_type in INGESTED:
                    entry = self._entry(report, path, stored_name, item)
                    if entry is not None:
                        batch.append(entry)
                if len(batch) >= self.batch_size:
                    self._write(report, batch, requests)
                    batch = []
                    if self.stop():
                        report.error = "interrupted: ingest it again to go on"
                        break
                now = time.monotonic()
                if self.progress_interval and now - last_shown >= self.progress_interval:
                    last_shown = now
                    self._progress(path, item.offset + item.length, size, now - started)
        except OSError as exc:
            report.error = f"cannot read on: {exc}"
            self.err.write(f"{path}: {report.error}\n")
        self._write(report, batch, requests)
        return report

    def finish(self) -> None:
        """Resolve the revisits whose originals came later in the run, then store them."""
        deferred, self._deferred = self._deferred, []
        by_report: dict[int, tuple[FileReport, list[_Entry]]] = {}
        for report, stored_name, item in deferred:
            entry = self._revisit(report, Path(report.path), stored_name, item, final=True)
            if entry is not None:  # always, when final
                by_report.setdefault(id(report), (report, []))[1].append(entry)
        for report, entries in by_report.values():
            self._write(report, entries, {})

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    # -- records to entries ----------------------------------------------------------------------

    def _entry(
        self, report: FileReport, path: Path, stored_name: str, item: ScannedRecord
    ) -> _Entry | None:
        record = item.record
        url, fetched_at = record.target_uri, record.date
        problem = None
        if url is None or fetched_at is None or record.record_id is None:
            problem = "record without WARC-Target-URI or WARC-Date"
        elif len(record.record_id) > MAX_RECORD_ID:
            problem = f"WARC-Record-ID longer than {MAX_RECORD_ID} characters"
        if problem is not None:
            report.damage.append(Damage(item.offset, item.end, problem))
            self.err.write(f"{path}: offset {item.offset}: {problem}\n")
            return None
        assert url is not None and fetched_at is not None and record.record_id is not None
        if record.rec_type == "revisit":
            entry = self._revisit(report, path, stored_name, item, final=False)
            if entry is None:
                self._deferred.append((report, stored_name, item))
            return entry
        located = _Located(path, item.offset, record.record_id)
        self._by_id[record.record_id] = located
        self._by_uri_date[(normalise_url(url), record.warc_header("WARC-Date") or "")] = located
        digest = record.warc_header("WARC-Payload-Digest") or compute_payload_digest(record.payload)
        self._by_uri_digest[(normalise_url(url), digest)] = located
        page = _page(record)
        return _Entry(
            _capture(record, item, stored_name, digest, page),
            page if page is not None and _is_page(page) else None,
            record.warc_header("WARC-Concurrent-To"),
        )

    def _revisit(
        self, report: FileReport, path: Path, stored_name: str, item: ScannedRecord, *, final: bool
    ) -> _Entry | None:
        """The entry of a revisit record, or None (not final) to try again at the end."""
        record = item.record
        url, fetched_at = record.target_uri, record.date
        assert url is not None and fetched_at is not None
        refers_to = record.warc_header("WARC-Refers-To")
        refers_uri = record.warc_header("WARC-Refers-To-Target-URI") or url
        refers_date = record.warc_header("WARC-Refers-To-Date")
        digest = record.warc_header("WARC-Payload-Digest") or ""
        original = self._original(refers_to, refers_uri, refers_date, digest)
        if original is None and not final:
            return None
        page: PageInput | None = None
        if original is not None:
            try:
                body = page_from_record(read_record(original.path, original.offset))
            except (OSError, ValueError) as exc:
                logger.warning("Original of revisit %s unreadable: %s", record.record_id, exc)
            else:
                page = dataclasses.replace(body, url=url, final_url=url, fetched_at=fetched_at)
        if page is None:
            report.revisits_unresolved += 1
        else:
            report.revisits_resolved += 1
        capture = _capture(record, item, stored_name, digest, page)
        capture = dataclasses.replace(
            capture,
            record_type="revisit",
            revisit_profile=_profile(record.warc_header("WARC-Profile")),
            refers_to=original.record_id if original is not None else refers_to,
        )
        return _Entry(
            capture,
            page if page is not None and _is_page(page) else None,
            record.warc_header("WARC-Concurrent-To"),
        )

    def _original(
        self, refers_to: str | None, uri: str, date: str | None, digest: str
    ) -> _Located | None:
        """Where the body of a revisit is: in this run's files, else in the database."""
        normal = normalise_url(uri)
        found = (
            (self._by_id.get(refers_to) if refers_to else None)
            or (self._by_uri_date.get((normal, date)) if date else None)
            or (self._by_uri_digest.get((normal, digest)) if digest else None)
        )
        if found is not None:
            return found
        stored = queries.original_record(
            self.repo.engine,
            record_id=refers_to,
            url=uri,
            fetched_at=_warc_date(date),
            payload_digest=digest or None,
        )
        if stored is None:
            return None
        path = resolve_warc_path(self.warc_dir, stored.warc_filename)
        return _Located(path, stored.warc_offset, stored.record_id)

    # -- writing ---------------------------------------------------------------------------------

    def _write(self, report: FileReport, entries: list[_Entry], requests: dict[str, str]) -> None:
        if not entries:
            return
        known = queries.stored_record_ids(
            self.repo.engine, (e.capture.warc_record_id for e in entries)
        )
        report.already_stored += sum(1 for e in entries if e.capture.warc_record_id in known)
        fresh = [e for e in entries if e.capture.warc_record_id not in known]
        if not fresh:
            return
        captures = [
            dataclasses.replace(
                e.capture,
                request_record_id=requests.get(e.capture.warc_record_id)
                or (e.concurrent_to if e.concurrent_to in requests.values() else None),
            )
            for e in fresh
        ]
        pending = [(e.capture.warc_record_id, e.page) for e in fresh if e.page is not None]
        extractions = self._extract([page for _, page in pending])
        records: list[PageRecord] = []
        for (record_id, page), extraction in zip(pending, extractions, strict=True):
            relevance = None
            if extraction.article is not None:
                report.articles += 1
                if self.story is not None:
                    relevance = score(extraction.article, self.story)
                    report.relevant += relevance.relevant
            records.append(
                PageRecord(
                    url=page.url,
                    final_url=page.final_url,
                    aliases=(),
                    publisher_host=host_of(normalise_url(page.url)),
                    warc_record_id=record_id,
                    discovered_via=DISCOVERED_VIA,
                    fetched_at=page.fetched_at,
                    extraction=extraction,
                    relevance=relevance,
                )
            )
        self.repo.ensure_publishers(
            {host_of(_home(c.url)): _home(c.url) for c in captures if _is_web(c.url)}
        )
        result = self.repo.write_batch(captures, records, self.story_id, policy=self.policy)
        report.new_captures += result.captures
        report.already_stored += result.duplicate_captures
        report.pages += result.pages
        report.new_versions += result.new_versions

    def _extract(self, pages: list[PageInput]) -> list[Extraction]:
        if self.workers <= 1 or len(pages) < 2:
            return [extract(page, self.options) for page in pages]
        if self._executor is None:
            self._executor = extraction_pool(self.workers)
        chunk = max(1, len(pages) // (self.workers * 4))
        return list(
            self._executor.map(extract, pages, [self.options] * len(pages), chunksize=chunk)
        )

    def _progress(self, path: Path, done: int, size: int, seconds: float) -> None:
        rate = done / seconds / 1e6 if seconds > 0 else 0.0
        self.err.write(
            f"{path}: {done / 1e6:,.1f} of {size / 1e6:,.1f} MB ({done / size:.0%}), "
            f"{rate:.1f} MB/s\n"
        )
        self.err.flush()


def ingest_files(
    ingester: Ingester,
    files: Iterable[tuple[Path, str]],
    *,
    out: Callable[[str], None],
) -> list[FileReport]:
    """Ingest each (path, stored name), resolve deferred revisits, and print each summary."""
    reports = []
    for path, name in files:
        if ingester.stop():
            break
        reports.append(ingester.ingest(path, name))
    ingester.finish()
    for report in reports:
        out(report.summary())
    return reports


# -- helpers -------------------------------------------------------------------------------------


def _page(record: WarcRecord) -> PageInput | None:
    """The page of a response or resource record, None when it has no HTTP status or its body
    does not decode (it is still a capture)."""
    try:
        return page_from_record(record)
    except ContentDecodingError as exc:
        logger.warning("%s: %s", record.target_uri, exc)
        return None
    except ValueError:
        return None


def _is_page(page: PageInput) -> bool:
    """Whether the crawl would have made a page item of it: a 2xx HTML response over HTTP(S)."""
    return _is_web(page.url) and 200 <= page.status < 300 and page.is_html


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _capture(
    record: WarcRecord, item: ScannedRecord, stored_name: str, digest: str, page: PageInput | None
) -> Capture:
    url, fetched_at = record.target_uri, record.date
    assert url is not None and fetched_at is not None and record.record_id is not None
    if record.rec_type == "resource":
        status: int = 200
        content_type = record.warc_header("Content-Type")
    else:
        status = record.status or (page.status if page is not None else 0)
        content_type = record.http_header("Content-Type") or (
            page.header("Content-Type") if page is not None else None
        )
    location = record.http_header("Location") if 300 <= status < 400 else None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return Capture(
        url=url,
        fetched_at=fetched_at,
        status=status,
        content_type=media_type or None,
        location=urljoin(url, location) if location else None,
        warc_filename=stored_name,
        warc_offset=item.offset,
        warc_length=item.length,
        warc_record_id=record.record_id,
        request_record_id=None,
        payload_digest=digest,
        record_type=record.rec_type,
        etag=record.http_header("ETag"),
        last_modified=record.http_header("Last-Modified"),
    )


def _profile(uri: str | None) -> str | None:
    """The revisit profile by the last segment of its WARC-Profile URI (WARC 1.0 or 1.1);
    warcprox's and Heritrix's 'uri-agnostic-identical-payload-digest' is identical-payload-digest
    too. None for a profile of another kind."""
    segment = (uri or "").rstrip("/").rsplit("/", 1)[-1]
    for profile in ("server-not-modified", "identical-payload-digest"):
        if segment.endswith(profile):
            return profile
    return None


def _warc_date(value: str | None) -> datetime | None:
    """A WARC-Refers-To-Date as a timezone-aware datetime, None when absent or malformed."""
    if not value:
        return None
    try:
        moment: datetime = iso_date_to_datetime(value, tz_aware=True)
    except ValueError:
        return None
    return moment


def _home(url: str) -> str:
    parts = urlsplit(normalise_url(url))
    return f"{parts.scheme}://{parts.netloc}/"
