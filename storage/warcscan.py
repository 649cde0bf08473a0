"""Reading WARC and ARC files record by record, with exact offsets, damage included.

`scan(path)` yields every record of a file with the exact offset and length a capture needs to
find it again (`storage.warc.read_record(path, offset)` reads it back), or a `Damage` saying
which stretch of the file holds no complete record and why. After damage, reading goes on at the
next place where a complete record starts, so one bad record costs only itself and damage in the
middle of a file is told apart from a cut-off end. Ingest (`newsarchive ingest`), crash recovery
(`storage.recover`, which cuts `.open` files back to `complete_end`) and `newsarchive verify`
(which adds `check_record`) all read through it.

The file is first cut into units, each of which must hold exactly one complete record:

- a gzipped file (`.warc.gz`, `.arc.gz`) into its gzip members (zlib, in C), each of which must
  end, with a good CRC and length. A member holding several records (a file gzipped whole) or
  part of one (records split across members) is damage too, since no offset would lead to its
  records;
- an uncompressed WARC file by each record's `Content-Length`; an uncompressed ARC file by the
  length on each header line.

A WARC record must have a header that ends, a valid Content-Length, that many bytes of block and
the closing CRLF CRLF (blank lines after it belong to the record). Each unit is then parsed by
fastwarc (2.x, in Rust: faster, see docs/benchmarks.md) when it is installed, else by warcio,
which also reads ARC records (as WARC, `arc2warc`) and whatever fastwarc refuses. Block and
payload digests, when the record declares them, are checked here for both parsers alike (unless
the caller checks them itself, as verify does through `check_record`); a record whose digests do
not match is damage.

A record without a WARC-Record-ID (every ARC record, and the odd broken WARC record) gets a stable
one derived from where it lies: `<urn:sha1:BASE32>` of the file's name, the record's offset and its
header line. The same file ingested twice, or copied elsewhere under the same name, gives the same
ids.
"""

from __future__ import annotations

import base64
import hashlib
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from warcio.archiveiterator import ArchiveIterator

from storage.warc import WarcRecord, latin1_parsers

FastRecord: Any
try:
    from fastwarc import WarcRecord as FastRecord
except ImportError:  # optional: warcio reads everything, only slower
    FastRecord = None

Parser = Literal["fastwarc", "warcio"]

GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 16
_MAX_HEADER = 1 << 16
"""Longest WARC header block looked for; a record start without its end within this is damage."""
_WARC_START = re.compile(rb"\nWARC/\d+\.\d+\r?\n")
_ARC_LINE = re.compile(rb"\n[a-z][a-z0-9+.-]*://.* \S+ \d{12,14} \S+ ", re.IGNORECASE)
"""A line that starts an ARC record: URL (spaces and all), IP address, date, type, ..."""
_NOT_PADDING = re.compile(rb"[^\x00\r\n ]")
"""A byte that is not NUL or blank: what is left after the last record when it is padding."""

MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
"""WARC 1.1 §5: the named fields every record has."""
TARGET_URI_TYPES = frozenset({"response", "request", "revisit", "resource", "conversion"})
"""Record types that WARC 1.1 requires to name their WARC-Target-URI."""
HTTP_TYPES = frozenset({"response", "request", "revisit"})


@dataclass(frozen=True, slots=True)
class ScannedRecord:
    """One complete record, fully loaded, and where it lies in the file."""

    offset: int
    length: int
    """Bytes from `offset` to the next record: the gzip member, or the record and its blank
    lines."""
    record: WarcRecord
    """The record as `storage.warc.read_record` reads it (HTTP headers as Latin-1 text), with
    its WARC-Record-ID derived when it had none (`derived_id`)."""
    block: bytes
    """The record block as stored (what WARC-Block-Digest covers; of an ARC record, what follows
    its header line)."""
    derived_id: bool = False

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True, slots=True)
class Damage:
    """Bytes from `offset` to `end` that hold no complete record."""

    offset: int
    end: int
    reason: str


def default_parser() -> Parser:
    return "fastwarc" if FastRecord is not None else "warcio"


def scan(
    path: str | os.PathLike[str], *, parser: Parser | None = None, digests: bool = True
) -> Iterator[ScannedRecord | Damage]:
    """Every record of the WARC or ARC file `path`, in file order, and the damage between them.

    `parser` chooses the WARC record parser (default: fastwarc when installed); ARC records and
    records fastwarc refuses go to warcio either way. With `digests`, a record whose declared
    digests do not match is damage; without, it is yielded (`check_record` names the mismatch).
    Raises OSError when the file cannot be read.
    """
    path = Path(path)
    chosen = parser or default_parser()
    if chosen == "fastwarc" and FastRecord is None:
        raise ValueError("fastwarc is not installed")
    with path.open("rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            return
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            gzipped = data[:3] == GZIP_MAGIC
            for unit in _units(data, gzipped):
                if isinstance(unit, Damage):
                    yield unit
                else:
                    yield _parse(path.name, unit, chosen, gzipped, digests)


def complete_end(path: str | os.PathLike[str]) -> tuple[int, int, list[Damage]]:
    """Where the file's last complete record ends (0 when there is none), how many complete
    records it has, and the damage found. Digests are not checked: a record whose bytes are all
    there is complete."""
    end, records, damage = 0, 0, []
    for item in scan(path, digests=False):
        if isinstance(item, Damage):
            damage.append(item)
        else:
            end, records = item.end, records + 1
    return end, records, damage


def check_record(item: ScannedRecord) -> list[str]:
    """What is wrong with a complete record: WARC 1.1 mandatory fields missing, digests that do
    not match. Empty when nothing is."""
    record = item.record
    problems = [
        f"missing mandatory header {name}" for name in MANDATORY if not record.warc_header(name)
    ]
    rec_type = record.rec_type
    if rec_type in TARGET_URI_TYPES and not record.warc_header("WARC-Target-URI"):
        problems.append(f"missing header WARC-Target-URI (mandatory for {rec_type})")
    if rec_type == "revisit":
        problems += [
            f"missing header {name} (mandatory for revisit)"
            for name in ("WARC-Profile", "WARC-Refers-To")
            if not record.warc_header(name)
        ]
    return problems + digest_problems(record, item.block)


def digest_problems(record: WarcRecord, block: bytes) -> list[str]:
    """The record's declared digests that do not match its block and payload."""
    problems = []
    declared = record.warc_header("WARC-Block-Digest")
    if declared and digest_matches(declared, block) is False:
        problems.append(f"WARC-Block-Digest mismatch (header says {declared})")
    declared = record.warc_header("WARC-Payload-Digest")
    # A revisit's payload digest is its original's: nothing here to check it against.
    if (
        declared
        and record.rec_type != "revisit"
        and digest_matches(declared, record.payload) is False
    ):
        problems.append(f"WARC-Payload-Digest mismatch (header says {declared})")
    return problems


def digest_matches(declared: str, data: bytes) -> bool | None:
    """Whether `data` has the digest `declared` ('sha1:BASE32'; base16 and base64 values
    accepted too); None for an algorithm hashlib does not know."""
    algorithm, _, value = declared.strip().partition(":")
    try:
        digest = hashlib.new(algorithm.strip().lower().replace("-", ""), data).digest()
    except ValueError:
        return None
    value = value.strip()
    return (
        value.upper() == base64.b32encode(digest).decode()
        or value.lower() == digest.hex()
        or value in (base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest).decode())
    )


# --- the file cut into units -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    offset: int
    length: int
    data: bytes


def _units(data: mmap.mmap, gzipped: bool) -> Iterator[_Unit | Damage]:
    """The units of `data`, and one `Damage` for each stretch up to the next unit that reads."""
    size = len(data)
    if gzipped:
        pos, arc, what = 0, False, "gzip member"
    else:
        pos = _skip_blank(data, 0)
        arc = _ARC_LINE.match(b"\n" + data[pos : pos + _MAX_HEADER]) is not None
        what = "ARC header line" if arc else "'WARC/' line"
    while pos < size:
        unit = _read_unit(data, pos, gzipped, arc)
        if isinstance(unit, _Unit):
            yield unit
            pos = unit.offset + unit.length
            continue
        if _NOT_PADDING.search(data, pos) is None:
            yield Damage(pos, size, f"{size - pos} bytes of padding after the last record")
            return
        following = _resync(data, pos + 1, gzipped, arc)
        if following is None:
            yield Damage(pos, size, f"{unit} (nothing readable in the last {size - pos} bytes)")
            return
        found = following.offset
        yield Damage(
            pos, found, f"{unit} (skipped {found - pos} bytes to the next {what} at {found})"
        )
        yield following
        pos = found + following.length


def _read_unit(data: mmap.mmap, pos: int, gzipped: bool, arc: bool) -> _Unit | str:
    if gzipped:
        return _gzip_unit(data, pos)
    return _arc_unit(data, pos) if arc else _warc_unit(data, pos)


def _resync(data: mmap.mmap, pos: int, gzipped: bool, arc: bool) -> _Unit | None:
    """The first unit that reads at or after `pos`: at a gzip header, or a line that starts a
    record."""
    while True:
        pos = data.find(GZIP_MAGIC, pos) if gzipped else _next_start(data, pos, arc)
        if pos < 0:
            return None
        unit = _read_unit(data, pos, gzipped, arc)
        if isinstance(unit, _Unit):
            return unit
        pos += 1


def _gzip_unit(data: mmap.mmap, pos: int) -> _Unit | str:
    """The gzip member at `pos`, inflated, with its compressed length, or why there is none."""
    if data[pos : pos + 3] != GZIP_MAGIC:
        return "no gzip member here"
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
        return f"bad gzip member: {exc}"
    if not inflater.eof:
        return f"gzip member cut off by the end of the file ({size - pos} bytes)"
    end -= len(inflater.unused_data)
    return _Unit(pos, end - pos, b"".join(parts))


def _skip_blank(data: mmap.mmap, pos: int) -> int:
    while pos < len(data) and data[pos : pos + 1] in (b"\r", b"\n"):
        pos += 1
    return pos


def _next_start(data: mmap.mmap, pos: int, arc: bool) -> int:
    """Where the next line that starts a record begins, at or after `pos`, or -1."""
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
        pos += window_size - _MAX_HEADER  # overlap: a start may straddle two windows


def _warc_unit(data: mmap.mmap, pos: int) -> _Unit | str:
    """The WARC record at `pos` with its trailing blank lines, or why there is none."""
    head = data[pos : pos + _MAX_HEADER]
    if not head.startswith(b"WARC/"):
        return "not the start of a WARC record"
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return "WARC header without an end"
    length = _content_length(head[:end])
    if length is None:
        return "WARC header without a valid Content-Length"
    block_end = pos + end + 4 + length
    if block_end + 4 > len(data):
        short = block_end + 4 - len(data)
        return f"record cut off: Content-Length {length}, file ends {short} bytes early"
    if data[block_end : block_end + 4] != b"\r\n\r\n":
        return f"record not followed by a blank line: Content-Length {length} is wrong"
    next_pos = _skip_blank(data, block_end + 4)
    return _Unit(pos, next_pos - pos, data[pos:next_pos])


def _content_length(header: bytes) -> int | None:
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else None
    return None


def _arc_unit(data: mmap.mmap, pos: int) -> _Unit | str:
    """The ARC record at `pos` (header line, then as many bytes as its last field says)."""
    line_end = data.find(b"\n", pos, pos + _MAX_HEADER)
    if line_end < 0:
        return "ARC header line without an end"
    fields = data[pos:line_end].split()
    if len(fields) < 5 or b"://" not in fields[0]:
        return "not an ARC header line"
    if not fields[-1].isdigit():
        return f"ARC record length {fields[-1].decode('latin-1')!r} is not a number"
    end = line_end + 1 + int(fields[-1])
    if end > len(data):
        return f"record cut off: length {int(fields[-1])}, file ends {end - len(data)} bytes early"
    next_pos = _skip_blank(data, end)
    return _Unit(pos, next_pos - pos, data[pos:next_pos])


# --- one unit, one record -----------------------------------------------------------------------


def _parse(
    filename: str, unit: _Unit, parser: Parser, gzipped: bool, digests: bool
) -> ScannedRecord | Damage:
    def damage(reason: str) -> Damage:
        return Damage(unit.offset, unit.offset + unit.length, reason)

    text = unit.data.lstrip(b"\r\n")
    if gzipped and len(text) != len(unit.data) and text.startswith(b"WARC/"):
        # warcio, and so `read_record`, cannot read a record from such a member
        return damage("gzip member starts with the end of the record before it (wrong chunking)")
    if not text.startswith(b"WARC/"):
        return _parse_arc(filename, unit, text)
    end = text.find(b"\r\n\r\n")
    if end < 0:
        return damage("WARC header without an end")
    length = _content_length(text[:end])
    if length is None:
        return damage("WARC header without a valid Content-Length")
    block = text[end + 4 : end + 4 + length]
    if len(block) < length:
        where = "gzip member" if gzipped else "record"
        return damage(
            f"record cut short: its {where} holds {len(block)} of the {length} bytes its "
            "Content-Length says (a record split across gzip members?)"
        )
    rest = text[end + 4 + length :]
    if rest.strip(b"\r\n"):
        return damage(
            "one gzip member holds more than one record (the file was gzipped whole, not "
            "record by record), so its records cannot be found by offset; "
            "`warcio recompress FILE FIXED.warc.gz` makes a file that can be ingested"
        )
    if not rest.startswith(b"\r\n\r\n"):
        return damage(f"record not followed by a blank line: Content-Length {length} is wrong")
    try:
        record = _fastwarc(text) if parser == "fastwarc" else _warcio(text, arc=False)
    except Exception:
        try:  # fastwarc is stricter about some real-world headers than warcio
            record = _warcio(text, arc=False)
        except Exception as exc:
            return damage(f"unreadable record: {exc}")
    if digests:
        problems = digest_problems(record, block)
        if problems:
            return damage(f"{record.rec_type} record {record.record_id}: {'; '.join(problems)}")
    if record.record_id:
        return ScannedRecord(unit.offset, unit.length, record, block)
    first_line = text[: text.find(b"\r\n")]
    return ScannedRecord(
        unit.offset, unit.length, _with_id(record, filename, unit.offset, first_line), block, True
    )


def _parse_arc(filename: str, unit: _Unit, text: bytes) -> ScannedRecord | Damage:
    def damage(reason: str) -> Damage:
        return Damage(unit.offset, unit.offset + unit.length, reason)

    line = text[: text.find(b"\n")] if b"\n" in text else text
    fields = line.split()
    if len(fields) < 5 or b"://" not in fields[0]:
        return damage("not the start of a record (neither WARC nor ARC)")
    if not fields[-1].isdigit():
        return damage(f"ARC record length {fields[-1].decode('latin-1')!r} is not a number")
    length = int(fields[-1])
    content = text[len(line) + 1 :]
    if len(content) < length:
        return damage(f"record cut short: {len(content)} of the {length} bytes its header says")
    try:
        record = _warcio(text, arc=True)
    except Exception as exc:
        return damage(f"unreadable ARC record: {exc}")
    if record.rec_type == "response" and record.status is None:
        return damage("ARC record holds no HTTP response")
    return ScannedRecord(
        unit.offset,
        unit.length,
        _with_id(record, filename, unit.offset, line),
        content[:length],
        True,
    )


def _with_id(record: WarcRecord, filename: str, offset: int, line: bytes) -> WarcRecord:
    """`record` with its WARC-Record-ID derived from where it lies (see the module doc)."""
    digest = hashlib.sha1(b"%s\n%d\n%s" % (filename.encode(), offset, line)).digest()
    record_id = f"<urn:sha1:{base64.b32encode(digest).decode()}>"
    headers = [(k, v) for k, v in record.warc_headers if k.lower() != "warc-record-id"]
    return WarcRecord(
        rec_type=record.rec_type,
        warc_headers=(("WARC-Record-ID", record_id), *headers),
        http_start_line=record.http_start_line,
        http_headers=record.http_headers,
        payload=record.payload,
    )


def _warcio(text: bytes, *, arc: bool) -> WarcRecord:
    records = ArchiveIterator(BytesIO(text), arc2warc=arc)
    latin1_parsers(records)
    record = next(records, None)
    if record is None:
        raise ValueError("no record")
    loaded = WarcRecord.from_warcio(record)
    if arc:
        # warcio makes up a random WARC-Record-ID for an ARC record: the caller derives one.
        headers = tuple((k, v) for k, v in loaded.warc_headers if k.lower() != "warc-record-id")
        loaded = WarcRecord(
            loaded.rec_type, headers, loaded.http_start_line, loaded.http_headers, loaded.payload
        )
    return loaded


def _fastwarc(text: bytes) -> WarcRecord:
    assert FastRecord is not None
    record: Any = FastRecord.from_bytes(text)
    rec_type = str(record.record_type)
    warc_headers = tuple(
        (k, _target_uri(v) if k.lower() == "warc-target-uri" else v)
        for k, v in record.headers.to_tuples()
    )
    start_line: str | None = None
    http_headers: tuple[tuple[str, str], ...] = ()
    content_type = (record.headers.get("Content-Type") or "").lower()
    if rec_type in HTTP_TYPES and content_type.startswith("application/http"):
        record.parse_http(strict_mode=False)
        status = record.http_headers.status_line_bytes
        start_line = None if status is None else status.decode("latin-1")
        http_headers = tuple(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in record.http_headers.items_bytes()
        )
    return WarcRecord(
        rec_type=rec_type,
        warc_headers=warc_headers,
        http_start_line=start_line,
        http_headers=http_headers,
        payload=record.reader.read(),
    )


def _target_uri(value: str) -> str:
    """WARC-Target-URI as warcio reads it (so as `read_record` gives it): without the angle
    brackets of WARC 1.0's grammar (wget writes them), spaces percent-encoded."""
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value.replace(" ", "%20")
