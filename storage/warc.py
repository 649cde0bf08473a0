"""The WARC archive: write HTTP exchanges to WARC/1.1 files and read them back (with warcio).

Every fetch is stored as a `response` record followed by its `request` record (warcio's and
Heritrix's order), each in its own gzip member so that any record can be read from its offset.
A fetch that brought nothing new (a 304, or the same payload again) is stored as a `revisit`
record in place of the response: status line and headers, no body, and a reference to the earlier
response record that holds the payload.
WARC/1.1 rather than 1.0: it fixes the WARC-Target-URI grammar and allows WARC-Date with
microseconds; warcio, and pywb and cdxj-indexer which read through it, accept both versions.

This module imports no crawling framework: the Scrapy extension (`crawler.extensions.warc`) turns
responses into the plain `HttpRequestData`/`HttpResponseData` below, and re-extraction reads
records with `read_record` + `page_from_record` (or `page_from_revisit`) without Scrapy.

HTTP header names and values are written byte for byte, whatever their encoding (UTF-8, Latin-1,
anything), and read back as Latin-1 text: one character per byte, so `.encode("latin-1")` gives
the bytes again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import socket
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from gzip import BadGzipFile, GzipFile
from importlib.metadata import version
from io import BytesIO, FileIO
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler import __version__
from crawler.core.page import PageInput
from crawler.core.record import WarcReadError, WarcRecord

try:
    import fcntl
except ImportError:  # not POSIX: files are not locked
    fcntl = None  # type: ignore[assignment]

try:
    import brotli
except ImportError:  # then 'br' bodies stay encoded, as they would in Scrapy without it
    brotli = None

try:
    from compression import zstd  # Python 3.14+
except ImportError:
    try:
        from backports import zstd  # Scrapy's own dependency on older Pythons
    except ImportError:
        zstd = None

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
OPEN_SUFFIX = ".open"
"""Suffix of a file still being written; it is renamed without it once closed."""

_CHUNK = 64 * 1024
MAX_DECODED_BODY = 32 * 1024 * 1024
"""Default bound on a decoded body (the crawl's DOWNLOAD_MAXSIZE default): a decompression bomb
in an archive must not take the reader's memory."""

RevisitProfile = Literal["server-not-modified", "identical-payload-digest"]
"""A revisit profile of WARC 1.1 §6.7, by the last segment of its URI."""

_PROFILES = "http://netpreserve.org/warc/1.1/revisit/"
REVISIT_PROFILES: dict[RevisitProfile, str] = {
    "server-not-modified": _PROFILES + "server-not-modified",
    "identical-payload-digest": _PROFILES + "identical-payload-digest",
}
"""The WARC-Profile URI of each profile: the WARC/1.1 ones (§6.7.2, §6.7.3) for our WARC/1.1
records, as warcio also writes; WARC/1.0 files have `.../warc/1.0/revisit/...`."""


def revisit_profile(uri: str | None) -> RevisitProfile | None:
    """The revisit profile a WARC-Profile URI names, by its last segment, whichever WARC version
    wrote it (1.0 or 1.1); warcprox's and Heritrix's 'uri-agnostic-identical-payload-digest' is
    identical-payload-digest too. None for a profile of another kind, or none."""
    segment = (uri or "").strip().rstrip("/").rsplit("/", 1)[-1].lower()
    for profile in REVISIT_PROFILES:
        if segment.endswith(profile):
            return profile
    return None


@dataclass(frozen=True, slots=True)
class HttpRequestData:
    """An HTTP request as it went on the wire.

    `url` is the URL as sent: ASCII, non-ASCII characters percent-encoded (a ValueError
    otherwise). `headers` are the header lines as sent, names and values as bytes, in order,
    repeats included. HTTP/1.1 requires a `Host` header; when `headers` has none (the HTTP client
    added it), one is appended from `url`, which is also where Twisted's Agent puts it.
    """

    method: str
    url: str
    protocol: str
    headers: Sequence[tuple[bytes, bytes]]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class HttpResponseData:
    """An HTTP response as received.

    `headers` keeps every header line as received, names and values as bytes, in order, a
    repeated header (two Set-Cookie) as two entries. `body` is the payload as transferred: still
    compressed when Content-Encoding says so. `truncated` is a WARC-Truncated reason ("length",
    "time", "disconnect", "unspecified") when the body is known to be incomplete.
    """

    status: int
    reason: str
    protocol: str
    headers: Sequence[tuple[bytes, bytes]]
    body: bytes
    truncated: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """Where `WarcWriter` put an exchange: enough to read either record back.

    The first record is the response record, or the revisit record that stands for it.
    """

    filename: str
    """File name inside the WARC directory, as it is once closed (without `.open`)."""
    offset: int
    """Offset of the response (or revisit) record's gzip member."""
    length: int
    """Length of that gzip member (of the record itself when not gzipped)."""
    record_id: str
    """WARC-Record-ID of the response (or revisit) record."""
    payload_digest: str
    """WARC-Payload-Digest of that record ('sha1:…'), over the body as transferred; for a
    revisit, the digest of the original's body, which it stands for."""
    request_record_id: str | None
    """None for a revisit written without its request record (`write_revisit`)."""
    request_offset: int | None
    request_length: int
    """0 when there is no request record."""
    record: WarcRecord
    """The response (or revisit) record as written: its WARC headers, HTTP head and payload (a
    revisit's is empty). The crawl builds its capture and its page from it, as every other door
    builds them from a record read back."""


@dataclass(frozen=True, slots=True)
class Copied:
    """Where `WarcWriter` put a record copied from a web archive, and its metadata record."""

    filename: str
    offset: int
    length: int
    record_id: str
    metadata_record_id: str
    record: WarcRecord
    """The response record as written (for a copied record, as the archive wrote it)."""


GZIP_LEVEL = 2
"""ISA-L level (0-3) of each record's gzip member. The member is standard gzip (any reader takes
it); ISA-L makes it several times cheaper than zlib, on the crawl's reactor thread. On the 181
AEB pages (`python -m bench warcgzip`, docs/benchmarks.md), level 2 costs 0.43 ms of CPU per
record against zlib 6's 3.6 ms (warcio's zlib 9: 5.7 ms), for 15 % more bytes when the server
sent the body uncompressed and 0.1 % when it sent it gzip-encoded, as most sites do."""


def check_prefix(prefix: str) -> None:
    """Raise ValueError unless `prefix` can start a file name in the WARC directory (nothing that
    would put the file elsewhere, such as `../x`)."""
    if not prefix or any(sep in prefix for sep in ("/", "\\", os.sep)):
        raise ValueError(f"WARC_PREFIX must be a non-empty file name part, got {prefix!r}")


class WarcWriter:
    """Appends HTTP exchanges to size-rotated WARC/1.1 files in one directory.

    Files are named `<prefix>-<UTC yyyymmddhhmmssffffff>-<serial>-<host>-<pid>.warc.gz` (the IIPC
    naming recommendation plus the pid, so that crawls running side by side never collide). A file
    is created on the first write, starts with a `warcinfo` record, is written as `<name>.open`
    and renamed to `<name>` when closed. Once a file has reached `max_size` bytes the next exchange
    goes to a new one; an exchange is never split across files.

    An exchange is appended with one write; if that fails (disk full) the file is cut back to its
    previous end, so it never ends in a partial record unless the process dies mid-write. A file
    left as `.open` by a crash therefore holds only complete gzip members plus perhaps a cut-off
    last one, and its final name is in its warcinfo record (WARC-Filename): recovery
    (`storage.recover`) needs nothing that lives only in this object. While a file is open the
    writer holds an exclusive `flock` on it, which tells recovery to leave it alone. Not
    thread-safe.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str,
        max_size: int,
        gzip: bool = True,
        gzip_level: int = GZIP_LEVEL,
        warcinfo: Mapping[str, str] | None = None,
    ) -> None:
        check_prefix(prefix)
        if not 0 <= gzip_level <= isal_zlib.ISAL_BEST_COMPRESSION:
            raise ValueError(f"gzip_level must be an ISA-L level from 0 to 3, got {gzip_level}")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.gzip_level = gzip_level
        hostname = socket.gethostname()
        self._info: dict[str, str] = {
            "software": f"newsarchive/{__version__} warcio/{version('warcio')}",
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "hostname": hostname,
            **(warcinfo or {}),
        }
        self._host = re.sub(r"[^A-Za-z0-9.-]", "_", hostname)
        self._serial = 0
        self._records = RecordBuilder(warc_version=WARC_VERSION)
        self._file: FileIO | None = None
        self._name = ""
        self._size = 0
        self._warcinfo_id = ""
        self._closed = False

    def write_exchange(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        *,
        fetched_at: datetime,
        ip_address: str | None = None,
    ) -> Location:
        """Append `response` then `request` (linked by WARC-Concurrent-To, same WARC-Date).

        `fetched_at` must be timezone-aware. Raises OSError when the file cannot be written; the
        archive is then as it was before the call.
        """
        uri, common = self._begin_capture(request.url, fetched_at, ip_address)
        record = self._response_record(uri, common, response)
        return self._append_capture(record, request, uri, common, response.body)

    def _response_record(
        self, uri: str, common: Mapping[str, str], response: HttpResponseData
    ) -> Any:
        """The warcio `response` record of `response` (WARC-Truncated when it was cut short)."""
        fields = {"WARC-Type": "response", "WARC-Record-ID": _new_record_id(), **common}
        if response.truncated:
            fields["WARC-Truncated"] = response.truncated
        return self._records.create_warc_record(
            uri,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            warc_headers_dict=fields,
            http_headers=_status_and_headers(response),
        )

    def write_revisit(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        *,
        profile: RevisitProfile,
        refers_to_record_id: str,
        refers_to_uri: str,
        refers_to_date: datetime,
        payload_digest: str,
        fetched_at: datetime,
        ip_address: str | None = None,
        request_record: bool = True,
    ) -> Location:
        """Append a `revisit` record for `response` then `request`, as `write_exchange` does;
        with `request_record` False, the revisit record alone (`WARC_REVISIT_REQUESTS`).

        The revisit keeps the status line and headers of `response` but not its body, and names
        the response record holding the payload: `refers_to_record_id` (WARC-Refers-To), written
        for `refers_to_uri` at `refers_to_date` (WARC-Refers-To-Target-URI and -Date, which pywb
        and ReplayWeb.page look the original up by). `payload_digest` is that record's
        WARC-Payload-Digest, the payload this capture stands for.

        With 'server-not-modified', `response` is the 304 and is stored whole. With
        'identical-payload-digest', its body must have `payload_digest` (else ValueError: the body
        would be lost) and the record says WARC-Truncated: length, as WARC 1.1 §6.7.2 requires of
        a block cut for that reason. Dates must be timezone-aware; OSError as for
        `write_exchange`.
        """
        if profile not in REVISIT_PROFILES:
            raise ValueError(f"unknown revisit profile {profile!r}")
        if refers_to_date.tzinfo is None:
            raise ValueError("refers_to_date must be timezone-aware")
        identical = profile == "identical-payload-digest"
        if identical and compute_payload_digest(response.body) != payload_digest:
            raise ValueError(f"the body of {request.url} does not have digest {payload_digest}")
        uri, common = self._begin_capture(request.url, fetched_at, ip_address)
        fields = {
            "WARC-Type": "revisit",
            "WARC-Record-ID": _new_record_id(),
            **common,
            "WARC-Refers-To": refers_to_record_id,
        }
        if identical:
            fields["WARC-Truncated"] = "length"
        record = self._records.create_revisit_record(
            uri,
            payload_digest,
            refers_to_uri,
            _warc_date(refers_to_date),
            http_headers=_status_and_headers(response),
            warc_headers_dict=fields,
        )
        # warcio writes the identical-payload-digest profile whatever the reason for the revisit.
        record.rec_headers.replace_header("WARC-Profile", REVISIT_PROFILES[profile])
        return self._append_capture(record, request if request_record else None, uri, common, b"")

    def write_archived(
        self,
        response: HttpResponseData,
        *,
        target_uri: str,
        captured_at: datetime,
        metadata: Mapping[str, str],
        fetched_at: datetime,
    ) -> Copied:
        """Append a capture copied from a web archive's raw replay: a `response` record of
        `response` whose WARC-Target-URI is the original URL and whose WARC-Date is the
        archive's capture time, then a `metadata` record (WARC-Concurrent-To it, dated
        `fetched_at`) holding `metadata` as WARC fields: which archive, the URL we fetched.
        No request record: we never sent the original request. Dates must be timezone-aware."""
        if captured_at.tzinfo is None:
            raise ValueError("captured_at must be timezone-aware")
        uri, common = self._begin_capture(target_uri, captured_at, None)
        record = self._response_record(uri, common, response)
        copied = WarcRecord(
            rec_type="response",
            warc_headers=tuple(record.rec_headers.headers),
            http_start_line=f"{record.http_headers.protocol} {record.http_headers.statusline}",
            http_headers=tuple(record.http_headers.headers),
            payload=response.body,
        )
        return self._append_copied(self._serialised(record), copied, metadata, fetched_at)

    def write_copied(
        self, member: bytes, *, metadata: Mapping[str, str], fetched_at: datetime
    ) -> Copied:
        """Append a WARC record fetched from another archive's file (a Common Crawl record, one
        gzip member) byte for byte (inflated when this writer does not gzip), then a `metadata`
        record concurrent to it, as `write_archived`. ValueError when `member` is not one
        readable response record."""
        try:
            plain = _inflated(member)
            records = ArchiveIterator(BytesIO(member), check_digests=False)
            latin1_parsers(records)
            first = next(records, None)
            record = None if first is None else record_from_warcio(first)
            extra = next(records, None)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"not a WARC record ({type(exc).__name__}: {exc})") from exc
        if record is None or record.rec_type != "response" or extra is not None:
            raise ValueError("not one WARC response record")
        uri = record.target_uri
        if not uri or record.fetch_time()[0] is None:
            raise ValueError("a WARC record without WARC-Target-URI or WARC-Date")
        self._begin_capture(uri, datetime.now(UTC), None)  # opens a file if needed
        data = member if self.gzip else plain
        return self._append_copied(data, record, metadata, fetched_at)

    def _append_copied(
        self, data: bytes, record: WarcRecord, metadata: Mapping[str, str], fetched_at: datetime
    ) -> Copied:
        uri = record.target_uri or ""
        record_id = record.record_id or ""
        fields = "".join(f"{name}: {value}\r\n" for name, value in metadata.items()).encode()
        meta_id = _new_record_id()
        meta = self._records.create_warc_record(
            uri,
            "metadata",
            payload=BytesIO(fields),
            length=len(fields),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Type": "metadata",
                "WARC-Record-ID": meta_id,
                "WARC-Target-URI": uri,
                "WARC-Date": _warc_date(fetched_at),
                "WARC-Warcinfo-ID": self._warcinfo_id,
                "WARC-Concurrent-To": record_id,
            },
        )
        lengths = self._append_bytes([data, self._serialised(meta)])
        offset = self._size - sum(lengths)
        return Copied(self._name, offset, lengths[0], record_id, meta_id, record)

    def _serialised(self, record: Any) -> bytes:
        """A warcio record as this writer stores it: one gzip member, or plain."""
        plain = BytesIO()
        _RecordWriter(plain, gzip=False, warc_version=WARC_VERSION).write_record(record)
        if not self.gzip:
            return plain.getvalue()
        # One gzip member per record, as warcio writes them, but by ISA-L rather than warcio's
        # zlib at level 9, which costs much more time for little size.
        compressor = isal_zlib.compressobj(
            self.gzip_level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16
        )
        return bytes(compressor.compress(plain.getbuffer()) + compressor.flush())

    def close(self) -> None:
        """Finish the current file (fsync, rename without `.open`). Idempotent; the writer cannot
        be written to afterwards."""
        self._closed = True
        self._close_file()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _begin_capture(
        self, url: str, fetched_at: datetime, ip_address: str | None
    ) -> tuple[str, dict[str, str]]:
        """Make sure a file is open for the next capture of `url`; return its WARC-Target-URI
        and the WARC headers shared by the capture's records."""
        if self._closed:
            raise ValueError("write to a closed WarcWriter")
        if not url.isascii():
            # The request line and Host hold it; an HTTP client sends a URL percent-encoded.
            raise ValueError(f"url must be ASCII (percent-encoded, as sent), got {url!r}")
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        if self._file is not None and self._size >= self.max_size:
            self._close_file()
        if self._file is None:
            self._open_file()
        uri = url.split("#", 1)[0]
        common = {
            "WARC-Target-URI": uri,
            "WARC-Date": _warc_date(fetched_at),
            "WARC-Warcinfo-ID": self._warcinfo_id,
        }
        if ip_address:
            common["WARC-IP-Address"] = ip_address
        return uri, common

    def _append_capture(
        self,
        record: Any,
        request: HttpRequestData | None,
        uri: str,
        common: Mapping[str, str],
        payload: bytes,
    ) -> Location:
        """Append `record` (a response or revisit, whose block holds `payload` after its HTTP
        head) and the request record concurrent to it.

        The request record is as small as WARC 1.1 allows without losing anything: the record it
        is concurrent to (WARC-Concurrent-To) carries the exchange's WARC-Warcinfo-ID and
        WARC-IP-Address, and a request without a body has no WARC-Payload-Digest (the digest of
        nothing). About 90 of a request record's 600 gzipped bytes: a recrawl's unchanged
        exchange is a revisit record and a request record, nothing else."""
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if request is None:
            (length,) = self._append(record)
            return Location(
                filename=self._name,
                offset=self._size - length,
                length=length,
                record_id=record_id,
                payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
                request_record_id=None,
                request_offset=None,
                request_length=0,
                record=_as_written(record, payload),
            )
        request_id = _new_record_id()
        request_record = self._records.create_warc_record(
            uri,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            warc_headers_dict={
                "WARC-Type": "request",
                "WARC-Record-ID": request_id,
                "WARC-Target-URI": common["WARC-Target-URI"],
                "WARC-Date": common["WARC-Date"],
                "WARC-Concurrent-To": record_id,
            },
            http_headers=_VerbatimHttpHeaders(
                f"{request.method} {_request_target(uri)} {request.protocol}",
                _latin1(_with_host(request.headers, uri)),
                is_http_request=True,
            ),
        )
        if not request.body:
            request_record.rec_headers.remove_header("WARC-Payload-Digest")
        lengths = self._append(record, request_record)
        offset = self._size - sum(lengths)
        return Location(
            filename=self._name,
            offset=offset,
            length=lengths[0],
            record_id=record_id,
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
            request_record_id=request_id,
            request_offset=offset + lengths[0],
            request_length=lengths[1],
            record=_as_written(record, payload),
        )

    def _open_file(self) -> None:
        name = (
            f"{self.prefix}-{datetime.now(UTC):%Y%m%d%H%M%S%f}-{self._serial:05d}"
            f"-{self._host}-{os.getpid()}.warc{'.gz' if self.gzip else ''}"
        )
        self._serial += 1
        path = self.directory / (name + OPEN_SUFFIX)
        # Exclusive creation: never clobber another writer's file, whatever the clock does.
        self._file = FileIO(path, "xb")
        # Held until the file is closed (or the process dies): recovery leaves a locked file alone.
        lock_file(self._file.fileno())
        self._name, self._size = name, 0
        warcinfo = self._records.create_warcinfo_record(name, self._info)
        self._warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        try:
            self._append(warcinfo)
        except BaseException:
            self._abandon_file()
            path.unlink(missing_ok=True)
            raise

    def _append(self, *records: Any) -> list[int]:
        """Serialise `records` (warcio records) and add them to the file in one write, all or
        nothing. Returns the length of each record as stored."""
        return self._append_bytes([self._serialised(record) for record in records])

    def _append_bytes(self, chunks: Sequence[bytes]) -> list[int]:
        """Add serialised records to the file in one write, all or nothing (`_append`)."""
        file = self._file
        assert file is not None
        buffer = BytesIO()
        ends = []
        for chunk in chunks:
            buffer.write(chunk)
            ends.append(buffer.tell())
        start = self._size
        with buffer.getbuffer() as data:
            try:
                written = 0
                while written < len(data):
                    written += file.write(data[written:])
            except BaseException:
                self._roll_back(start)
                raise
        self._size = start + ends[-1]
        return [end - begin for begin, end in zip([0, *ends[:-1]], ends, strict=True)]

    def _roll_back(self, size: int) -> None:
        """Cut the file back to `size` after a failed write. If even that fails, give the file up
        (left `.open` for recovery); the next write starts a new one."""
        assert self._file is not None
        try:
            self._file.truncate(size)
            self._file.seek(size)
        except OSError:
            logger.exception(
                "Cannot cut %s back after a failed write; leaving it as %s for recovery",
                self._name,
                self._name + OPEN_SUFFIX,
            )
            self._abandon_file()

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        try:
            os.fsync(file.fileno())  # a file that has its final name is complete on disk
        finally:
            file.close()
        (self.directory / (self._name + OPEN_SUFFIX)).rename(self.directory / self._name)

    def _abandon_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()


def _inflated(data: bytes) -> bytes:
    """Every gzip member of `data` inflated (the bytes themselves when not gzipped)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    out, rest = [], data
    while rest:
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        try:
            out.append(inflater.decompress(rest) + inflater.flush())
        except zlib.error as exc:
            raise ValueError(f"a damaged gzip member ({exc})") from exc
        if not inflater.eof:
            raise ValueError("a gzip member cut short")
        rest = inflater.unused_data
    return b"".join(out)


def lock_file(fd: int) -> bool:
    """Take an exclusive `flock` on an open file without waiting; False if another open file
    holds it. The lock goes with the process, so a crashed writer's file is free again."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _as_written(record: Any, payload: bytes) -> WarcRecord:
    """A warcio record once written (with the digests and lengths the writer added)."""
    return WarcRecord(
        rec_type=str(record.rec_type),
        warc_headers=tuple(record.rec_headers.headers),
        http_start_line=f"{record.http_headers.protocol} {record.http_headers.statusline}",
        http_headers=tuple(record.http_headers.headers),
        payload=payload,
    )


def compute_payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest that `write_exchange` gives a response with `body` (the body as
    transferred), computed as warcio does: 'sha1:' and the base32 SHA-1."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


class _RecordWriter(WARCWriter):  # type: ignore[misc]  # warcio has no type hints
    """warcio's writer, but it adds no WARC-Payload-Digest to a request record: one with a body
    has it from `RecordBuilder`, one without needs none (`WarcWriter._append_capture`)."""

    NO_PAYLOAD_DIGEST_TYPES = (*WARCWriter.NO_PAYLOAD_DIGEST_TYPES, "request")


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _warc_date(moment: datetime) -> str:
    """A WARC-Date (or WARC-Refers-To-Date) in UTC, with microseconds as WARC/1.1 allows."""
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


class _VerbatimHttpHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio has no type hints
    """An HTTP start line and headers that warcio writes byte for byte.

    warcio serialises `http_headers` itself when it writes a record, as ASCII with any non-ASCII
    header value percent-encoded (RFC 8187 style): not the bytes on the wire. Given the bytes
    as Latin-1 text, encoding back to Latin-1 writes exactly those bytes; the block digest and
    Content-Length are computed from this same buffer.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")


def _latin1(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Header bytes as text, one character per byte."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _status_and_headers(response: HttpResponseData) -> StatusAndHeaders:
    return _VerbatimHttpHeaders(
        f"{response.status} {response.reason}",
        _latin1(response.headers),
        protocol=response.protocol,
    )


def _request_target(url: str) -> str:
    """The origin-form request target (RFC 9112 §3.2.1): path and query exactly as in `url`
    (an empty query '?' included), '/' for an empty path."""
    rest = url.partition("://")[2]
    cuts = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    target = rest[min(cuts) :] if cuts else ""
    return target if target.startswith("/") else "/" + target


def _with_host(headers: Sequence[tuple[bytes, bytes]], url: str) -> list[tuple[bytes, bytes]]:
    """`headers`, with a Host header appended from `url` (ASCII) when they have none."""
    if any(name.lower() == b"host" for name, _ in headers):
        return list(headers)
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port == default_port:
        host = host.rpartition(":")[0]
    return [*headers, (b"Host", host.encode("ascii"))]


# --- reading -------------------------------------------------------------------------------------


class ContentDecodingError(ValueError):
    """A payload that its Content-Encoding or Transfer-Encoding does not decode."""


def record_from_warcio(record: Any) -> WarcRecord:
    """Load a record from warcio's `ArchiveIterator`, reading its content stream to the end
    (which also runs the iterator's digest checks, if any). HTTP header text is as the iterator
    decoded it: warcio's own decodes a line as UTF-8 when it is valid UTF-8 (`latin1_parsers`
    makes it Latin-1)."""
    http = record.http_headers
    payload = record.raw_stream.read()
    return WarcRecord(
        rec_type=str(record.rec_type),
        warc_headers=tuple(record.rec_headers.headers),
        http_start_line=None if http is None else f"{http.protocol} {http.statusline}".strip(),
        http_headers=() if http is None else tuple(http.headers),
        payload=payload,
    )


def read_record(path: str | os.PathLike[str], offset: int, *, verify: bool = True) -> WarcRecord:
    """The record at `offset` of the WARC file `path`.

    A file still being written is found under its `.open` name. With `verify`, the block and
    payload digests are checked and a mismatch raises `warcio.exceptions.ArchiveLoadFailed`.
    Damaged or missing records raise `WarcReadError`; I/O errors raise OSError.
    """
    path = Path(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        stream = path.with_name(path.name + OPEN_SUFFIX).open("rb")
    with stream:
        stream.seek(offset)
        try:
            # arc2warc: an ARC record (from `newsarchive ingest`) reads as a WARC response record.
            records = ArchiveIterator(
                stream, check_digests="raise" if verify else False, arc2warc=True
            )
            latin1_parsers(records)
            record = next(records, None)
            if record is None:
                raise WarcReadError(f"no WARC record at offset {offset} of {path}")
            return record_from_warcio(record)
        except (ArchiveLoadFailed, WarcReadError):
            raise
        except OSError as exc:
            if not isinstance(exc, BadGzipFile):
                raise  # the disk, not the data
            raise WarcReadError(f"{path} at offset {offset}: {exc}") from exc
        except Exception as exc:
            # warcio meets damaged bytes with whatever its parsing runs into (AttributeError,
            # EOFError, zlib.error, …): one error type for the caller to report
            raise WarcReadError(
                f"{path} at offset {offset}: damaged record ({type(exc).__name__}: {exc})"
            ) from exc


def resolve_warc_path(warc_dir: str | os.PathLike[str], filename: str) -> Path:
    """The file that a capture's `warc_filename` names.

    A crawl stores the bare file name, inside `warc_dir` (DIR/warc), and so does
    `newsarchive ingest --copy`; `newsarchive ingest` without `--copy` stores the absolute path
    of the file where it lies, which is used as it is.
    """
    path = Path(filename)
    return path if path.is_absolute() else Path(warc_dir) / path


def latin1_parsers(records: ArchiveIterator) -> None:
    """Make warcio's `records` decode HTTP header lines as Latin-1 (see `_Latin1HeadersParser`):
    its loader takes no parser option, so its HTTP parsers are swapped."""
    loader = records.loader
    loader.http_parser = _Latin1HeadersParser(loader.http_parser)
    loader.http_req_parser = _Latin1HeadersParser(loader.http_req_parser)


class _Latin1HeadersParser(StatusAndHeadersParser):  # type: ignore[misc]  # no type hints
    """warcio's HTTP header parser, decoding every line as Latin-1.

    warcio decodes a line as UTF-8 when it is valid UTF-8, else as Latin-1: the text then no
    longer tells which bytes were stored ('café' could be either encoding's).
    """

    def __init__(self, parser: StatusAndHeadersParser) -> None:
        super().__init__(parser.statuslist, parser.verify)

    @staticmethod
    def decode_header(line: bytes) -> str:
        return line.decode("latin-1")


def page_from_record(record: WarcRecord, *, max_size: int = MAX_DECODED_BODY) -> PageInput:
    """The page input of a response record: its payload with chunking and content codings
    (gzip, deflate, br, zstd, identity) removed, as Scrapy's HttpCompressionMiddleware does for a
    live response, so that re-extraction sees the same body as the crawl did.

    `max_size` (bytes, 0 for no limit; by default the crawl's DOWNLOAD_MAXSIZE default) bounds
    the decoded body: the archive keeps what servers sent, decompression bombs included. Raises
    ContentDecodingError for a body that does not decode, WarcReadError for a record that is
    not an HTTP response (see `page_from_revisit`) or has no date at all (a WARC-Date that does
    not parse gives way to the HTTP Date header: `WarcRecord.fetch_time`).

    A `resource` record (a document archived without an HTTP exchange, as wget and Browsertrix
    write some) reads as a 200 whose only header is the record's Content-Type, its block the body.
    """
    status, url, (fetched_at, _) = record.status, record.target_uri, record.fetch_time()
    if record.rec_type == "resource" and url is not None and fetched_at is not None:
        content_type = record.warc_header("Content-Type")
        return PageInput(
            url=url,
            final_url=url,
            status=200,
            headers=(("Content-Type", content_type),) if content_type else (),
            body=record.payload,
            fetched_at=fetched_at,
        )
    if record.rec_type != "response" or status is None or url is None or fetched_at is None:
        raise WarcReadError(f"{record.record_id} is not an HTTP response record")
    return PageInput(
        url=url,
        final_url=url,
        status=status,
        headers=record.http_headers,
        body=_decode_body(record.http_headers, record.payload, max_size, url),
        fetched_at=fetched_at,
    )


def page_from_revisit(
    revisit: WarcRecord, original: WarcRecord, *, max_size: int = MAX_DECODED_BODY
) -> PageInput:
    """The page input of a revisit record: the page of the response record that holds its body
    (`original`, which the capture index or a look-up found), as fetched by the revisit (its URL
    and date).

    Status and headers stay the original's: they describe that body (its Content-Encoding), where
    a 304's do not. Raises ValueError when `original` is not the record the revisit stands for:
    another record than its WARC-Refers-To with another payload digest; otherwise as
    `page_from_record`.
    """
    url, (fetched_at, _) = revisit.target_uri, revisit.fetch_time()
    if revisit.rec_type != "revisit" or url is None or fetched_at is None:
        raise ValueError(f"{revisit.record_id} is not a revisit record")
    refers_to = revisit.warc_header("WARC-Refers-To")
    digest = revisit.warc_header("WARC-Payload-Digest")
    if (
        refers_to
        and original.record_id != refers_to
        and digest != original.warc_header("WARC-Payload-Digest")
    ):
        raise ValueError(f"{revisit.record_id} does not refer to {original.record_id}")
    page = page_from_record(original, max_size=max_size)
    return dataclasses.replace(page, url=url, final_url=url, fetched_at=fetched_at)


def _codings(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    return [
        coding.strip().lower()
        for key, value in headers
        if key.lower() == wanted
        for coding in value.split(",")
        if coding.strip()
    ]


def decode_body(
    headers: Sequence[tuple[str, str]], body: bytes, url: str, max_size: int = MAX_DECODED_BODY
) -> bytes:
    """A payload as transferred (`headers` the HTTP response's) with its codings undone, as
    `page_from_record` reads it; raises `ContentDecodingError` when it does not decode."""
    return _decode_body(headers, body, max_size, url)


def _decode_body(headers: Sequence[tuple[str, str]], body: bytes, max_size: int, url: str) -> bytes:
    """Undo the transfer codings, then the content codings, last applied first.

    Like Scrapy, decoding stops at the first coding it does not know (with a warning) and keeps
    the rest encoded; gzip that is cut short or fails its CRC yields what decoded, as in browsers.
    """
    codings = _codings(headers, "Content-Encoding") + _codings(headers, "Transfer-Encoding")
    if codings and codings[-1] == "chunked":
        # warcio's reader falls back to the raw bytes when they are not actually chunked.
        body = ChunkedDataReader(BytesIO(body)).read()
        codings.pop()
    for coding in reversed(codings):
        if not body:
            break
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            logger.warning("Cannot decode %r body of %s: left encoded", coding, url)
            break
        try:
            body = _collect(decoder(body), max_size)
        except ContentDecodingError:
            raise
        except Exception as exc:
            raise ContentDecodingError(f"{url}: invalid {coding!r} body: {exc}") from exc
    return body


def _collect(chunks: Iterator[bytes], max_size: int) -> bytes:
    out = BytesIO()
    for chunk in chunks:
        if max_size and out.tell() + len(chunk) > max_size:
            raise ContentDecodingError(f"decoded body exceeds {max_size} bytes")
        out.write(chunk)
    return out.getvalue()


def _gunzip(data: bytes) -> Iterator[bytes]:
    decoded = False
    with GzipFile(fileobj=BytesIO(data)) as stream:
        while True:
            try:
                chunk = stream.read1(_CHUNK)
            except (OSError, EOFError, struct.error, zlib.error):
                if decoded:  # truncated, or a bad CRC: keep what decoded
                    return
                raise
            if not chunk:
                return
            decoded = True
            yield chunk


def _inflate(data: bytes) -> Iterator[bytes]:
    decompressor = zlib.decompressobj()
    try:
        chunk = decompressor.decompress(data, _CHUNK)
    except zlib.error:  # raw deflate without the zlib wrapper, as some servers send
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        chunk = decompressor.decompress(data, _CHUNK)
    yield chunk
    while decompressor.unconsumed_tail and not decompressor.eof:
        yield decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
    yield decompressor.flush()


def _unbrotli(data: bytes) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    yield decompressor.process(data, output_buffer_limit=_CHUNK)
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
        if not chunk:
            return
        yield chunk


def _unzstd(data: bytes) -> Iterator[bytes]:
    with zstd.ZstdFile(BytesIO(data)) as stream:
        while True:
            try:
                chunk = stream.read(_CHUNK)
            except EOFError:  # truncated: keep what decoded
                return
            if not chunk:
                return
            yield chunk


_DECODERS: dict[str, Callable[[bytes], Iterator[bytes]]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
}
if brotli is not None:
    _DECODERS["br"] = _unbrotli
if zstd is not None:
    _DECODERS["zstd"] = _unzstd
