"""The doors that read whole files — ingest and recovery (and `verify --repair`, through it):
archived exchanges in batches, as the crawl would have stored them.

Each record becomes an `Entry` (`Originals.entry`: its capture, and for a revisit the record
holding its body, looked up one way for both doors) and a batch of entries becomes `Rows`
(`ArchiveDoor.rows`: captures, pages through `crawler.services.door.process`, revisits of known
articles, publishers) for `Repository.write_batch`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine

from crawler.core.capture import Capture
from crawler.core.items import Processed
from crawler.core.record import WarcRecord, parse_warc_date
from crawler.core.story import Story
from crawler.core.urls import host_of, normalise_url
from crawler.extraction.options import ExtractOptions
from crawler.services.door import page_record, process, publisher_host, revisit_record, same_url
from crawler.services.exchange import Archived, RedirectIndex, capture_of
from storage.db import queries
from storage.db.records import PageRecord, RevisitRecord
from storage.warc import read_record, resolve_warc_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """An archived exchange with its capture, and for a revisit the record holding its body
    when it was found."""

    archived: Archived
    capture: Capture
    original: WarcRecord | None = None


@dataclass
class Rows:
    """What a batch of exchanges stores: every capture, the pages, the revisits of known
    articles; and what the door made of each page."""

    captures: list[Capture] = field(default_factory=list)
    pages: list[PageRecord] = field(default_factory=list)
    revisits: list[RevisitRecord] = field(default_factory=list)
    processed: list[Processed] = field(default_factory=list)
    publishers: dict[str, str] = field(default_factory=dict)
    """{host:port: home URL} of the web sites of the captures: pages found in files belong to
    no story's sources, so each site is a publisher of its own (`Repository.ensure_publishers`)."""


class ArchiveDoor:
    """The rows of archived exchanges read from files, as the crawl would have stored them.

    Redirects are remembered across batches (and files) of one run, so a page learns the URLs
    that led to it from the redirects archived before it. Pages are processed in `executor`
    when one is given (a pool of `crawler.extraction.pool`), else here.
    """

    def __init__(
        self,
        options: ExtractOptions,
        story: Story | None,
        *,
        discovered_via: str,
        executor: Executor | None = None,
    ) -> None:
        self.options = options
        self.story = story
        self.discovered_via = discovered_via
        self.executor = executor
        self.redirects = RedirectIndex()

    def rows(self, entries: Sequence[Entry], pages_only: Sequence[Entry] = ()) -> Rows:
        """The rows of `entries` (captures and all), and the pages of `pages_only` (exchanges
        whose capture is stored already but whose page was lost)."""
        rows = Rows(captures=[e.capture for e in entries])
        for capture in rows.captures:
            self.redirects.add(capture)
            home = _home(capture.url)
            if home is not None:
                rows.publishers[host_of(home)] = home
        to_process: list[Entry] = []
        combined = [*((e, True) for e in entries), *((e, False) for e in pages_only)]
        combined.sort(key=lambda pair: (pair[0].archived.filename, pair[0].archived.offset))
        for entry, new in combined:  # in file order, as the crawl met them
            capture = entry.capture
            again = capture.record_type == "revisit" and (
                entry.original is None or same_url(capture, entry.original.target_uri or "")
            )
            if new and (again or capture.record_type != "revisit"):
                revisit = revisit_record(capture)
                if revisit is not None:  # a known article seen again, or gone (404, 410)
                    rows.revisits.append(revisit)
            if not again:  # the same page again (or one whose body is not here) is no page
                to_process.append(entry)
        for entry, processed in zip(to_process, self._process(to_process), strict=True):
            if processed.extraction is None:
                continue  # not a page: its capture is all there is
            rows.processed.append(processed)
            rows.pages.append(
                page_record(
                    processed,
                    publisher=publisher_host(processed.final_url, self.story),
                    warc_record_id=entry.capture.warc_record_id,
                    discovered_via=self.discovered_via,
                )
            )
        return rows

    def _process(self, entries: Sequence[Entry]) -> list[Processed]:
        work = partial(_process, options=self.options, story=self.story)
        jobs = [
            _Job(
                e.archived.record, self.redirects.chain(e.capture.url), e.original, e.capture.flags
            )
            for e in entries
        ]
        if self.executor is None or len(jobs) < 2:
            return [work(job) for job in jobs]
        return list(self.executor.map(work, jobs))


def _home(url: str) -> str | None:
    """The home page URL of an http(s) URL's site (normalised), None for other URLs."""
    try:
        parts = urlsplit(normalise_url(url))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


@dataclass(frozen=True, slots=True)
class _Job:
    """A page for `process` in a worker."""

    record: WarcRecord
    aliases: tuple[str, ...]
    original: WarcRecord | None
    flags: tuple[str, ...]


def _process(job: _Job, options: ExtractOptions, story: Story | None) -> Processed:
    return process(
        job.record,
        options,
        story=story,
        aliases=job.aliases,
        original=job.original,
        flags=job.flags,
    )


# --- the body of a revisit ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Located:
    """Where a record holding a body is."""

    path: Path
    offset: int
    record_id: str


class Originals:
    """Where revisits' bodies are, for the doors that read files: a revisit record is resolved
    to the record holding its body by WARC-Refers-To, then by WARC-Refers-To-Target-URI and
    -Date, then by URI and payload digest: first among the records met so far in the run, then
    in the database."""

    def __init__(self, engine: Engine, warc_dir: Path) -> None:
        self.engine = engine
        self.warc_dir = warc_dir
        self._by_id: dict[str, Located] = {}
        self._by_uri_date: dict[tuple[str, str], Located] = {}
        self._by_uri_digest: dict[tuple[str, str], Located] = {}

    def entry(self, archived: Archived, path: Path, *, final: bool = True) -> Entry | None:
        """The entry of a record (`NotACapture` when it is none): a body is noted as a possible
        original, a revisit gets its original. None for a revisit whose original is not found
        yet when not `final` (the caller tries again later)."""
        record = archived.record
        if record.rec_type != "revisit":
            capture = capture_of(archived)
            located = Located(path, archived.offset, capture.warc_record_id)
            url = normalise_url(capture.url)
            self._by_id[capture.warc_record_id] = located
            self._by_uri_date[(url, record.warc_header("WARC-Date") or "")] = located
            self._by_uri_digest[(url, capture.payload_digest)] = located
            return Entry(archived, capture)
        found = self.find(record)
        if found is None and not final:
            return None
        original = None
        if found is not None:
            try:
                original = read_record(found.path, found.offset, verify=False)
            except (OSError, ValueError) as exc:
                logger.warning("Original of revisit %s unreadable: %s", record.record_id, exc)
        refers_to = found.record_id if found is not None else None
        return Entry(archived, capture_of(archived, refers_to=refers_to), original)

    def find(self, revisit: WarcRecord) -> Located | None:
        """Where the body of a revisit is: in this run's files, else in the database."""
        refers_to = revisit.warc_header("WARC-Refers-To")
        uri = revisit.warc_header("WARC-Refers-To-Target-URI") or revisit.target_uri or ""
        date = revisit.warc_header("WARC-Refers-To-Date")
        digest = revisit.warc_header("WARC-Payload-Digest") or ""
        try:
            normal = normalise_url(uri)
        except ValueError:
            normal = uri
        found = (
            (self._by_id.get(refers_to) if refers_to else None)
            or (self._by_uri_date.get((normal, date)) if date else None)
            or (self._by_uri_digest.get((normal, digest)) if digest else None)
        )
        if found is not None:
            return found
        try:
            moment = parse_warc_date(date) if date else None
        except ValueError:
            moment = None
        stored = queries.original_record(
            self.engine,
            record_id=refers_to,
            url=uri or None,
            fetched_at=moment,
            payload_digest=digest or None,
        )
        if stored is None:
            return None
        path = resolve_warc_path(self.warc_dir, stored.warc_filename)
        return Located(path, stored.warc_offset, stored.record_id)
