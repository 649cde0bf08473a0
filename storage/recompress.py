"""Files gzipped whole, made readable record by record.

A WARC or ARC file gzipped as one stream (ClueWeb09's, some Common Crawl samples, `gzip
FILE.warc`) has no offset at which one record can be read: a reader would have to inflate
everything before it. `newsarchive ingest` therefore writes a copy with one gzip member per record
(as `warcio recompress` does) into the data directory and points the captures at the copy. The
copy holds the same bytes once inflated, every one of them: a stretch that holds no record gets a
gzip member of its own too, so nothing of the original is lost.
"""

from __future__ import annotations

import mmap
import os
import re
import tempfile
import zlib
from pathlib import Path
from typing import IO

from storage.warcunits import GZIP_MAGIC, Damage, content_length, header_end, units

_PEEK = 4 << 20
"""Inflated bytes of the first gzip member looked at to tell a file gzipped whole."""
_CHUNK = 1 << 16
_LEVEL = 6


def gzipped_whole(path: str | os.PathLike[str]) -> bool:
    """Whether the gzipped file `path` holds more than its first record in its first gzip
    member (a file gzipped whole), by inflating at most the first few MB."""
    with Path(path).open("rb") as stream:
        if stream.read(3) != GZIP_MAGIC:
            return False
        stream.seek(0)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = bytearray()
        try:
            while not inflater.eof and len(data) < _PEEK:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                data += inflater.decompress(chunk, _PEEK)
        except zlib.error:
            return False
    text = bytes(data).lstrip(b"\r\n")
    end = _first_record_end(text)
    return end is not None and re.search(rb"[^\r\n\x00 ]", text[end:]) is not None


def _first_record_end(text: bytes) -> int | None:
    if text.startswith(b"WARC/"):
        found = header_end(text[:65536])
        if found is None:
            return None
        length = content_length(text[: found[0]])
        return None if length is None else found[0] + found[1] + length
    line_end = text.find(b"\n")
    fields = text[:line_end].split()
    if line_end < 0 or not fields or not fields[-1].isdigit():
        return None
    return line_end + 1 + int(fields[-1])


def recompress(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> int:
    """Write `source` (gzipped whole) to `target` with one gzip member per record; returns the
    number of members written. The target appears whole or not at all (written aside, then
    renamed)."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    members = 0
    with tempfile.TemporaryFile(dir=target.parent) as plain:
        _inflate_all(source, plain)
        plain.flush()
        if plain.tell() == 0:
            raise ValueError(f"{source} holds nothing once inflated")
        with (
            mmap.mmap(plain.fileno(), 0, access=mmap.ACCESS_READ) as data,
            partial.open("wb") as out,
        ):
            for unit in units(data, gzipped=False):
                end = unit.end if isinstance(unit, Damage) else unit.offset + unit.length
                compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
                out.write(compressor.compress(data[unit.offset : end]) + compressor.flush())
                members += 1
            out.flush()
            os.fsync(out.fileno())
    partial.rename(target)
    return members


def _inflate_all(source: Path, out: IO[bytes]) -> None:
    """Every gzip member of `source`, inflated one after another into `out`; what follows the
    last member that inflates (garbage, a damaged member) is kept as it is, and what inflated of
    a member cut short."""
    with source.open("rb") as stream:
        pending = b""
        while True:
            while len(pending) < 3 and (more := stream.read(_CHUNK)):
                pending += more
            if not pending:
                return
            if pending[:3] != GZIP_MAGIC:
                out.write(pending + stream.read())  # not gzip (any more): kept raw
                return
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                while True:
                    out.write(inflater.decompress(pending))
                    if inflater.eof:
                        pending = inflater.unused_data
                        break
                    pending = stream.read(_CHUNK)
                    if not pending:  # cut short: what inflated is kept
                        out.write(inflater.flush())
                        return
            except zlib.error:
                out.write(pending + stream.read())
                return
