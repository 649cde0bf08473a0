"""Reading a WARC file record by record, checking each one as it goes (no Scrapy, no warcio).

Recovery and `newsarchive verify` need more than a reader that stops at the first surprise: they
need to know, for every record, whether it is complete (its gzip member ends, with a good CRC and
length; its WARC header parses; its block has the Content-Length it declares and the record's
closing CRLF CRLF follows) and where the damage starts when it is not. A file written by
`storage.warc.WarcWriter` has one record per gzip member; uncompressed `.warc` files (written with
`WARC_GZIP=False`) are records one after the other.

After damage the scan looks for the next place a complete record starts (the next gzip member
header, or the next `WARC/` line) and goes on from there, so that damage in the middle of a file
is told apart from a cut-off end.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_MAX_HEADER = 1024 * 1024
"""A WARC header longer than this is taken for garbage."""

MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
"""WARC 1.1 §5: the named fields every record has."""
TARGET_URI_TYPES = frozenset({"response", "request", "revisit", "resource", "conversion"})
"""Record types that WARC 1.1 requires to name their WARC-Target-URI."""
HTTP_TYPES = frozenset({"response", "request", "revisit"})


@dataclass(frozen=True, slots=True)
class Record:
    """One complete record: where it is, its WARC header and its block."""

    offset: int
    length: int
    """Bytes in the file: the gzip member, or the record with its closing CRLF CRLF."""
    version: str
    headers: tuple[tuple[str, str], ...]
    block: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def rec_type(self) -> str:
        return self.header("WARC-Type") or ""

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    @property
    def end(self) -> int:
        return self.offset + self.length

    def http_head(self) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The HTTP start line and headers (as Latin-1 text) of a response, request or revisit
        record, or None for other records and for a block that holds no HTTP message head."""
        if self.rec_type not in HTTP_TYPES:
            return None
        head, sep, _ = self.block.partition(b"\r\n\r\n")
        if not sep and self.rec_type != "revisit":
            return None
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/") and " HTTP/" not in lines[0]:
            return None
        return lines[0], _header_lines(lines[1:])

    def payload(self) -> bytes:
        """What WARC-Payload-Digest covers: the HTTP body of an HTTP record, the block otherwise."""
        if self.rec_type in HTTP_TYPES:
            return self.block.partition(b"\r\n\r\n")[2]
        return self.block


@dataclass(frozen=True, slots=True)
class Damage:
    """Bytes from `offset` to `end` that are no complete record."""

    offset: int
    end: int
    reason: str


def scan(path: str | os.PathLike[str]) -> Iterator[Record | Damage]:
    """Every complete record of the file at `path`, in order, with a `Damage` for each stretch
    of bytes that is not one (a cut-off last record, garbage, a bad CRC…)."""
    with Path(path).open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        gzipped = stream.read(2) == _GZIP_MAGIC[:2]
        read = _read_member if gzipped else _read_plain
        offset = 0
        while offset < size:
            try:
                record = read(stream, offset, size)
            except _Invalid as exc:
                resume = _resync(stream, offset + 1, size, read)
                yield Damage(offset, resume, exc.reason)
                offset = resume
                continue
            yield record
            offset = record.end


def complete_end(path: str | os.PathLike[str]) -> tuple[int, list[Damage]]:
    """Where the file's complete records end (0 when there is none), and the damage found."""
    end, damage = 0, []
    for item in scan(path):
        if isinstance(item, Damage):
            damage.append(item)
        else:
            end = item.end
    return end, damage


def check_record(record: Record) -> list[str]:
    """What is wrong with a complete record: WARC 1.1 mandatory fields missing, digests that do
    not match. Empty when nothing is."""
    problems = [f"missing mandatory header {name}" for name in MANDATORY if not record.header(name)]
    rec_type = record.rec_type
    if rec_type in TARGET_URI_TYPES and not record.header("WARC-Target-URI"):
        problems.append(f"missing header WARC-Target-URI (mandatory for {rec_type})")
    if rec_type == "revisit":
        problems += [
            f"missing header {name} (mandatory for revisit)"
            for name in ("WARC-Profile", "WARC-Refers-To")
            if not record.header(name)
        ]
    block_digest = record.header("WARC-Block-Digest")
    if block_digest and digest_matches(block_digest, record.block) is False:
        problems.append(f"WARC-Block-Digest mismatch (header says {block_digest})")
    payload_digest = record.header("WARC-Payload-Digest")
    # A revisit's payload digest is its original's; its own block holds no payload.
    if (
        payload_digest
        and rec_type != "revisit"
        and digest_matches(payload_digest, record.payload()) is False
    ):
        problems.append(f"WARC-Payload-Digest mismatch (header says {payload_digest})")
    return problems


def digest_matches(value: str, data: bytes) -> bool | None:
    """Whether `data` has the digest `value` ('sha1:BASE32', base16 accepted too); None for an
    algorithm hashlib does not know."""
    algorithm, _, expected = value.strip().partition(":")
    try:
        digest = hashlib.new(algorithm.lower().replace("-", ""), data).digest()
    except ValueError:
        return None
    expected = expected.strip()
    return expected.upper() == base64.b32encode(digest).decode() or (
        expected.lower() == digest.hex()
    )


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read_member(stream: BinaryIO, offset: int, size: int) -> Record:
    """The record in the gzip member at `offset`: the member must end, with good CRC and
    length (zlib checks both), and hold exactly one record."""
    stream.seek(offset)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    fed = 0
    try:
        while not inflater.eof:
            chunk = stream.read(_CHUNK)
            if not chunk:
                raise _Invalid("gzip member cut off (the file ends inside it)")
            fed += len(chunk)
            out += inflater.decompress(chunk)
    except zlib.error as exc:
        raise _Invalid(f"bad gzip member: {exc}") from None
    length = fed - len(inflater.unused_data)
    version, headers, block, rest = _parse(bytes(out))
    if rest:
        raise _Invalid(f"{len(rest)} bytes after the record inside its gzip member")
    return Record(offset, length, version, headers, block)


def _read_plain(stream: BinaryIO, offset: int, size: int) -> Record:
    """The uncompressed record at `offset`."""
    stream.seek(offset)
    head = bytearray()
    while b"\r\n\r\n" not in head:
        chunk = stream.read(4096)
        if not chunk:
            raise _Invalid("record header cut off (the file ends inside it)")
        head += chunk
        if len(head) > _MAX_HEADER and b"\r\n\r\n" not in head:
            raise _Invalid("no WARC record header here")
    header_end = head.index(b"\r\n\r\n") + 4
    length = _content_length(_parse_head(bytes(head[: header_end - 4]))[1])
    total = header_end + length + 4
    if offset + total > size:
        raise _Invalid("record cut off (the file ends inside it)")
    stream.seek(offset)
    version, headers, block, _ = _parse(stream.read(total))
    return Record(offset, total, version, headers, block)


def _parse(data: bytes) -> tuple[str, tuple[tuple[str, str], ...], bytes, bytes]:
    """(version, headers, block, what follows the closing CRLF CRLF) of a whole record."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise _Invalid("record header cut off")
    version, headers = _parse_head(head)
    length = _content_length(headers)
    if len(body) < length + 4:
        raise _Invalid(f"record block cut off: {len(body)} of {length} + 4 bytes")
    if body[length : length + 4] != b"\r\n\r\n":
        raise _Invalid("Content-Length does not end at the record's closing CRLF CRLF")
    return version, headers, body[:length], body[length + 4 :]


def _parse_head(head: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    lines = head.decode("utf-8", "replace").split("\r\n")
    version = lines[0].strip()
    if version not in ("WARC/1.0", "WARC/1.1"):
        raise _Invalid(f"not a WARC record (first line {version[:40]!r})")
    headers = _header_lines(lines[1:])
    if any(not name for name, _ in headers):
        raise _Invalid("malformed WARC header line")
    return version, headers


def _header_lines(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """'Name: value' lines, continuation lines (leading space or tab) folded into the previous."""
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return tuple(headers)


def _content_length(headers: tuple[tuple[str, str], ...]) -> int:
    value = next((v for k, v in headers if k.lower() == "content-length"), None)
    if value is None or not value.isdigit():
        raise _Invalid(f"no valid Content-Length ({value!r})")
    return int(value)


def _resync(
    stream: BinaryIO, start: int, size: int, read: Callable[[BinaryIO, int, int], Record]
) -> int:
    """The offset of the next complete record at or after `start`, or `size` if none follows."""
    marker = _GZIP_MAGIC if read is _read_member else b"WARC/1."
    position = start
    while position < size:
        stream.seek(position)
        window = stream.read(_CHUNK + len(marker))
        if not window:
            break
        found = window.find(marker)
        if found < 0:
            position += _CHUNK
            continue
        candidate = position + found
        try:
            read(stream, candidate, size)
        except _Invalid:
            position = candidate + 1
            continue
        return candidate
    return size
