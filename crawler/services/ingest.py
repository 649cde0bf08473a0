"""WARC and ARC files from other crawlers into the database, as if our crawl had fetched them.

Each file is scanned (`storage.warcscan.scan`: exact offsets, damage reported and skipped, and
what is wrong with a record that can still be read flagged on it); its response, resource and
revisit records go through the one door: `crawler.services.exchange.capture_of` makes their
captures, `crawler.services.door` their pages (extracted in a process pool, judged for the story,
with the URLs that redirected to them as aliases) and revisits. Everything is written with
`Repository.write_batch`, batch by batch, so versions and story links come out as in a crawl.

A record whose WARC-Record-ID is already stored is skipped before extraction: ingesting a file
again adds nothing. A revisit record is resolved to the record holding its body, looked up by
WARC-Refers-To, then by WARC-Refers-To-Target-URI and -Date, then by URI and payload digest:
first among the records of this run, then in the database. Revisits whose original comes later
in the run are resolved once every file has been read. A revisit of its own URL is the same page
again, as in a crawl; one that stands for another URL's body (a URI-agnostic revisit) is a page
of its own, read from that body.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from crawler.core.story import Story
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import extraction_pool
from crawler.services.exchange import EXCHANGES, Archived, NotACapture, paired
from crawler.services.files import ArchiveDoor, Entry, Originals
from crawler.services.versions import story_decider
from storage.db import queries
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.db.warcfiles import settle
from storage.warcscan import Damage, Parser, scan

logger = logging.getLogger(__name__)

INGESTED = EXCHANGES
"""Record types that become captures; the others are counted and skipped."""
DISCOVERED_VIA = "ingest"
"""`urls.discovered_via` of a URL first seen in an ingested file."""


@dataclass
class FileReport:
    """What ingesting one file did."""

    path: str
    records: Counter[str] = field(default_factory=Counter)
    """Records read, by WARC-Type."""
    damage: list[Damage] = field(default_factory=list)
    not_captures: Counter[str] = field(default_factory=Counter)
    """Response, resource and revisit records that are no capture of an HTTP exchange, by why
    (a `dns:` lookup, no WARC-Target-URI)."""
    flags: Counter[str] = field(default_factory=Counter)
    """Captures of this file by what is wrong with their record (`crawler.core.capture.FLAGS`)."""
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
        """No bytes skipped: flags are properties of the records, not damage."""
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
        if self.not_captures:
            parts.append(
                "not captures: "
                + ", ".join(f"{n} ({why})" for why, n in sorted(self.not_captures.items()))
            )
        if self.flags:
            parts.append(
                "flagged: " + ", ".join(f"{n} {flag}" for flag, n in sorted(self.flags.items()))
            )
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
        data_dir: str | None = None,
    ) -> None:
        self.repo = repo
        self.data_dir = data_dir
        """The id of the data directory the files are ingested into: they are registered as
        its own (settled: an interrupted ingest is resumed by ingesting again, not by a crawl)."""
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
        self._executor: ProcessPoolExecutor | None = None
        self.door = ArchiveDoor(self.options, story, discovered_via=DISCOVERED_VIA)
        self.originals = Originals(repo.engine, warc_dir)
        self._deferred: list[tuple[FileReport, Archived]] = []

    def ingest(self, path: Path, stored_name: str) -> FileReport:
        """Ingest the file at `path`; captures name it `stored_name` (see `resolve_warc_path`)."""
        report = FileReport(str(path))
        if self.data_dir is not None:
            settle(self.repo.engine, self.data_dir, [stored_name])
        size = path.stat().st_size
        started = last_shown = time.monotonic()
        batch: list[Entry] = []
        if self.workers > 1 and self._executor is None:
            self._executor = extraction_pool(self.workers)
            self.door.executor = self._executor
        try:
            for item in paired(scan(path, parser=self.parser), stored_name):
                if isinstance(item, Damage):
                    report.damage.append(item)
                    self.err.write(f"{path}: offset {item.offset}: {item.reason}\n")
                    continue
                report.records[item.record.rec_type] += 1
                if isinstance(item, Archived):
                    entry = self._entry(report, path, item, final=False)
                    if entry is not None:
                        batch.append(entry)
                if len(batch) >= self.batch_size:
                    self._write(report, batch)
                    batch = []
                    if self.stop():
                        report.error = "interrupted: ingest it again to go on"
                        break
                now = time.monotonic()
                if self.progress_interval and now - last_shown >= self.progress_interval:
                    last_shown = now
                    self._progress(path, item.offset, size, now - started)
        except OSError as exc:
            report.error = f"cannot read on: {exc}"
            self.err.write(f"{path}: {report.error}\n")
        self._write(report, batch)
        return report

    def finish(self) -> None:
        """Resolve the revisits whose originals came later in the run, then store them."""
        deferred, self._deferred = self._deferred, []
        by_report: dict[int, tuple[FileReport, list[Entry]]] = {}
        for report, archived in deferred:
            entry = self._entry(report, Path(report.path), archived, final=True)
            if entry is not None:
                by_report.setdefault(id(report), (report, []))[1].append(entry)
        for report, entries in by_report.values():
            self._write(report, entries)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
            self.door.executor = None

    # -- records to entries ----------------------------------------------------------------------

    def _entry(
        self, report: FileReport, path: Path, archived: Archived, *, final: bool
    ) -> Entry | None:
        """The entry of a record, or None: not a capture (counted), or a revisit whose original
        may come later (not `final`: tried again at the end)."""
        try:
            entry = self.originals.entry(archived, path, final=final)
        except NotACapture as exc:
            report.not_captures[str(exc)] += 1
            return None
        if entry is None:
            self._deferred.append((report, archived))
        elif entry.capture.record_type == "revisit":
            if entry.original is None:
                report.revisits_unresolved += 1
            else:
                report.revisits_resolved += 1
        return entry

    # -- writing ---------------------------------------------------------------------------------

    def _write(self, report: FileReport, entries: list[Entry]) -> None:
        if not entries:
            return
        for entry in entries:
            report.flags.update(entry.capture.flags)
        known = queries.stored_record_ids(
            self.repo.engine, (e.capture.warc_record_id for e in entries)
        )
        report.already_stored += sum(1 for e in entries if e.capture.warc_record_id in known)
        fresh = [e for e in entries if e.capture.warc_record_id not in known]
        if not fresh:
            return
        rows = self.door.rows(fresh)
        for processed in rows.processed:
            if processed.extraction is not None and processed.extraction.article is not None:
                report.articles += 1
                report.relevant += bool(processed.relevance and processed.relevance.relevant)
        self.repo.ensure_publishers(rows.publishers)
        result = self.repo.write_batch(
            rows.captures,
            rows.pages,
            self.story_id,
            revisits=rows.revisits,
            policy=self.policy,
            decide=story_decider(self.story),
            data_dir=self.data_dir,
        )
        report.new_captures += result.captures
        report.already_stored += result.duplicate_captures
        report.pages += result.pages
        report.new_versions += result.new_versions

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
