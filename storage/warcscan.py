"""Reading WARC and ARC files record by record, with exact offsets, damage included.

`scan(path)` yields every record of a file with the exact offset and length a capture needs to
find it again (`storage.warc.read_record(path, offset)` reads it back), or a `Damage` saying
which stretch of the file holds no record and why. After damage, reading goes on at the next
place where a record starts, so one bad record costs only itself and damage in the middle of a
file is told apart from a cut-off end. Ingest (`newsarchive ingest`), crash recovery
(`storage.recover`, which cuts `.open` files back to `complete_end`) and `newsarchive verify`
(which adds `check_record`) all read through it.

The file is first cut into units (`storage.warcunits`: gzip members, or records by their
lengths), each of which should hold one record. A gzip member holding several records (a file
gzipped whole) or part of one (records split across members) is damage, since no offset would
lead to its records.

Real files are read whole: what is wrong with a record that can be read is a flag on it, not a
reason to drop it (`crawler.core.capture` names the flags):

- `digest-mismatch`: its WARC-Block-Digest or WARC-Payload-Digest does not match (checked with
  `digests`; some crawlers compute the payload digest over another form of the body);
- `truncated`: the record holds fewer bytes than it declares (cut by the end of the file, a
  broken gzip member or the next record), with the declared length in `declared_length`. A cut
  record is kept when its WARC header and, for an HTTP record, its HTTP head are whole;
- `nonstandard-version`: a WARC version other than 1.0 and 1.1 (0.17, 0.18), or an ARC record.

Each unit is parsed by fastwarc (2.x, in Rust: faster, see docs/benchmarks.md) when it is
installed, else by warcio, which also reads ARC records (as WARC, `arc2warc`), cut records and
whatever fastwarc refuses.

A record without a WARC-Record-ID (every ARC record, and the odd broken WARC record), or with the
WARC-Record-ID of a record before it in the file (hand-made and edited files reuse them), gets a
stable one derived from where it lies: `<urn:sha1:BASE32>` of the file's name, the record's offset
and its header line. The same file ingested twice, or copied elsewhere under the same name, gives
the same ids.
"""

from __future__ import annotations

import base64
import hashlib
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from crawler.core.capture import DIGEST_MISMATCH, NONSTANDARD_VERSION, TRUNCATED
from crawler.core.record import WarcRecord
from storage.warcparse import FastRecord, parse_fastwarc, parse_warcio, with_derived_id
from storage.warcunits import (
    GZIP_MAGIC,
    MAX_HEADER,
    Damage,
    Unit,
    content_length,
    header_end,
    units,
)

Parser = Literal["fastwarc", "warcio"]

__all__ = ["Damage", "Parser", "ScannedRecord", "check_record", "complete_end", "scan"]

STANDARD_VERSIONS = (b"WARC/1.0", b"WARC/1.1")
MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
"""WARC 1.1 §5: the named fields every record has."""
TARGET_URI_TYPES = frozenset({"response", "request", "revisit", "resource", "conversion"})
"""Record types that WARC 1.1 requires to name their WARC-Target-URI."""


@dataclass(frozen=True, slots=True)
class ScannedRecord:
    """One record, fully loaded, and where it lies in the file."""

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
    flags: frozenset[str] = frozenset()
    """What is wrong with the record as read (see the module docstring)."""
    declared_length: int | None = None
    """For a cut record, the block length it declares (`block` holds fewer bytes)."""
    closed: bool = True
    """Whether the record is followed by its closing blank line (or another record)."""

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def cut(self) -> bool:
        """Whether the record's bytes stop before the length it declares."""
        return self.declared_length is not None


def default_parser() -> Parser:
    return "fastwarc" if FastRecord is not None else "warcio"


def scan(
    path: str | os.PathLike[str], *, parser: Parser | None = None, digests: bool = True
) -> Iterator[ScannedRecord | Damage]:
    """Every record of the WARC or ARC file `path`, in file order, and the damage between them.

    `parser` chooses the WARC record parser (default: fastwarc when installed); ARC records and
    records fastwarc refuses go to warcio either way. With `digests`, a record whose declared
    digests do not match is flagged `digest-mismatch` (`check_record` names the mismatch).
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
            seen: set[str] = set()
            for unit in units(data, gzipped):
                if isinstance(unit, Damage):
                    yield unit
                    continue
                for item in _parse(path.name, unit, chosen, gzipped, digests):
                    if isinstance(item, ScannedRecord) and not item.derived_id:
                        record_id = item.record.record_id or ""
                        if record_id in seen:  # a second record with one id: its own is derived
                            record = with_derived_id(item.record, path.name, item.offset, b"WARC")
                            item = replace(item, record=record, derived_id=True)
                        seen.add(record_id)
                    yield item


def complete_end(path: str | os.PathLike[str]) -> tuple[int, int, list[Damage]]:
    """Where the file's last complete record ends (0 when there is none), how many complete
    records it has, and the damage found. Digests are not checked: a record whose bytes are all
    there is complete; a cut one is damage here (recovery cuts a crashed crawl's file before
    it)."""
    end, records, damage = 0, 0, []
    for item in scan(path, digests=False):
        if isinstance(item, Damage):
            damage.append(item)
        elif item.cut or not item.closed:
            damage.append(Damage(item.offset, item.end, "record cut off"))
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


# --- one unit, one record -----------------------------------------------------------------------


def _parse(
    filename: str, unit: Unit, parser: Parser, gzipped: bool, digests: bool
) -> list[ScannedRecord | Damage]:
    """The record of one unit (and the damage inside the unit, if any)."""

    def damage(reason: str) -> list[ScannedRecord | Damage]:
        return [Damage(unit.offset, unit.offset + unit.length, reason)]

    text = unit.data.lstrip(b"\r\n")
    if gzipped and len(text) != len(unit.data) and text.startswith(b"WARC/"):
        # warcio, and so `read_record`, cannot read a record from such a member
        return damage("gzip member starts with the end of the record before it (wrong chunking)")
    if not text.startswith(b"WARC/"):
        return _parse_arc(filename, unit, text)
    found = header_end(text[:MAX_HEADER])
    if found is None:
        return damage(_cut_reason(unit, "WARC header without an end"))
    end, blank = found
    length = content_length(text[:end])
    if length is None:
        return damage("WARC header without a valid Content-Length")
    block = text[end + blank : end + blank + length]
    if len(block) < length and not unit.cut:
        return damage(
            f"record cut short: its gzip member holds {len(block)} of the {length} bytes its "
            "Content-Length says (a record split across gzip members?)"
        )
    cut = unit.cut or len(block) < length  # a gzip member cut in its trailer is cut too
    rest = text[end + blank + length :]
    found_damage: list[ScannedRecord | Damage] = []
    if rest.strip(b"\r\n\x00"):
        if b"\nWARC/" in rest or rest.lstrip(b"\r\n").startswith(b"WARC/"):
            return damage(
                "one gzip member holds more than one record (the file was gzipped whole, not "
                "record by record), so its records cannot be found by offset; "
                "`warcio recompress FILE FIXED.warc.gz` makes a file that can be ingested"
            )
        found_damage = damage(
            f"{len(rest)} bytes after the record that its Content-Length {length} leaves out"
        )
    http = b"application/http" in _header_value(text[:end], b"content-type").lower()
    if cut and http and header_end(block) is None:
        return damage(_cut_reason(unit, "record cut inside its HTTP head"))
    try:
        # fastwarc reads neither bare-LF headers, nor cut blocks, nor 'Warc-Type' (as unknown)
        record = None
        if parser == "fastwarc" and not cut and blank == 4:
            record = parse_fastwarc(text)
        if record is None or record.rec_type == "unknown":
            record = parse_warcio(text, arc=False)
    except Exception:
        try:  # fastwarc is stricter about some real-world headers than warcio
            record = parse_warcio(text, arc=False)
        except Exception as exc:
            return damage(f"unreadable record: {exc}")
    flags = set()
    version = text[: text.find(b"\n")].strip()
    if version not in STANDARD_VERSIONS:
        flags.add(NONSTANDARD_VERSION)
    if cut:
        flags.add(TRUNCATED)
    elif digests and digest_problems(record, block):
        flags.add(DIGEST_MISMATCH)
    derived = not record.record_id
    if derived:
        record = with_derived_id(record, filename, unit.offset, version)
    scanned = ScannedRecord(
        unit.offset,
        unit.length,
        record,
        block,
        derived,
        frozenset(flags),
        length if cut else None,
        unit.closed,
    )
    return [scanned, *found_damage]


def _cut_reason(unit: Unit, reason: str) -> str:
    return f"{reason} ({unit.why_cut})" if unit.cut and unit.why_cut else reason


def _header_value(header: bytes, name: bytes) -> bytes:
    for line in header.split(b"\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return b""


def _parse_arc(filename: str, unit: Unit, text: bytes) -> list[ScannedRecord | Damage]:
    def damage(reason: str) -> list[ScannedRecord | Damage]:
        return [Damage(unit.offset, unit.offset + unit.length, reason)]

    line = text[: text.find(b"\n")] if b"\n" in text else text
    fields = line.split()
    if len(fields) < 5 or b":" not in fields[0]:
        return damage("not the start of a record (neither WARC nor ARC)")
    if not fields[-1].isdigit():
        return damage(f"ARC record length {fields[-1].decode('latin-1')!r} is not a number")
    length = int(fields[-1])
    content = text[len(line) + 1 :]
    cut = unit.cut or len(content) < length
    if cut and not unit.cut:
        return damage(f"record cut short: {len(content)} of the {length} bytes its header says")
    web = fields[0].lower().startswith((b"http:", b"https:"))
    if cut and web and header_end(content) is None:
        return damage(_cut_reason(unit, "record cut inside its HTTP head"))
    try:
        record = parse_warcio(text, arc=True)
    except Exception as exc:
        return damage(f"unreadable ARC record: {exc}")
    if web and record.rec_type == "response" and record.status is None:
        return damage("ARC record holds no HTTP response")
    flags = {NONSTANDARD_VERSION, TRUNCATED} if cut else {NONSTANDARD_VERSION}
    return [
        ScannedRecord(
            unit.offset,
            unit.length,
            with_derived_id(record, filename, unit.offset, line),
            content[:length],
            True,
            frozenset(flags),
            length if cut else None,
        )
    ]
