"""WACZ packages: WARC files, their CDXJ index, a page list and a manifest in one ZIP file.

WACZ 1.1.1 (https://specs.webrecorder.net/wacz/1.1.1/) is what ReplayWeb.page opens and pywb's
`wb-manager add --unpack-wacz` imports:

    archive/NAME.warc.gz       the WARC files, whole and unchanged (ZIP "stored", so that a
                               reader can range-read a record at its offset)
    indexes/index.cdx.gz       their CDXJ index in gzip blocks (stored), `filename` relative
    indexes/index.idx          to archive/; the .idx locates the blocks (storage.cdxj)
    pages/pages.jsonl          the pages to list, JSON Lines after a format header
    datapackage.json           every file above with its size and SHA-256 (Frictionless Data
                               Package), WACZ version, title, dates, software
    datapackage-digest.json    the SHA-256 of datapackage.json

This module imports no crawling framework and no database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from storage.atomic import replacing
from storage.cdxj import CdxjLine, index_warc, write_compressed

WACZ_VERSION = "1.1.1"
INDEX_PATH = "indexes/index.cdx.gz"
IDX_PATH = "indexes/index.idx"
PAGES_PATH = "pages/pages.jsonl"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PageCapture:
    """A page to list: the record at `offset` of the WARC file `path` (one of those packaged).
    Its URL and time are the record's, so the page opens exactly that capture."""

    path: Path
    offset: int
    title: str | None


@dataclass(frozen=True, slots=True)
class WaczSummary:
    warcs: tuple[str, ...]
    """The WARC files' names inside archive/."""
    index_lines: int
    pages: int
    unindexed_pages: int
    """Pages left out because no index line is at their offset (not a replayable record)."""
    bytes: int
    """Size of the WACZ file."""


def write_wacz(
    output: Path,
    warcs: Sequence[Path],
    pages: Iterable[PageCapture],
    *,
    title: str,
    description: str | None = None,
    software: str,
    leave_out: Mapping[Path, Sequence[tuple[int, int]]] | None = None,
) -> WaczSummary:
    """Package the WARC files `warcs` (whole) with an index of them and `pages` into `output`.

    `leave_out` names records, by (offset, length) in their file, that the package must not
    hold (captures flagged noarchive): such a file is packaged as a copy without them, and its
    index and pages point into the copy.

    The file is written under a temporary name beside `output` and renamed when complete.
    Raises ValueError when `warcs` is empty or a page is not in one of them.
    """
    if not warcs:
        raise ValueError("a WACZ needs at least one WARC file")
    with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as scratch:
        cut = {path: sorted(set(ranges)) for path, ranges in (leave_out or {}).items() if ranges}
        copies = {path: _without(path, cut[path], Path(scratch)) for path in warcs if path in cut}
        return _write_wacz(output, warcs, pages, title, description, software, copies, cut)


def _without(path: Path, ranges: Sequence[tuple[int, int]], directory: Path) -> Path:
    """A copy of the WARC file at `path` without the byte ranges (offset, length) of `ranges`:
    whole records, each a gzip member of its own (or a plain record) that readers skip over."""
    copy = directory / path.name
    with path.open("rb") as source, copy.open("wb") as target:
        at = 0
        for offset, length in ranges:
            target.write(source.read(offset - at))
            source.seek(offset + length)
            at = offset + length
        while chunk := source.read(_CHUNK):
            target.write(chunk)
    return copy


def _shifted(offset: int, ranges: Sequence[tuple[int, int]]) -> int | None:
    """Where a record at `offset` sits once `ranges` are cut out; None for one cut out."""
    moved = 0
    for start, length in ranges:
        if start <= offset < start + length:
            return None
        if start < offset:
            moved += length
    return offset - moved


def _write_wacz(
    output: Path,
    warcs: Sequence[Path],
    pages: Iterable[PageCapture],
    title: str,
    description: str | None,
    software: str,
    copies: Mapping[Path, Path],
    cut: Mapping[Path, Sequence[tuple[int, int]]],
) -> WaczSummary:
    names = archive_names(warcs)
    lines = sorted(
        line for path in warcs for line in index_warc(copies.get(path, path), names[path])
    )
    by_record = {(parsed.filename, parsed.offset): parsed for parsed in map(CdxjLine.parse, lines)}
    page_lines: list[dict[str, Any]] = []
    unindexed = 0
    for page in pages:
        if page.path not in names:
            raise ValueError(f"page at {page.offset} of {page.path}: not a packaged WARC file")
        offset = _shifted(page.offset, cut.get(page.path, ()))
        line = by_record.get((names[page.path], offset)) if offset is not None else None
        if line is None:
            unindexed += 1
            continue
        entry: dict[str, Any] = {
            "id": hashlib.sha256(f"{line.filename}:{line.offset}".encode()).hexdigest()[:16],
            "url": line.fields["url"],
            "ts": _rfc3339(line.timestamp),
        }
        if page.title:
            entry["title"] = page.title
        page_lines.append(entry)

    created = datetime.now(UTC).replace(microsecond=0)
    resources: list[dict[str, Any]] = []
    with replacing(output, "wb") as stream, zipfile.ZipFile(stream, "w") as wacz:
        for path in warcs:
            packaged = copies.get(path, path)
            resources.append(_add_file(wacz, packaged, f"archive/{names[path]}", created))
        with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as data:
            idx = io.StringIO()
            write_compressed(lines, data, idx, "index.cdx.gz")
            data.seek(0)
            resources.append(_add_stream(wacz, data, INDEX_PATH, created, zipfile.ZIP_STORED))
        resources.append(_add_bytes(wacz, idx.getvalue().encode(), IDX_PATH, created))
        jsonl = "".join(
            json.dumps(item, ensure_ascii=False) + "\n" for item in [PAGES_HEADER, *page_lines]
        )
        resources.append(_add_bytes(wacz, jsonl.encode(), PAGES_PATH, created))
        package = _datapackage(resources, title, description, software, created)
        _add_bytes(wacz, package, "datapackage.json", created)
        digest = {"path": "datapackage.json", "hash": _sha256(package)}
        _add_bytes(wacz, json.dumps(digest, indent=2).encode(), "datapackage-digest.json", created)
    return WaczSummary(
        warcs=tuple(names[path] for path in warcs),
        index_lines=len(lines),
        pages=len(page_lines),
        unindexed_pages=unindexed,
        bytes=output.stat().st_size,
    )


def archive_names(warcs: Sequence[Path]) -> dict[Path, str]:
    """A distinct name inside archive/ for each WARC file: its own, or with `-2`, `-3`… before
    the `.warc` suffix when two files from different directories share one."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in warcs:
        name = path.name
        stem, dot, suffix = name.partition(".warc")
        serial = 1
        while name in taken:
            serial += 1
            name = f"{stem}-{serial}{dot}{suffix}"
        names[path] = name
        taken.add(name)
    return names


def _datapackage(
    resources: Sequence[Mapping[str, Any]],
    title: str,
    description: str | None,
    software: str,
    created: datetime,
) -> bytes:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    package: dict[str, Any] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
    }
    if description:
        package["description"] = description
    package.update(
        {"created": stamp, "modified": stamp, "software": software, "resources": resources}
    )
    return json.dumps(package, indent=2, ensure_ascii=False).encode()


def _resource(path_in_zip: str, digest: str, size: int) -> dict[str, Any]:
    """A Data Package resource; its name must match ^[-a-z0-9._/]+$."""
    name = re.sub(r"[^-a-z0-9._/]", "-", os.path.basename(path_in_zip).lower())
    return {"name": name, "path": path_in_zip, "hash": digest, "bytes": size}


def _info(path_in_zip: str, created: datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path_in_zip, created.timetuple()[:6])
    info.compress_type = compress
    return info


def _add_file(
    wacz: zipfile.ZipFile, path: Path, path_in_zip: str, created: datetime
) -> dict[str, Any]:
    with path.open("rb") as source:
        return _add_stream(
            wacz, source, path_in_zip, created, zipfile.ZIP_STORED, os.fstat(source.fileno())
        )


def _add_stream(
    wacz: zipfile.ZipFile,
    source: IO[bytes],
    path_in_zip: str,
    created: datetime,
    compress: int,
    stat: os.stat_result | None = None,
) -> dict[str, Any]:
    """Copy `source` into the ZIP, hashing what is copied."""
    info = _info(path_in_zip, created, compress)
    if stat is not None:
        info.file_size = stat.st_size  # so that zipfile picks ZIP64 for files over 2 GiB
    hasher, size = hashlib.sha256(), 0
    with wacz.open(info, "w") as target:
        while chunk := source.read(_CHUNK):
            hasher.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return _resource(path_in_zip, f"sha256:{hasher.hexdigest()}", size)


def _add_bytes(
    wacz: zipfile.ZipFile, data: bytes, path_in_zip: str, created: datetime
) -> dict[str, Any]:
    wacz.writestr(_info(path_in_zip, created, zipfile.ZIP_DEFLATED), data)
    return _resource(path_in_zip, _sha256(data), len(data))


def _sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _rfc3339(timestamp: str) -> str:
    """'20250204120000' as '2025-02-04T12:00:00Z'."""
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
