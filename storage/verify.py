"""Checking an archive and its database against each other (`newsarchive verify`).

Every WARC file is read record by record (`storage.warcscan`): each gzip member must be whole,
each record must parse, carry the fields WARC 1.1 makes mandatory for its type, hold all the bytes
it declares, and match its WARC-Block-Digest and WARC-Payload-Digest. Every capture row must point
at a record that is there: the file exists, the record at its offset has its record ID and length,
and the same payload digest. Every revisit record must refer to a response record in the archive
(or, in a database shared with other data directories, the record of one of their captures),
every record that is a capture (the door's rule, `captured`) must have a capture row, and no
`.open` file may be left by a crashed crawl.

Files ingested where they lie (captures that name an absolute path) are checked too. What is
wrong with a record that was stored all the same is flagged on its capture (`ingest`: a digest
computed another way, a record cut short): such a record is reported as flagged, a property of
the file and not damage, and `--repair` leaves it as it is. A capture whose file outside the WARC
directory is missing is a problem that repair does not touch: that file is not ours to replace.

When several data directories share one database, a data directory checks only its own
captures: those in its WARC files, and those whose missing file is registered to it
(`storage.db.warcfiles`); a capture whose missing file another data directory registered is
left alone, and one whose missing file no data directory registered (written before data
directories had ids) is a problem nobody can repair unless the data directory claims it
(`Scope`).

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

from crawler.core.capture import DIGEST_MISMATCH, TRUNCATED
from storage.db import models as m
from storage.db.reconcile import Suspect
from storage.db.warcfiles import Owners
from storage.recover import in_use
from storage.warc import OPEN_SUFFIX
from storage.warcscan import Damage, ScannedRecord, check_record, scan

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
    flagged: list[Problem] = field(default_factory=list)
    """What is wrong with records whose captures carry it as a flag: shown, not problems."""
    files: int = 0
    records: int = 0
    bytes: int = 0
    captures: int = 0
    in_use: list[str] = field(default_factory=list)
    """`.open` files a running crawl is writing: not checked."""
    foreign: int = 0
    """Captures of other data directories' files (missing here): not checked."""
    unknown: list[str] = field(default_factory=list)
    """Missing files of captures that no data directory registered."""

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Indexed:
    length: int
    record_id: str
    rec_type: str
    payload_digest: str | None
    captured: bool
    """Whether the record is a capture (it should have a capture row)."""
    problems: tuple[tuple[str, str | None, bool], ...] = ()
    """(reason, the flag that covers it, fixable) of what is wrong with the record."""


_DIGEST_PROBLEMS = ("WARC-Block-Digest mismatch", "WARC-Payload-Digest mismatch")


def warc_files(directory: Path) -> dict[str, Path]:
    """{final name: path} of the WARC files in `directory`, `.open` ones under their final name
    (a finished file wins over a `.open` of the same name)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        name = path.name.removesuffix(OPEN_SUFFIX)
        if path.is_file() and name.endswith(WARC_SUFFIXES) and name not in found:
            found[name] = path
    return found


@dataclass(frozen=True)
class Scope:
    """Which captures a data directory checks (and may repair).

    A file in its WARC directory is its own, whoever registered it. A missing file is its own
    when registered to it; another data directory's when registered only to that one; and
    when no data directory registered it, its own only if the database is the data directory's
    own (SQLite inside it) or the data directory `claims` such files.
    """

    owners: Owners
    own_database: bool = False
    claim: bool = False

    def whose(self, name: str) -> str:
        """'mine', 'others' or 'unknown', for a file that is not in the WARC directory."""
        found = self.owners.whose(name)
        if found == "unknown" and (self.own_database or self.claim):
            return "mine"
        return found


class Verifier:
    """One run of the checks; see `verify`."""

    def __init__(
        self,
        directory: Path,
        engine: Engine | None,
        progress: Callable[[str], None] | None = None,
        captured: Callable[[ScannedRecord], bool] | None = None,
        scope: Scope | None = None,
    ) -> None:
        self.directory = directory
        self.engine = engine
        self.scope = scope
        self.progress = progress
        self.captured = captured or _response_or_revisit
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
            found = self._files.get(name)
            if found is None and self.scope is not None:
                whose = self.scope.whose(name)
                if whose == "others":
                    self.report.foreign += sum(1 for _ in captures)
                    continue
                if whose == "unknown" and not Path(name).is_absolute():
                    rows = list(captures)
                    self.report.captures += len(rows)
                    self.report.unknown.append(name)
                    for row in rows:
                        self._capture_problem(
                            row,
                            "its WARC file is missing, and no data directory registered it: "
                            "another data directory's, or this one's (verify --repair "
                            "--claim-unknown)",
                            fixable=False,
                        )
                    continue
            rows = list(captures)
            self.report.captures += len(rows)
            if found is None and Path(name).is_absolute():
                found = Path(name) if Path(name).is_file() else None
                if found is None:  # a file ingested where it lay: not ours to give up
                    for row in rows:
                        self._capture_problem(
                            row,
                            "its WARC file is missing (ingested where it lay: put it back, or "
                            "ingest it again)",
                            fixable=False,
                        )
                    continue
            if found is None:
                for row in rows:
                    self._capture_problem(row, "its WARC file is missing")
                continue
            scanned.add(name)
            self._check_captures(name, self._scan(name, found), rows)
        for name, path in self._files.items():
            if name not in scanned and name not in skipped:
                self._check_captures(name, self._scan(name, path), [])
        unresolved = [r for r in self._revisits if _short_hash(r[2]) not in self._responses]
        # in a database shared by several data directories, a revisit may refer to another's
        elsewhere = self._stored({refers_to for _, _, refers_to in unresolved})
        for file, offset, refers_to in unresolved:
            if refers_to not in elsewhere:
                self._problem(
                    file, offset, f"revisit refers to {refers_to}, which is in no response record"
                )
        return self.report

    def _stored(self, record_ids: set[str]) -> set[str]:
        """Those of `record_ids` that are the records of captures (of other data directories'
        files: this one's are in `_responses`)."""
        if self.engine is None or not record_ids:
            return set()
        found: set[str] = set()
        ids = sorted(record_ids)
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                found.update(
                    conn.execute(
                        select(m.Capture.warc_record_id).where(
                            m.Capture.warc_record_id.in_(ids[start : start + 500]),
                            m.Capture.record_type != "revisit",
                        )
                    ).scalars()
                )
        return found

    def _captures_by_file(self) -> Iterator[tuple[str, Iterator[_CaptureRow]]]:
        if self.engine is None:
            return
        c = m.Capture
        query = select(
            c.id,
            c.warc_filename,
            c.warc_offset,
            c.warc_length,
            c.warc_record_id,
            c.payload_digest,
            c.flags,
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
        shown = self._shown(name)
        unfinished = path.name.endswith(OPEN_SUFFIX)
        size = os.path.getsize(path)
        index: dict[int, _Indexed] = {}
        self.report.files += 1
        self.report.bytes += size
        for item in scan(path, digests=False):
            if isinstance(item, Damage):
                # A crashed crawl's file ends in a cut-off record that recovery cuts away.
                tail = unfinished and item.end == size
                self._problem(
                    shown,
                    item.offset,
                    f"{item.reason} ({item.end - item.offset} bytes)",
                    fixable=tail,
                )
                continue
            self.report.records += 1
            record = item.record
            rec_type, record_id = record.rec_type, record.record_id or ""
            # a cut record's digests cannot match: that is its being cut
            digest_flag = TRUNCATED if item.cut else DIGEST_MISMATCH
            problems = [
                (reason, digest_flag if reason.startswith(_DIGEST_PROBLEMS) else None, False)
                for reason in check_record(item)
            ]
            if item.cut:
                problems.append(
                    (
                        f"record cut off: {len(item.block)} of the {item.declared_length} bytes "
                        f"it declares ({item.length} bytes)",
                        TRUNCATED,
                        unfinished and item.end == size,
                    )
                )
            index[item.offset] = _Indexed(
                item.length,
                record_id,
                rec_type,
                record.warc_header("WARC-Payload-Digest"),
                self.captured(item),
                tuple(problems),
            )
            refers_to = record.warc_header("WARC-Refers-To")
            if rec_type in ("response", "resource"):
                self._responses.add(_short_hash(record_id))
            elif rec_type == "revisit" and refers_to:
                self._revisits.append((shown, item.offset, refers_to))
        return index

    def _check_captures(
        self, name: str, index: dict[int, _Indexed], rows: Iterable[_CaptureRow]
    ) -> None:
        claimed: dict[int, frozenset[str]] = {}
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
                claimed[row.offset] = row.flags
                # a record that declares no digest has its capture's computed
                declared = record.payload_digest
                if declared is not None and declared != row.payload_digest:
                    self._problem(
                        name,
                        row.offset,
                        f"capture {row.id} has payload digest {row.payload_digest}, "
                        f"its record {record.payload_digest}",
                    )
        shown = self._shown(name)
        for offset, record in index.items():
            flags = claimed.get(offset, frozenset())
            for reason, flag, fixable in record.problems:
                if flag is not None and flag in flags:
                    self.report.flagged.append(Problem(shown, offset, f"{flag}: {reason}"))
                else:
                    self._problem(shown, offset, reason, fixable=fixable)
        if self.engine is None:
            return
        for offset, record in index.items():
            if record.captured and offset not in claimed:
                self.report.problems.append(
                    Problem(
                        shown,
                        offset,
                        f"{record.rec_type} record {record.record_id} has no capture",
                        fixable=True,
                        orphan=True,
                    )
                )

    def _capture_problem(self, row: _CaptureRow, reason: str, *, fixable: bool = True) -> None:
        self.report.problems.append(
            Problem(
                row.filename,
                row.offset,
                f"capture {row.id} ({row.record_id}): {reason}",
                fixable=fixable,
                capture=Suspect(row.id, row.record_id, row.filename, row.offset)
                if fixable
                else None,
            )
        )

    def _problem(
        self, file: str, offset: int | None, reason: str, *, fixable: bool = False
    ) -> None:
        self.report.problems.append(Problem(file, offset, reason, fixable))

    def _shown(self, name: str) -> str:
        path = self._files.get(name)
        return path.name if path is not None else name


def _response_or_revisit(item: ScannedRecord) -> bool:
    return item.record.rec_type in ("response", "revisit")


@dataclass(frozen=True, slots=True)
class _CaptureRow:
    id: int
    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    flags_text: str | None = None

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(self.flags_text.split(",")) if self.flags_text else frozenset()


def _short_hash(record_id: str) -> int:
    """8 bytes standing for a record ID in the set of response records (a false match is a
    2^-64 chance)."""
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big")


def verify(
    directory: str | os.PathLike[str],
    engine: Engine | None,
    progress: Callable[[str], None] | None = None,
    captured: Callable[[ScannedRecord], bool] | None = None,
    scope: Scope | None = None,
) -> Report:
    """Check the WARC files in `directory` and, with an engine, the captures that point into
    them (see the module docstring): with a `scope`, only this data directory's. `captured`
    says which records should have a capture row (the door's rule; by default every response
    and revisit record)."""
    return Verifier(Path(directory), engine, progress, captured, scope).run()
