"""One record's bytes parsed into a `WarcRecord`, by fastwarc (faster, in Rust) or warcio (which
also reads ARC records, cut records and what fastwarc refuses), alike: `storage.warcscan` reads
every unit of a file through here. HTTP header text is Latin-1, one character per byte."""

from __future__ import annotations

import base64
import hashlib
from io import BytesIO
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawler.core.record import WarcRecord
from storage.warc import latin1_parsers, record_from_warcio

FastRecord: Any
try:
    from fastwarc import WarcRecord as FastRecord
except ImportError:  # optional: warcio reads everything, only slower
    FastRecord = None

HTTP_TYPES = frozenset({"response", "request", "revisit"})


def with_derived_id(record: WarcRecord, filename: str, offset: int, line: bytes) -> WarcRecord:
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


def parse_warcio(text: bytes, *, arc: bool) -> WarcRecord:
    records = ArchiveIterator(BytesIO(text), arc2warc=arc)
    latin1_parsers(records)
    record = next(records, None)
    if record is None:
        raise ValueError("no record")
    loaded = record_from_warcio(record)
    if arc:
        # warcio makes up a random WARC-Record-ID for an ARC record: the caller derives one.
        headers = tuple((k, v) for k, v in loaded.warc_headers if k.lower() != "warc-record-id")
        loaded = WarcRecord(
            loaded.rec_type, headers, loaded.http_start_line, loaded.http_headers, loaded.payload
        )
    return loaded


def parse_fastwarc(text: bytes) -> WarcRecord:
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
    uri = _target_uri(record.headers.get("WARC-Target-URI") or "")
    # as warcio: only http(s) URIs have HTTP headers
    if (
        rec_type in HTTP_TYPES
        and content_type.startswith("application/http")
        and uri.startswith(("http:", "https:"))
    ):
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
