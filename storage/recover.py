"""Crash recovery: finish the WARC files a dead crawl left open and make the database agree.

A crawl killed at any moment (SIGKILL, a power cut) leaves its current file as `NAME.open`, with
complete records and perhaps a cut-off last one, and a database that lags the archive by the
batches the store pipeline had not written yet. Recovery, run at the start of every crawl (by the
WARC extension, before anything is written) and by `newsarchive verify --repair`:

1. cuts each `.open` file back to its last complete record (every gzip member checked whole:
   CRC, WARC header, Content-Length) and renames it to `NAME`; a file that a live crawl still
   writes is left alone (the writer holds an exclusive `flock` on it);
2. reconciles the database with those files (and the file the same crawl closed just before):
   a complete response or revisit record with no capture row is stored as a capture, and an HTML
   page's article through the same `page_from_record` → `extract` → `write_batch` path as
   re-extraction; a page whose capture was stored but whose article was not is extracted again;
   a capture that points at a record that is not there (past the end of a cut file) is removed.

It imports no Scrapy: the crawl and the CLI hand it a story, extraction options and an engine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from w3lib.url import safe_url_string
from warcio.timeutils import iso_date_to_datetime

from crawler.capture import Capture
from crawler.extraction.article import Relevance
from crawler.extraction.extract import extract, not_an_article
from crawler.extraction.options import ExtractOptions
from crawler.extraction.relevance import score
from crawler.items import RevisitOutcome
from crawler.story import Story
from crawler.urls import host_of, normalise_url
from storage.db import models as m
from storage.db.bulk import chunks
from storage.db.engine import write_transaction
from storage.db.models import utcnow
from storage.db.records import PageRecord, RevisitRecord
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.db.urls import url_hash
from storage.warc import (
    OPEN_SUFFIX,
    REVISIT_PROFILES,
    ContentDecodingError,
    compute_payload_digest,
    lock_file,
    page_from_record,
    read_record,
)
from storage.warcscan import ScannedRecord, complete_end, scan

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
GONE = (404, 410)
BATCH = 200
"""Records reconciled per database transaction."""
DISCOVERED_VIA = "recovered"
"""`urls.discovered_via` of a page stored by recovery: how the crawl found it is not archived."""

_NAME = re.compile(
    r"^(?P<prefix>.+)-(?P<stamp>\d{20})-(?P<serial>\d{5})-(?P<writer>.+-\d+)\.warc(?:\.gz)?$"
)
"""`WarcWriter`'s file names; `writer` is host-pid, one crawl process."""

FileStatus = Literal["recovered", "empty", "in-use", "damaged", "name-taken"]


# --- the files ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveredFile:
    """What recovery did with one `.open` file."""

    name: str
    """The file's final name (without `.open`)."""
    status: FileStatus
    """'recovered': cut back (if needed) and renamed; 'empty': no complete record, deleted;
    'in-use': a live crawl writes it, left alone; 'damaged': complete records follow damage, so
    cutting would lose them, left as it is; 'name-taken': a file already has the final name."""
    records: int = 0
    """Complete records kept."""
    cut: int = 0
    """Bytes cut off the end."""
    reason: str = ""
    """What the cut-off bytes were (or why the file was left alone)."""

    @property
    def changed(self) -> bool:
        return self.status in ("recovered", "empty")


def in_use(path: Path) -> bool:
    """Whether a live writer holds `path` (a `.open` file) open."""
    with path.open("rb") as stream:
        return not lock_file(stream.fileno())


def recover_open_files(directory: str | os.PathLike[str]) -> list[RecoveredFile]:
    """Recover every `.open` file in `directory` that no live crawl is writing."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [recover_open_file(path) for path in sorted(directory.glob("*" + OPEN_SUFFIX))]


def recover_open_file(path: str | os.PathLike[str]) -> RecoveredFile:
    """Cut the `.open` file at `path` back to its last complete record and give it its final
    name; see `RecoveredFile` for when it is left alone."""
    path = Path(path)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    with path.open("r+b") as stream:
        if not lock_file(stream.fileno()):
            return RecoveredFile(final.name, "in-use", reason="a running crawl is writing it")
        size = os.fstat(stream.fileno()).st_size
        end, records, damage = complete_end(path)
        reason = "; ".join(f"{d.reason} at offset {d.offset}" for d in damage)
        if any(d.offset < end for d in damage):
            return RecoveredFile(
                final.name, "damaged", records, reason=f"complete records follow damage: {reason}"
            )
        if final.exists():
            return RecoveredFile(final.name, "name-taken", records, reason=f"{final} exists")
        if end == 0:
            path.unlink()
            _sync_directory(path.parent)
            return RecoveredFile(final.name, "empty", 0, size, reason or "empty file")
        stream.truncate(end)
        os.fsync(stream.fileno())
        path.rename(final)
    _sync_directory(path.parent)
    return RecoveredFile(final.name, "recovered", records, size - end, reason)


def _sync_directory(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def files_to_reconcile(directory: Path, recovered: Iterable[RecoveredFile]) -> list[str]:
    """The recovered files, each with the file its crawl closed just before it (rotation): the
    database lags the archive by seconds, so that file's last records may lack captures too."""
    names: list[str] = []
    for file in recovered:
        if file.status != "recovered":
            continue
        names.append(file.name)
        match = _NAME.match(file.name)
        if match is None or match["serial"] == "00000":
            continue
        previous = f"{int(match['serial']) - 1:05d}"
        for candidate in sorted(directory.glob(f"{glob_escape(match['prefix'])}-*-{previous}-*")):
            other = _NAME.match(candidate.name)
            if other is not None and other["writer"] == match["writer"]:
                names.append(candidate.name)
    return list(dict.fromkeys(names))


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


# --- the database ------------------------------------------------------------------------------


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
class Suspect:
    """A capture row that points at no record of its own (as `verify` found)."""

    capture_id: int
    record_id: str
    filename: str
    offset: int


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
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(m.Capture.id, m.Capture.warc_offset, m.Capture.warc_record_id).where(
                        m.Capture.warc_filename == name
                    )
                )
                for capture_id, offset, record_id in rows:
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
        with self.engine.connect() as conn:
            return set(conn.execute(select(m.Publisher.host)).scalars())

    def _batch(
        self,
        name: str,
        path: Path,
        entries: Sequence[_Entry],
        hosts: set[str],
        story_id: int | None,
        result: Reconciled,
    ) -> None:
        with self.engine.connect() as conn:
            stored = _stored_captures(conn, [e.record_id for e in entries])
            undiscovered = _undiscovered(
                conn, [e.uri for e in entries if e.is_page and e.record_id in stored]
            )
        moves = [
            {"b_id": stored[e.record_id][0], "b_file": name, "b_offset": e.offset,
             "b_length": e.length}
            for e in entries
            if e.record_id in stored and stored[e.record_id][1:] != (name, e.offset, e.length)
        ]  # fmt: skip
        orphans = [e for e in entries if e.record_id not in stored]
        pages = [
            e
            for e in entries
            if e.is_page
            and host_of(normalise_url(e.uri)) in hosts
            and (e.record_id not in stored or normalise_url(e.uri) in undiscovered)
        ]
        if moves:
            repoint = (
                update(m.Capture)
                .where(m.Capture.id == bindparam("b_id"))
                .values(
                    warc_filename=bindparam("b_file"),
                    warc_offset=bindparam("b_offset"),
                    warc_length=bindparam("b_length"),
                )
            )
            write_transaction(self.engine, lambda conn: conn.execute(repoint, moves))
            result.captures_repointed += len(moves)
            for move in moves:
                logger.warning("Capture %d moved to %s at %d", move["b_id"], name, move["b_offset"])
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


def drop_captures(engine: Engine, capture_ids: Sequence[int]) -> int:
    """Remove capture rows whose record is not in the archive.

    Their article versions keep their text but lose the capture (`capture_id` is set to NULL by
    the foreign key, as are revisits' `revisit_of_id`), and their articles are due for a revisit
    at once, so that the next crawl archives them again."""
    now = utcnow()

    def write(conn: Connection) -> None:
        for chunk in chunks(sorted(set(capture_ids))):
            articles = select(m.ArticleVersion.url_id).where(m.ArticleVersion.capture_id.in_(chunk))
            conn.execute(
                update(m.ArticleSchedule)
                .where(m.ArticleSchedule.url_id.in_(articles), m.ArticleSchedule.gone_at.is_(None))
                .values(next_due_at=now)
            )
            conn.execute(delete(m.Capture).where(m.Capture.id.in_(chunk)))

    write_transaction(engine, write)
    for capture_id in capture_ids:
        logger.warning("Removed capture %d: its WARC record is not in the archive", capture_id)
    return len(capture_ids)


def _stored_captures(
    conn: Connection, record_ids: Sequence[str]
) -> dict[str, tuple[int, str, int, int]]:
    c = m.Capture
    return {
        record_id: (id_, filename, offset, length)
        for chunk in chunks(record_ids)
        for id_, record_id, filename, offset, length in conn.execute(
            select(c.id, c.warc_record_id, c.warc_filename, c.warc_offset, c.warc_length).where(
                c.warc_record_id.in_(chunk)
            )
        )
    }


def _undiscovered(conn: Connection, urls: Sequence[str]) -> set[str]:
    """The (normalised) URLs among `urls` that no stored page names: their capture is stored
    but their page was lost."""
    hashes = {url_hash(normalise_url(u)): normalise_url(u) for u in urls}
    return {
        hashes[digest]
        for chunk in chunks(list(hashes))
        for digest in conn.execute(
            select(m.Url.url_hash).where(m.Url.url_hash.in_(chunk), m.Url.discovered_via.is_(None))
        ).scalars()
    }


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
