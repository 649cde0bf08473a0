"""A WARC or ARC file cut into units, each of which should hold exactly one record.

`storage.warcscan` reads a file through `units()`: a gzipped file (`.warc.gz`, `.arc.gz`) is cut
into its gzip members (zlib, in C); an uncompressed WARC file by each record's Content-Length; an
uncompressed ARC file by the length on each header line. What lies between units that read is a
`Damage`, and reading goes on at the next place where a unit starts.

Real files are not always what their headers say, and a unit is made of what is there:

- a record cut by the end of the file, or a gzip member that breaks off (cut short, or corrupt
  after some good bytes), is a unit of the bytes that are there, marked `cut`: the record is kept,
  flagged truncated, with the length it declared;
- a WARC record whose Content-Length runs into the next record is cut where that record starts;
  one whose Content-Length is too short ends where it says, and the bytes after it up to the next
  record are damage;
- records may end with any number of line breaks (WARC 1.1 says two CRLF; wget, node-warc and
  ClueWeb files write fewer), and a file written with bare LF line ends is read as such.
"""

from __future__ import annotations

import mmap
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 16
MAX_HEADER = 1 << 16
"""Longest WARC header block looked for; a record start without its end within this is damage."""
_WARC_START = re.compile(rb"\nWARC/\d+\.\d+\r?\n")
_ARC_LINE = re.compile(rb"\n[a-z][a-z0-9+.-]*:\S.* \S+ \d{12,14} \S+ ", re.IGNORECASE)
"""A line that starts an ARC record: URL (spaces and all; `dns:` ones too), IP address, date,
type, ..."""
_NOT_PADDING = re.compile(rb"[^\x00\r\n ]")
"""A byte that is not NUL or blank: what is left after the last record when it is padding."""
_BLANK = b"\r\n\x00"


@dataclass(frozen=True, slots=True)
class Damage:
    """Bytes from `offset` to `end` that hold no complete record."""

    offset: int
    end: int
    reason: str


@dataclass(frozen=True, slots=True)
class Unit:
    """The bytes of one record (inflated, for a gzip member) and where they lie in the file."""

    offset: int
    length: int
    data: bytes
    cut: bool = False
    """Its record's bytes stop early (end of the file, a broken gzip member, the next record):
    the record holds less than it declares."""
    why_cut: str = ""
    closed: bool = True
    """Its record is followed by the blank line that closes it (or the next record): false for
    one at the end of the file without it, which a crashed writer may have left."""


@dataclass(frozen=True, slots=True)
class _Broken:
    """Why no unit starts at a place, and the bytes of a record that starts there but breaks off
    (a gzip member's inflated bytes before its damage), if any."""

    reason: str
    partial: bytes = b""
    to_end: bool = False
    """The record runs to the end of the file."""


def units(data: mmap.mmap, gzipped: bool) -> Iterator[Unit | Damage]:
    """The units of `data`, and one `Damage` for each stretch up to the next unit that reads."""
    size = len(data)
    if gzipped:
        pos, arc, what = 0, False, "gzip member"
    else:
        pos = _skip_blank(data, 0)
        arc = _ARC_LINE.match(b"\n" + data[pos : pos + MAX_HEADER]) is not None
        what = "ARC header line" if arc else "'WARC/' line"
    while pos < size:
        unit = _read_unit(data, pos, gzipped, arc)
        if isinstance(unit, Unit):
            yield unit
            pos = unit.offset + unit.length
            continue
        if _NOT_PADDING.search(data, pos) is None:
            yield Damage(pos, size, f"{size - pos} bytes of padding after the last record")
            return
        following = None if unit.to_end else _resync(data, pos + 1, gzipped, arc)
        end = size if following is None else following.offset
        if _starts_a_record(unit.partial):
            yield Unit(pos, end - pos, unit.partial, cut=True, why_cut=unit.reason)
        elif following is None:
            yield Damage(
                pos, size, f"{unit.reason} (nothing readable in the last {size - pos} bytes)"
            )
            return
        else:
            yield Damage(
                pos, end, f"{unit.reason} (skipped {end - pos} bytes to the next {what} at {end})"
            )
        if following is None:
            return
        yield following
        pos = end + following.length


def _read_unit(data: mmap.mmap, pos: int, gzipped: bool, arc: bool) -> Unit | _Broken:
    if gzipped:
        return _gzip_unit(data, pos)
    return _arc_unit(data, pos) if arc else _warc_unit(data, pos)


def _resync(data: mmap.mmap, pos: int, gzipped: bool, arc: bool) -> Unit | None:
    """The first unit that reads at or after `pos`: at a gzip header, or a line that starts a
    record."""
    while True:
        pos = data.find(GZIP_MAGIC, pos) if gzipped else next_start(data, pos, arc)
        if pos < 0:
            return None
        unit = _read_unit(data, pos, gzipped, arc)
        if isinstance(unit, Unit):
            return unit
        pos += 1


def _starts_a_record(partial: bytes) -> bool:
    """Whether the bytes of a broken gzip member start with a record's first line."""
    text = partial.lstrip(b"\r\n")
    return text.startswith(b"WARC/") or _ARC_LINE.match(b"\n" + text[:MAX_HEADER]) is not None


def _gzip_unit(data: mmap.mmap, pos: int) -> Unit | _Broken:
    """The gzip member at `pos`, inflated, with its compressed length, or why there is none."""
    if data[pos : pos + 3] != GZIP_MAGIC:
        return _Broken("no gzip member here")
    size = len(data)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    end = pos
    try:
        while not inflater.eof and end < size:
            chunk = data[end : end + _CHUNK]
            parts.append(inflater.decompress(chunk))
            end += len(chunk)
    except zlib.error as exc:
        return _Broken(f"bad gzip member: {exc}", b"".join(parts))
    if not inflater.eof:
        reason = f"gzip member cut off by the end of the file ({size - pos} bytes)"
        return _Broken(reason, b"".join(parts) + inflater.flush(), to_end=True)
    end -= len(inflater.unused_data)
    return Unit(pos, end - pos, b"".join(parts))


def _skip_blank(data: mmap.mmap, pos: int) -> int:
    while pos < len(data) and data[pos : pos + 1] in (b"\r", b"\n"):
        pos += 1
    return pos


def next_start(data: mmap.mmap | bytes, pos: int, arc: bool) -> int:
    """Where the next line that starts a record begins, at or after `pos` (at least 1), or -1."""
    pattern = _ARC_LINE if arc else _WARC_START
    window_size = 1 << 20
    pos -= 1  # the line break before the start
    while True:
        window = data[pos : pos + window_size]
        match = pattern.search(window)
        if match is not None:
            return pos + match.start() + 1
        if len(window) < window_size:
            return -1
        pos += window_size - MAX_HEADER  # overlap: a start may straddle two windows


def header_end(head: bytes) -> tuple[int, int] | None:
    """Where a WARC header block ends: (index of its blank line, length of that line break pair),
    CRLF CRLF or, in a file written with bare LF, LF LF; None when it does not end in `head`."""
    crlf, lf = head.find(b"\r\n\r\n"), head.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, 4
    if lf >= 0:
        return lf, 2
    return None


def content_length(header: bytes) -> int | None:
    """The Content-Length of a WARC header block, None when missing or not a number."""
    for line in header.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


def _warc_unit(data: mmap.mmap, pos: int) -> Unit | _Broken:
    """The WARC record at `pos` with the line breaks after it, or why there is none."""
    head = data[pos : pos + MAX_HEADER]
    if not head.startswith(b"WARC/"):
        return _Broken("not the start of a WARC record")
    found = header_end(head)
    if found is None:
        return _Broken("WARC header without an end")
    end, blank = found
    length = content_length(head[:end])
    if length is None:
        return _Broken("WARC header without a valid Content-Length")
    size = len(data)
    block_end = pos + end + blank + length
    after = _skip_blank(data, min(block_end, size))
    if block_end <= size and (after >= size or data[after : after + 5] == b"WARC/"):
        closed = after < size or data[block_end:after] in (b"\r\n\r\n", b"\n\n")
        return Unit(pos, after - pos, data[pos:after], closed=closed or after - block_end > 4)
    # Content-Length is wrong: does the block run into the next record, or stop short of it?
    following = next_start(data, pos + end + blank, arc=False)
    if 0 <= following < block_end:
        why = f"Content-Length {length} runs into the next record at {following}"
        chunk = data[pos:following]
        for separator in (b"\r\n\r\n", b"\n\n", b"\r\n"):  # the records' separator
            if chunk.endswith(separator):
                chunk = chunk[: -len(separator)]
                break
        return Unit(pos, following - pos, chunk, cut=True, why_cut=why)
    if block_end > size:
        why = f"Content-Length {length}, the file ends {block_end - size} bytes early"
        return Unit(pos, size - pos, data[pos:size], cut=True, why_cut=why)
    return Unit(pos, after - pos, data[pos:after])  # the bytes after it are damage


def _arc_unit(data: mmap.mmap, pos: int) -> Unit | _Broken:
    """The ARC record at `pos` (header line, then as many bytes as its last field says)."""
    line_end = data.find(b"\n", pos, pos + MAX_HEADER)
    if line_end < 0:
        return _Broken("ARC header line without an end")
    fields = data[pos:line_end].split()
    if len(fields) < 5 or b":" not in fields[0]:
        return _Broken("not an ARC header line")
    if not fields[-1].isdigit():
        return _Broken(f"ARC record length {fields[-1].decode('latin-1')!r} is not a number")
    end = line_end + 1 + int(fields[-1])
    if end > len(data):
        why = f"length {int(fields[-1])}, the file ends {end - len(data)} bytes early"
        return Unit(pos, len(data) - pos, data[pos:], cut=True, why_cut=why)
    next_pos = _skip_blank(data, end)
    return Unit(pos, next_pos - pos, data[pos:next_pos])
