"""`WarcWriter.write_archived` and `write_copied`: captures copied from web archives, each with a
metadata record concurrent to it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.warc import HttpResponseData, WarcWriter, read_record

WHEN = datetime(2025, 2, 3, 15, 5, 12, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
BODY = b"<html><title>t</title><p>archived</p></html>"


def _member() -> bytes:
    """A response record as Common Crawl writes one: WARC/1.0, one gzip member."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.0")
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        "http://news.example/a", "response", payload=io.BytesIO(BODY), length=len(BODY),
        http_headers=http, warc_headers_dict={"WARC-Date": "2025-02-06T10:30:28Z"},
    )  # fmt: skip
    writer.write_record(record)
    return out.getvalue()


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_a_copied_record_is_kept_byte_for_byte(tmp_path: Path, gzip: bool) -> None:
    member = _member()
    with WarcWriter(tmp_path, prefix="t", max_size=10**9, gzip=gzip) as writer:
        copied = writer.write_copied(member, metadata={"via": "cc"}, fetched_at=NOW)
    path = tmp_path / copied.filename
    data = path.read_bytes()[copied.offset : copied.offset + copied.length]
    if gzip:
        assert data == member
    record = read_record(path, copied.offset)
    assert record.payload == BODY and record.target_uri == "http://news.example/a"
    assert record.record_id == copied.record_id
    meta = read_record(path, copied.offset + copied.length)
    assert meta.rec_type == "metadata"
    assert meta.warc_header("WARC-Concurrent-To") == copied.record_id
    assert meta.payload == b"via: cc\r\n"


def test_a_replayed_capture_keeps_its_original_url_and_time(tmp_path: Path) -> None:
    response = HttpResponseData(200, "OK", "HTTP/1.1", [(b"Content-Type", b"text/html")], BODY)
    with WarcWriter(tmp_path, prefix="t", max_size=10**9) as writer:
        copied = writer.write_archived(
            response,
            target_uri="http://news.example/a",
            captured_at=WHEN,
            metadata={"via": "wayback", "archive-url": "http://127.0.0.1:1/web/x"},
            fetched_at=NOW,
        )
    record = read_record(tmp_path / copied.filename, copied.offset)
    assert record.target_uri == "http://news.example/a"
    assert record.fetch_time()[0] == WHEN
    assert record.payload == BODY
    meta = read_record(tmp_path / copied.filename, copied.offset + copied.length)
    assert meta.fetch_time()[0] == NOW


@pytest.mark.parametrize("bad", [b"", b"not a record", b"\x1f\x8b\x08\x00garbage"])
def test_what_is_not_one_response_record_is_refused(tmp_path: Path, bad: bytes) -> None:
    with WarcWriter(tmp_path, prefix="t", max_size=10**9) as writer, pytest.raises(ValueError):
        writer.write_copied(bad, metadata={"via": "cc"}, fetched_at=NOW)
