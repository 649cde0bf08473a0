"""Crash recovery, the database side: make the database agree with WARC files a dead crawl left.

A crawl killed at any moment leaves a database that lags the archive by the batches the store
pipeline had not written yet. Once `storage.recover` has finished the `.open` files, the database
is reconciled with those files (and the file the same crawl closed just before): a complete
response or revisit record with no capture row is stored as a capture, and an HTML page's
article through the same `page_from_record` → `extract` → `write_batch` path as re-extraction; a
page whose capture was stored but whose article was not is extracted again; a capture that
points at a record that is not there (past the end of a cut file) is removed.

It imports no Scrapy: the crawl and the CLI hand it a story, extraction options and an engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from sqlalchemy import Engine
from w3lib.url import safe_url_string
from warcio.timeutils import iso_date_to_datetime

from crawler.core.article import Relevance
from crawler.core.capture import Capture
from crawler.core.items import RevisitOutcome
from crawler.core.story import Story
from crawler.core.urls import host_of, normalise_url
from crawler.extraction.extract import extract, not_an_article
from crawler.extraction.options import ExtractOptions
from crawler.extraction.relevance import score
from storage.db.bulk import chunks
from storage.db.queries import publisher_hosts
from storage.db.reconcile import (
    Suspect,
    capture_rows_in_file,
    drop_captures,
    repoint_captures,
    stored_captures,
)
from storage.db.records import PageRecord, RevisitRecord
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.warc import (
    REVISIT_PROFILES,
    ContentDecodingError,
    compute_payload_digest,
    page_from_record,
    read_record,
)
from storage.warcscan import ScannedRecord, scan

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
GONE = (404, 410)
BATCH = 200
"""Records reconciled per database transaction."""
DISCOVERED_VIA = "recovered"
"""`urls.discovered_via` of a page stored by recovery: how the crawl found it is not archived."""


@dataclass
class Reconciled:
    """What reconciling the database with some WARC files did."""

    captures_added: int = 0
    """Complete records that had no capture row, now stored as captures."""
    pages_added: int = 0
    """HTML pages stored through extraction (of the captures added, or of stored captures
    whose page had been lost)."""
    captures_repointed: int = 0
    """Capture rows that named the wrong place for their record, moved to where it is."""
    captures_dropped: list[tuple[str, int, str]] = field(default_factory=list)
    """(file, offset, record id) of capture rows removed: their record is not in the archive."""

    def __bool__(self) -> bool:
        return bool(
            self.captures_added
            or self.pages_added
            or self.captures_repointed
            or self.captures_dropped
        )


@dataclass(frozen=True, slots=True)
class _Entry:
    """A response or revisit record, without its block."""

    offset: int
    length: int
    record_id: str
    rec_type: str
    uri: str
    date: datetime
    status: int
    http_headers: tuple[tuple[str, str], ...]
    payload_digest: str
    profile: str | None
    """WARC-Profile of a revisit."""
    refers_to: str | None
    """WARC-Refers-To of a revisit."""
    request_id: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.http_headers if k.lower() == wanted), None)

    @property
    def is_page(self) -> bool:
        content_type = (self.header("Content-Type") or "").strip().lower()
        return (
            self.rec_type == "response"
            and 200 <= self.status < 300
            and content_type.startswith(HTML_TYPES)
        )


@dataclass(frozen=True)
class Reconciler:
    """Brings the database in line with WARC files: see `reconcile`."""

    engine: Engine
    directory: Path
    options: ExtractOptions
    story: Story | None = None
    """With a story, pages are judged for relevance and linked to it, as in the crawl."""

    def reconcile(
        self,
        names: Sequence[str],
        suspects: Iterable[Suspect] = (),
        progress: Callable[[str], None] | None = None,
    ) -> Reconciled:
        """Reconcile the database with the files `names` of the directory:

        - records with no capture row become captures (+ pages for HTML pages of the story's
          publishers, + revisit outcomes for revisits and 404/410 answers);
        - captures stored without their page (the crawl died before writing it) get it;
        - capture rows of these records that point elsewhere are moved to the record;
        - capture rows that point into these files at no record of theirs, and the `suspects`
          (captures known to point at no record, in files missing or not), are removed unless
          their record was found in one of the files (and the capture moved there).
        """
        result = Reconciled()
        story_id = Repository(self.engine).ensure_story(self.story) if self.story else None
        hosts = self._publisher_hosts()
        doubtful = {s.record_id: (s.capture_id, s.filename, s.offset) for s in suspects}
        found: set[str] = set()
        for number, name in enumerate(names, 1):
            if progress is not None:
                progress(f"reconciling {name} ({number}/{len(names)})")
            path = self.directory / name
            entries = list(_entries(path))
            found.update(e.record_id for e in entries)
            for batch in chunks(entries, BATCH):
                self._batch(name, path, batch, hosts, story_id, result)
            valid = {(e.offset, e.record_id) for e in entries}
            for capture_id, offset, record_id in capture_rows_in_file(self.engine, name):
                if (offset, record_id) not in valid:
                    doubtful[record_id] = (capture_id, name, offset)
        lost = {rid: where for rid, where in doubtful.items() if rid not in found}
        if lost:
            drop_captures(self.engine, [capture_id for capture_id, _, _ in lost.values()])
            result.captures_dropped += [(f, o, rid) for rid, (_, f, o) in lost.items()]
        return result

    def _publisher_hosts(self) -> set[str]:
        if self.story is not None:
            return {source.host for source in self.story.sources}
        return set(publisher_hosts(self.engine))

    def _batch(
        self,
        name: str,
        path: Path,
        entries: Sequence[_Entry],
        hosts: set[str],
        story_id: int | None,
        result: Reconciled,
    ) -> None:
        stored, undiscovered = stored_captures(
            self.engine,
            [e.record_id for e in entries],
            [e.uri for e in entries if e.is_page],
        )
        moves = [
            (stored[e.record_id][0], name, e.offset, e.length)
            for e in entries
            if e.record_id in stored and stored[e.record_id][1:] != (name, e.offset, e.length)
        ]
        orphans = [e for e in entries if e.record_id not in stored]
        pages = [
            e
            for e in entries
            if e.is_page
            and host_of(normalise_url(e.uri)) in hosts
            and (e.record_id not in stored or normalise_url(e.uri) in undiscovered)
        ]
        if moves:
            repoint_captures(self.engine, moves)
            result.captures_repointed += len(moves)
            for capture_id, _, offset, _ in moves:
                logger.warning("Capture %d moved to %s at %d", capture_id, name, offset)
        if not orphans and not pages:
            return
        redirects = _redirects(entries)
        records = [self._page(path, e, redirects) for e in pages]
        revisits = [
            RevisitRecord(url=e.uri, fetched_at=e.date, status=e.status, outcome=outcome)
            for e in orphans
            if (outcome := _revisit_outcome(e)) is not None
        ]
        captures = [_capture(e, name) for e in orphans]
        policy = self.story.revisit if self.story is not None else DEFAULT_POLICY
        Repository(self.engine).write_batch(
            captures, records, story_id, revisits=revisits, policy=policy
        )
        result.captures_added += len(captures)
        result.pages_added += len(records)
        for e in orphans:
            logger.info("Stored the capture of %s (%s) from %s", e.uri, e.record_id, name)

    def _page(self, path: Path, entry: _Entry, redirects: dict[str, list[str]]) -> PageRecord:
        """The page of a response record, extracted (and judged) as the crawl would have."""
        try:
            page = page_from_record(read_record(path, entry.offset))
            extraction = extract(page, self.options)
        except ContentDecodingError as exc:
            extraction = not_an_article(f"error: {type(exc).__name__}: {exc}", self.options)
        relevance: Relevance | None = None
        if self.story is not None and extraction.article is not None:
            relevance = score(extraction.article, self.story)
        source = self.story.source_for(entry.uri) if self.story is not None else None
        return PageRecord(
            url=entry.uri,
            final_url=entry.uri,
            aliases=tuple(_chain(normalise_url(entry.uri), redirects)),
            publisher_host=source.host if source else host_of(normalise_url(entry.uri)),
            warc_record_id=entry.record_id,
            discovered_via=DISCOVERED_VIA,
            fetched_at=entry.date,
            extraction=extraction,
            relevance=relevance,
        )


def _entries(path: Path) -> Iterator[_Entry]:
    """The response and revisit records of a file, with their request records' IDs."""
    pending: _Entry | None = None
    for item in scan(path, digests=False):
        if not isinstance(item, ScannedRecord):
            continue
        record = item.record
        if pending is not None:
            if (
                record.rec_type == "request"
                and record.warc_header("WARC-Concurrent-To") == pending.record_id
            ):
                pending = replace(pending, request_id=record.record_id)
            yield pending
            pending = None
        if record.rec_type in ("response", "revisit"):
            pending = _entry(item)
            if pending is None:
                logger.warning(
                    "%s: the %s record at %d names no URL, date or HTTP message",
                    path.name,
                    record.rec_type,
                    item.offset,
                )
    if pending is not None:
        yield pending


def _entry(item: ScannedRecord) -> _Entry | None:
    record = item.record
    uri, date = record.target_uri, record.warc_header("WARC-Date")
    if record.http_start_line is None or not uri or not date or item.derived_id:
        return None
    digest = record.warc_header("WARC-Payload-Digest") or compute_payload_digest(record.payload)
    return _Entry(
        offset=item.offset,
        length=item.length,
        record_id=record.record_id or "",
        rec_type=record.rec_type,
        uri=uri,
        date=iso_date_to_datetime(date, tz_aware=True),
        status=record.status or 0,
        http_headers=record.http_headers,
        payload_digest=digest,
        profile=record.warc_header("WARC-Profile"),
        refers_to=record.warc_header("WARC-Refers-To"),
    )


def _capture(entry: _Entry, filename: str) -> Capture:
    """The capture the WARC extension would have announced for this record."""
    media_type = (entry.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    redirect = entry.header("Location") if 300 <= entry.status < 400 else None
    profile = None
    if entry.rec_type == "revisit" and entry.profile:
        profile = next(
            (short for short, uri in REVISIT_PROFILES.items() if uri == entry.profile),
            entry.profile.rstrip("/").rsplit("/", 1)[-1],
        )
    return Capture(
        url=entry.uri,
        fetched_at=entry.date,
        status=entry.status,
        content_type=media_type or None,
        location=urljoin(entry.uri, safe_url_string(redirect)) if redirect else None,
        warc_filename=filename,
        warc_offset=entry.offset,
        warc_length=entry.length,
        warc_record_id=entry.record_id,
        request_record_id=entry.request_id,
        payload_digest=entry.payload_digest,
        record_type=entry.rec_type,
        revisit_profile=profile,
        refers_to=entry.refers_to if entry.rec_type == "revisit" else None,
        etag=entry.header("ETag"),
        last_modified=entry.header("Last-Modified"),
    )


def _revisit_outcome(entry: _Entry) -> RevisitOutcome | None:
    """What a record says of a known article, as the spider reports it: a revisit record, the
    same page again; 404 or 410, gone. Applied only to URLs that lead to a scheduled article."""
    if entry.rec_type == "revisit":
        return "unchanged"
    if entry.status in GONE:
        return "gone"
    return None


def _redirects(entries: Sequence[_Entry]) -> dict[str, list[str]]:
    """{normalised URL: the normalised URLs that redirected to it} among `entries`."""
    sources: dict[str, list[str]] = {}
    for entry in entries:
        location = entry.header("Location")
        if 300 <= entry.status < 400 and location:
            target = normalise_url(urljoin(entry.uri, safe_url_string(location)))
            sources.setdefault(target, []).append(normalise_url(entry.uri))
    return sources


def _chain(url: str, redirects: dict[str, list[str]]) -> list[str]:
    """Every URL that led to `url` through `redirects`, nearest first."""
    chain: list[str] = []
    todo = list(redirects.get(url, ()))
    while todo:
        source = todo.pop(0)
        if source != url and source not in chain:
            chain.append(source)
            todo += redirects.get(source, ())
    return chain
