"""Crash recovery, the database side: make the database agree with WARC files a dead crawl left.

A crawl killed at any moment leaves a database that lags the archive by the batches the store
pipeline had not written yet. Once `storage.recover` has finished the `.open` files, the database
is reconciled with every closed file of the data directory that is not settled (`recover`): the
files of a crawl that died or lost database writes, those recovery itself was killed before it
had reconciled, and those no crawl of this database wrote. A record with no
capture row goes through the one door (`crawler.services.exchange.capture_of`, then
`crawler.services.door`) and is stored as the crawl would have stored it, its page extracted and
judged; a page whose capture was stored but whose page was not is processed again; a capture that
points at a record that is not there (past the end of a cut file) is removed.

It imports no Scrapy: the crawl and the CLI hand it a story, extraction options and an engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from crawler.core.story import Story
from crawler.core.urls import normalise_url
from crawler.extraction.options import ExtractOptions
from crawler.services.exchange import Archived, NotACapture, paired
from crawler.services.files import ArchiveDoor, Entry, Originals
from crawler.services.versions import story_decider
from storage.db.bulk import chunks
from storage.db.reconcile import (
    Suspect,
    capture_rows_in_file,
    drop_captures,
    repoint_captures,
    stored_captures,
)
from storage.db.repository import DEFAULT_POLICY, Repository
from storage.db.warcfiles import settle, settled_names
from storage.recover import RecoveredFile, recover_open_files
from storage.verify import WARC_SUFFIXES
from storage.warcscan import scan

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Reconciler:
    """Brings the database in line with WARC files: see `reconcile`."""

    engine: Engine
    directory: Path
    options: ExtractOptions
    story: Story | None = None
    """With a story, pages are judged for relevance and linked to it, as in the crawl."""
    data_dir: str | None = None
    """The id of the data directory whose files these are: the files are registered as its
    own, and settled once reconciled."""

    def reconcile(
        self,
        names: Sequence[str],
        suspects: Iterable[Suspect] = (),
        progress: Callable[[str], None] | None = None,
    ) -> Reconciled:
        """Reconcile the database with the files `names` of the directory:

        - records with no capture row become captures (+ pages, + revisit outcomes for revisits
          and 404/410 answers), through the one door;
        - captures stored without their page (the crawl died before writing it) get it;
        - capture rows of these records that point elsewhere are moved to the record;
        - capture rows that point into these files at no record of theirs, and the `suspects`
          (captures known to point at no record, in files missing or not), are removed unless
          their record was found in one of the files (and the capture moved there).
        """
        result = Reconciled()
        story_id = Repository(self.engine).ensure_story(self.story) if self.story else None
        door = ArchiveDoor(self.options, self.story, discovered_via=DISCOVERED_VIA)
        doubtful = {s.record_id: (s.capture_id, s.filename, s.offset) for s in suspects}
        found: set[str] = set()
        originals = Originals(self.engine, self.directory)
        for number, name in enumerate(names, 1):
            if progress is not None:
                progress(f"reconciling {name} ({number}/{len(names)})")
            entries = _entries(self.directory / name, name, originals)
            found.update(e.capture.warc_record_id for e in entries)
            for batch in chunks(entries, BATCH):
                self._batch(name, batch, door, story_id, result)
            valid = {(e.archived.offset, e.capture.warc_record_id) for e in entries}
            for capture_id, offset, record_id in capture_rows_in_file(self.engine, name):
                if (offset, record_id) not in valid:
                    doubtful[record_id] = (capture_id, name, offset)
        lost = {rid: where for rid, where in doubtful.items() if rid not in found}
        if lost:
            drop_captures(self.engine, [capture_id for capture_id, _, _ in lost.values()])
            result.captures_dropped += [(f, o, rid) for rid, (_, f, o) in lost.items()]
        if self.data_dir is not None:
            settle(self.engine, self.data_dir, names)
        return result

    def _batch(
        self,
        name: str,
        entries: Sequence[Entry],
        door: ArchiveDoor,
        story_id: int | None,
        result: Reconciled,
    ) -> None:
        stored, undiscovered = stored_captures(
            self.engine,
            [e.capture.warc_record_id for e in entries],
            [e.capture.url for e in entries if e.capture.record_type != "revisit"],
        )
        moves = [
            (stored[e.capture.warc_record_id][0], name, e.archived.offset, e.archived.length)
            for e in entries
            if e.capture.warc_record_id in stored
            and stored[e.capture.warc_record_id][1:] != (name, e.archived.offset, e.archived.length)
        ]
        orphans = [e for e in entries if e.capture.warc_record_id not in stored]
        lost_pages = [
            e
            for e in entries
            if e.capture.warc_record_id in stored
            and e.capture.record_type != "revisit"
            and normalise_url(e.capture.url) in undiscovered
        ]
        if moves:
            repoint_captures(self.engine, moves)
            result.captures_repointed += len(moves)
            for capture_id, _, offset, _ in moves:
                logger.warning("Capture %d moved to %s at %d", capture_id, name, offset)
        if not orphans and not lost_pages:
            return
        rows = door.rows(orphans, lost_pages)
        policy = self.story.revisit if self.story is not None else DEFAULT_POLICY
        Repository(self.engine).ensure_publishers(rows.publishers)
        Repository(self.engine).write_batch(
            rows.captures,
            rows.pages,
            story_id,
            revisits=rows.revisits,
            policy=policy,
            decide=story_decider(self.story),
            data_dir=self.data_dir,
        )
        result.captures_added += len(rows.captures)
        result.pages_added += len(rows.pages)
        for e in orphans:
            logger.info(
                "Stored the capture of %s (%s) from %s",
                e.capture.url,
                e.capture.warc_record_id,
                name,
            )


@dataclass
class Recovery:
    """What a crawl's start did to bring its data directory and the database in line."""

    files: list[RecoveredFile]
    """What became of each `.open` file."""
    reconciled: list[str] = field(default_factory=list)
    """The closed files that were not settled, reconciled with the database."""
    done: Reconciled = field(default_factory=Reconciled)


def unsettled(engine: Engine, data_dir: str, directory: Path) -> list[str]:
    """The closed WARC files of `directory` that the database has not caught up with: neither
    a crawl that closed cleanly nor a reconciliation settled them (`storage.db.warcfiles`)."""
    if not directory.is_dir():
        return []
    settled = settled_names(engine, data_dir)
    return sorted(
        path.name
        for path in directory.iterdir()
        if path.name.endswith(WARC_SUFFIXES) and path.name not in settled and path.is_file()
    )


def recover(
    directory: Path,
    engine: Engine | None,
    data_dir: str | None,
    options: ExtractOptions,
    story: Story | None = None,
) -> Recovery:
    """Before a crawl writes: finish the `.open` files a dead crawl left (`storage.recover`),
    then, with a database, reconcile it with every closed file of the data directory that is not
    settled, and settle them.

    Each step can be killed and the next start picks up where it stopped: a file is settled only
    once the database holds every capture of it, so a kill after the rename (or anywhere in
    reconciling, which stores what is missing and nothing twice) leaves it to the next start.
    A normal start costs a listing of the directory and one query.
    """
    recovery = Recovery(recover_open_files(directory))
    if engine is None or data_dir is None:
        return recovery
    recovery.reconciled = unsettled(engine, data_dir, directory)
    if recovery.reconciled:
        recovery.done = Reconciler(engine, directory, options, story, data_dir).reconcile(
            recovery.reconciled
        )
    return recovery


def _entries(path: Path, name: str, originals: Originals) -> list[Entry]:
    """The exchanges of a file as the door makes captures of them; the other records skipped."""
    entries = []
    for item in paired(scan(path), name):
        if not isinstance(item, Archived):
            continue
        try:
            entry = originals.entry(item, path)
        except NotACapture as exc:
            logger.warning("%s: the record at %d is not stored: %s", path.name, item.offset, exc)
            continue
        assert entry is not None  # final: a revisit without its original is one all the same
        entries.append(entry)
    return entries
