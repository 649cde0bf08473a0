"""CDXJ indexes of WARC files, as pywb and ReplayWeb.page read them.

A line is `SURT-KEY TIMESTAMP JSON`, e.g.

    1,0,0,127:8080)/news/a 20250204120000 {"url": "http://127.0.0.1:8080/news/a", "mime":
    "text/html", "status": "200", "digest": "sha1:…", "length": "2381", "offset": "1024",
    "filename": "newsarchive-….warc.gz"}

(one line), sorted as text so that replay tools can binary-search it. The lines are written by
cdxj-indexer (the indexer of pywb's and py-wacz's authors, on warcio), so key, timestamp and fields
are exactly theirs: `response`, `revisit`, `resource` and `metadata` records are indexed (request
and warcinfo records are not), a revisit with mime `warc/revisit` and the digest of the payload
it stands for, which is how replay finds the original. Revisits of a 304 are left out (see
`_not_modified_revisit`). `offset` and `length` are those of the
record's gzip member, so one range read gets the record.

This module imports no crawling framework.
"""

from __future__ import annotations

import heapq
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cdxj_indexer.main import CDXJIndexer, CompressedWriter

from storage.atomic import replacing

WARC_SUFFIXES = (".warc", ".warc.gz")
"""What `update_index` takes for a WARC file; a `.open` file is still being written and is left
for the next run."""

BLOCK_LINES = 1024
"""CDXJ lines per gzip block of a compressed index (py-wacz's default, as ArchiveWeb.page)."""


@dataclass(frozen=True, slots=True)
class CdxjLine:
    """One parsed index line."""

    key: str
    """The SURT form of the URL, the sort key."""
    timestamp: str
    """The record's WARC-Date as 14 digits, YYYYMMDDhhmmss (UTC)."""
    fields: dict[str, Any]

    @classmethod
    def parse(cls, line: str) -> CdxjLine:
        key, timestamp, fields = line.rstrip("\n").split(" ", 2)
        return cls(key, timestamp, json.loads(fields))

    @property
    def filename(self) -> str:
        return str(self.fields["filename"])

    @property
    def offset(self) -> int:
        return int(self.fields["offset"])

    @property
    def length(self) -> int:
        return int(self.fields["length"])


def index_warc(path: str | os.PathLike[str], name: str) -> list[str]:
    """The sorted CDXJ lines (each ending in a newline) of the WARC file `path`, naming it `name`
    in their `filename` field: the name replay resolves against its archive directory."""
    out = io.StringIO()
    CDXJIndexer(out, [os.fspath(path)], sort=True, filename=name).process_all()
    return [
        line
        for line in out.getvalue().splitlines(keepends=True)
        if not _not_modified_revisit(CdxjLine.parse(line))
    ]


def _not_modified_revisit(line: CdxjLine) -> bool:
    """A revisit record of a 304 answer (profile server-not-modified). pywb replays such a record
    as the empty 304 it holds, not as the page (its `ResolvingLoader` loads the original only for
    a revisit whose status is not a redirect or 304), so it is left out of the index: the page's
    nearest capture, the response the 304 confirmed, is replayed instead."""
    return line.fields.get("mime") == "warc/revisit" and line.fields.get("status") == "304"


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What `update_index` did."""

    indexed: tuple[str, ...]
    """WARC files read in this run."""
    kept: tuple[str, ...]
    """WARC files whose lines were kept from the previous index."""
    dropped: tuple[str, ...]
    """Files named by the previous index that are no longer in the directory."""
    lines: int


def update_index(
    warc_dir: str | os.PathLike[str], output: str | os.PathLike[str], *, rebuild: bool = False
) -> IndexUpdate:
    """Bring the CDXJ index `output` up to date with the WARC files directly in `warc_dir`.

    A closed WARC file never changes, so lines of files the previous index already names are
    kept, and only files it does not name are read (all of them with `rebuild`); lines of files
    that are gone are dropped. `filename` is the name inside `warc_dir`, as captures record it.
    The index is written under a temporary name beside `output` and renamed when complete, so
    a reader never sees a partial one and an interrupted run leaves the old one.
    """
    warc_dir, output = Path(warc_dir), Path(output)
    present = sorted(
        p.name for p in warc_dir.iterdir() if p.is_file() and p.name.endswith(WARC_SUFFIXES)
    )
    previous: set[str] = set()
    if output.exists() and not rebuild:
        with output.open(encoding="utf-8") as lines:
            previous = {CdxjLine.parse(line).filename for line in lines if line.strip()}
    kept = [name for name in present if name in previous]
    to_index = [name for name in present if name not in previous]
    new_lines = sorted(line for name in to_index for line in index_warc(warc_dir / name, name))
    output.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with replacing(output) as out:
        old = _kept_lines(output, set(kept)) if kept else iter(())
        for line in heapq.merge(old, new_lines):
            out.write(line)
            count += 1
    return IndexUpdate(
        indexed=tuple(to_index),
        kept=tuple(kept),
        dropped=tuple(sorted(previous - set(present))),
        lines=count,
    )


def write_compressed(
    lines: Iterable[str], data_out: IO[bytes], idx_out: IO[str], data_name: str
) -> None:
    """Write sorted CDXJ `lines` as a compressed index: gzip blocks of `BLOCK_LINES` lines to
    `data_out` (the file named `data_name` beside the .idx) and, to `idx_out`, a `!meta` line
    and one line per block (its first key and timestamp, offset and length in `data_out`).
    This is the `index.cdx.gz` + `index.idx` pair of a WACZ, read by ReplayWeb.page; the
    `.cdx.gz` alone is an ordinary gzipped CDXJ file for other readers (pywb's `wb-manager`)."""
    writer = CompressedWriter(
        idx_out, data_out=data_out, data_out_name=data_name, num_lines=BLOCK_LINES
    )
    for line in lines:
        writer.write(line)
    if writer.block:
        writer.flush()


def read_index(path: str | os.PathLike[str]) -> list[CdxjLine]:
    with Path(path).open(encoding="utf-8") as lines:
        return [CdxjLine.parse(line) for line in lines if line.strip()]


def _kept_lines(path: Path, names: set[str]) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip() and CdxjLine.parse(line).filename in names:
                yield line
