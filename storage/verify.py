"""Checking an archive and its database against each other (`newsarchive verify`).

Every WARC file is read record by record (`storage.warcscan`): each gzip member must be whole,
each record must parse, carry the fields WARC 1.1 makes mandatory for its type, and match its
WARC-Block-Digest and WARC-Payload-Digest. Every capture row must point at a record that is there:
the file exists, the record at its offset has its record ID and length, and the same payload
digest. Every revisit record must refer to a response record in the archive, every response or
revisit record must have a capture row, and no `.open` file may be left by a crashed crawl.

The files are read one at a time, in the order of the capture rows that point into them (one
pass over the captures, sorted by file and offset), so memory holds one file's record index plus
one small hash per response record of the archive, whatever its size.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from storage.db import models as m
from storage.db.reconcile import Suspect
from storage.recover import in_use
from storage.warc import OPEN_SUFFIX
from storage.warcscan import Damage, check_record, scan

WARC_SUFFIXES = (".warc.gz", ".warc")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where it is, and whether `verify --repair` can fix it."""

    file: str
    offset: int | None
    reason: str
    fixable: bool = False
    capture: Suspect | None = None
    """The capture row at fault, for a capture that points at no record of its own."""
    orphan: bool = False
    """A complete response or revisit record with no capture row."""

    def __str__(self) -> str:
        where = self.file if self.offset is None else f"{self.file}:{self.offset}"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    records: int = 0
    bytes: int = 0
    captures: int = 0
    in_use: list[str] = field(default_factory=list)
    """`.open` files a running crawl is writing: not checked."""

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Indexed:
    length: int
    record_id: str
    rec_type: str
    payload_digest: str | None


def warc_files(directory: Path) -> dict[str, Path]:
    """{final name: path} of the WARC files in `directory`, `.open` ones under their final name
    (a finished file wins over a `.open` of the same name)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        name = path.name.removesuffix(OPEN_SUFFIX)
        if path.is_file() and name.endswith(WARC_SUFFIXES) and name not in found:
            found[name] = path
    return found


class Verifier:
    """One run of the checks; see `verify`."""

    def __init__(
        self,
        directory: Path,
        engine: Engine | None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = directory
        self.engine = engine
        self.progress = progress
        self.report = Report()
        self._files = warc_files(directory)
        self._responses: set[int] = set()
        self._revisits: list[tuple[str, int, str]] = []
        self._checked = 0

    def run(self) -> Report:
        for name, path in self._files.items():
            if path.name.endswith(OPEN_SUFFIX):
                if in_use(path):
                    self.report.in_use.append(path.name)
                    continue
                self._problem(
                    name + OPEN_SUFFIX,
                    None,
                    "unfinished file left by a crashed crawl (recovered by --repair or the "
                    "next crawl)",
                    fixable=True,
                )
        skipped = {n.removesuffix(OPEN_SUFFIX) for n in self.report.in_use}
        scanned: set[str] = set()
        for name, captures in self._captures_by_file():
            if name in skipped:
                continue
            rows = list(captures)
            self.report.captures += len(rows)
            found = self._files.get(name)
            if found is None:
                for row in rows:
                    self._capture_problem(row, "its WARC file is missing")
                continue
            scanned.add(name)
            self._check_captures(name, self._scan(name, found), rows)
        for name, path in self._files.items():
            if name not in scanned and name not in skipped:
                self._check_captures(name, self._scan(name, path), [])
        for file, offset, refers_to in self._revisits:
            if _short_hash(refers_to) not in self._responses:
                self._problem(
                    file, offset, f"revisit refers to {refers_to}, which is in no response record"
                )
        return self.report

    def _captures_by_file(self) -> Iterator[tuple[str, Iterator[_CaptureRow]]]:
        if self.engine is None:
            return
        c = m.Capture
        query = select(
            c.id, c.warc_filename, c.warc_offset, c.warc_length, c.warc_record_id, c.payload_digest
        ).order_by(c.warc_filename, c.warc_offset)
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(query)
            for name, group in itertools.groupby(rows, key=lambda row: str(row[1])):
                yield name, (_CaptureRow(*row) for row in group)

    def _scan(self, name: str, path: Path) -> dict[int, _Indexed]:
        """Check every record of one file; the index of its records by offset."""
        self._checked += 1
        if self.progress is not None:
            self.progress(f"[{self._checked}/{len(self._files)}] {path.name}")
        shown = path.name
        unfinished = shown.endswith(OPEN_SUFFIX)
        index: dict[int, _Indexed] = {}
        self.report.files += 1
        self.report.bytes += os.path.getsize(path)
        for item in scan(path, digests=False):
            if isinstance(item, Damage):
                # A crashed crawl's file ends in a cut-off record that recovery cuts away.
                tail = unfinished and item.end == os.path.getsize(path)
                self._problem(
                    shown,
                    item.offset,
                    f"{item.reason} ({item.end - item.offset} bytes)",
                    fixable=tail,
                )
                continue
            self.report.records += 1
            for reason in check_record(item):
                self._problem(shown, item.offset, reason)
            record = item.record
            rec_type, record_id = record.rec_type, record.record_id or ""
            index[item.offset] = _Indexed(
                item.length, record_id, rec_type, record.warc_header("WARC-Payload-Digest")
            )
            refers_to = record.warc_header("WARC-Refers-To")
            if rec_type == "response":
                self._responses.add(_short_hash(record_id))
            elif rec_type == "revisit" and refers_to:
                self._revisits.append((shown, item.offset, refers_to))
        return index

    def _check_captures(
        self, name: str, index: dict[int, _Indexed], rows: Iterable[_CaptureRow]
    ) -> None:
        claimed: set[int] = set()
        for row in rows:
            record = index.get(row.offset)
            if record is None:
                self._capture_problem(row, "no record starts at this offset")
            elif record.record_id != row.record_id:
                self._capture_problem(
                    row, f"the record here is {record.record_id}, not {row.record_id}"
                )
            elif record.length != row.length:
                self._capture_problem(
                    row, f"the record here is {record.length} bytes long, not {row.length}"
                )
            else:
                claimed.add(row.offset)
                if record.payload_digest != row.payload_digest:
                    self._problem(
                        name,
                        row.offset,
                        f"capture {row.id} has payload digest {row.payload_digest}, "
                        f"its record {record.payload_digest}",
                    )
        if self.engine is None:
            return
        for offset, record in index.items():
            if record.rec_type in ("response", "revisit") and offset not in claimed:
                self.report.problems.append(
                    Problem(
                        self._shown(name),
                        offset,
                        f"{record.rec_type} record {record.record_id} has no capture",
                        fixable=True,
                        orphan=True,
                    )
                )

    def _capture_problem(self, row: _CaptureRow, reason: str) -> None:
        self.report.problems.append(
            Problem(
                row.filename,
                row.offset,
                f"capture {row.id} ({row.record_id}): {reason}",
                fixable=True,
                capture=Suspect(row.id, row.record_id, row.filename, row.offset),
            )
        )

    def _problem(
        self, file: str, offset: int | None, reason: str, *, fixable: bool = False
    ) -> None:
        self.report.problems.append(Problem(file, offset, reason, fixable))

    def _shown(self, name: str) -> str:
        path = self._files.get(name)
        return path.name if path is not None else name


@dataclass(frozen=True, slots=True)
class _CaptureRow:
    id: int
    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str


def _short_hash(record_id: str) -> int:
    """8 bytes standing for a record ID in the set of response records (a false match is a
    2^-64 chance)."""
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big")


def verify(
    directory: str | os.PathLike[str],
    engine: Engine | None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check the WARC files in `directory` and, with an engine, the captures that point into
    them (see the module docstring)."""
    return Verifier(Path(directory), engine, progress).run()
