"""Reading damaged WARC files: a mutated record gives the page, or one of the reader's documented
errors, never another exception or a hang."""

from __future__ import annotations

import functools
import gzip
import shutil
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from warcio.exceptions import ArchiveLoadFailed

from storage.warc import (
    ContentDecodingError,
    HttpRequestData,
    HttpResponseData,
    WarcReadError,
    WarcWriter,
    page_from_record,
    read_record,
)

READ_ERRORS = (ArchiveLoadFailed, WarcReadError, ContentDecodingError)
"""What `read_record` and `page_from_record` document for damaged data."""

BODY = b"<html><body>" + b"<p>El Salvador offers to house prisoners.</p>" * 30 + b"</body></html>"


def _write(directory: Path, *, compress: bool) -> Path:
    body = gzip.compress(BODY, mtime=0) if compress else BODY
    headers = [
        (b"Content-Type", b"text/html; charset=utf-8"),
        (b"Content-Length", b"%d" % len(body)),
    ]
    if compress:
        headers.append((b"Content-Encoding", b"gzip"))
    with WarcWriter(directory, prefix="fuzz", max_size=10**9, gzip=compress) as writer:
        writer.write_exchange(
            HttpRequestData(
                "GET", "http://news.example/a", "HTTP/1.1", [(b"Host", b"news.example")], b""
            ),
            HttpResponseData(200, "OK", "HTTP/1.1", headers, body),
            fetched_at=datetime(2025, 2, 3, tzinfo=UTC),
        )
    (path,) = directory.glob("*.warc*")
    return path


@functools.cache
def _original(compress: bool) -> tuple[bytes, int]:
    """The bytes of a one-exchange WARC file, gzipped or not, and the response record's offset."""
    with tempfile.TemporaryDirectory() as tmp:
        data = _write(Path(tmp), compress=compress).read_bytes()
    # the response follows the warcinfo record, where a capture row would point
    offset = _second_member(data) if compress else data.find(b"WARC/1.1", 1)
    return data, offset


def _second_member(data: bytes) -> int:
    """The offset of the second gzip member (the first is the warcinfo record)."""
    decompressor = zlib.decompressobj(31)
    decompressor.decompress(data)
    return len(data) - len(decompressor.unused_data)


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert", "delete"]),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=4,
)


def _mutate(data: bytes, start: int, mutations: list[tuple[str, int, bytes]]) -> bytes:
    """Mutations land in the response record (after `start`), where a reader looks."""
    out = bytearray(data)
    for kind, position, blob in mutations:
        span = len(out) - start
        if span <= 0:
            break
        at = start + position % span
        if kind == "flip":
            out[at] ^= blob[0] or 1
        elif kind == "cut":
            del out[at:]
        elif kind == "insert":
            out[at:at] = blob
        else:
            del out[at : at + len(blob)]
    return bytes(out)


@given(compress=st.booleans(), mutations=MUTATIONS)
@example(compress=True, mutations=[("cut", 40, b"x")])
@example(compress=False, mutations=[("cut", 29, b"\x00")])  # AttributeError in warcio
@example(compress=False, mutations=[("flip", 30, b"\x01")])
def test_mutated_record_reads_or_fails_cleanly(
    compress: bool,
    mutations: list[tuple[str, int, bytes]],
) -> None:
    data, offset = _original(compress)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("f.warc.gz" if compress else "f.warc")
        path.write_bytes(_mutate(data, offset, mutations))
        try:
            record = read_record(path, offset)
            page = page_from_record(record, max_size=10**6)
        except READ_ERRORS:
            return
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    # a mutation that left the record readable with verified digests left its body intact,
    # or it landed in a header that is not covered by them
    assert page.status >= 0
