"""storage.warc: the files it writes, checked with warcio, and what it reads back."""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import io
import os
import random
import re
import socket
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import brotli
import pytest
from backports import zstd
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

import storage.warc
from storage.warc import (
    ContentDecodingError,
    HttpRequestData,
    HttpResponseData,
    Location,
    RevisitProfile,
    WarcRecord,
    WarcWriter,
    compute_payload_digest,
    page_from_record,
    page_from_revisit,
    read_record,
    record_from_warcio,
)
from tests.support import warcio_check

FETCHED_AT = datetime(2025, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
HTML = b"<!doctype html><html><body><p>Prison reform bill passes.</p></body></html>" * 20


def all_records(path: Path) -> list[tuple[int, WarcRecord]]:
    """Every record of `path` with its offset, digests verified."""
    records = []
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream, check_digests="raise")
        for record in iterator:
            loaded = record_from_warcio(record)
            records.append((iterator.get_record_offset(), loaded))
    return records


def request(url: str = "http://news.example/story?id=7&page=2", **changes: Any) -> HttpRequestData:
    fields: dict[str, Any] = {
        "method": "GET",
        "url": url,
        "protocol": "HTTP/1.1",
        "headers": [(b"User-Agent", b"newsarchive-test"), (b"Accept-Encoding", b"gzip, br")],
        "body": b"",
        **changes,
    }
    return HttpRequestData(**fields)


def response(
    body: bytes = HTML, headers: list[tuple[bytes, bytes]] | None = None
) -> HttpResponseData:
    if headers is None:
        headers = [(b"Content-Type", b"text/html; charset=utf-8")]
    return HttpResponseData(
        status=200,
        reason="OK",
        protocol="HTTP/1.1",
        headers=[*headers, (b"Content-Length", b"%d" % len(body))],
        body=body,
    )


def raw(headers: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Headers read back, as the bytes stored (read_record decodes them as Latin-1)."""
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def write(
    directory: Path, *exchanges: tuple[HttpRequestData, HttpResponseData], **options: Any
) -> list[Location]:
    options = {"prefix": "test", "max_size": 10**9, **options}
    with WarcWriter(directory, **options) as writer:
        return [
            writer.write_exchange(req, resp, fetched_at=FETCHED_AT, ip_address="192.0.2.7")
            for req, resp in exchanges
        ]


def read_at(directory: Path, location: Location) -> WarcRecord:
    return read_record(directory / location.filename, location.offset)


def http_block(start_line: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """A start line and header lines as on the wire, with the empty line that ends them."""
    return start_line + b"\r\n" + b"".join(b"%s: %s\r\n" % line for line in headers) + b"\r\n"


def block_of(path: Path, offset: int, length: int) -> bytes:
    """The block of the record at `offset` (a gzip member of `length` bytes), as stored: after
    its WARC header, before the record's closing CRLF CRLF."""
    member = path.read_bytes()[offset : offset + length]
    _, _, rest = gzip.decompress(member).partition(b"\r\n\r\n")
    assert rest.endswith(b"\r\n\r\n")
    return rest[:-4]


# --- files ---------------------------------------------------------------------------------------


def test_file_name_is_prefix_utc_timestamp_serial_host_pid(tmp_path: Path) -> None:
    before = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    [location] = write(tmp_path, (request(), response()), prefix="news")
    after = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")

    match = re.fullmatch(r"news-(\d{20})-(\d{5})-(.+)-(\d+)\.warc\.gz", location.filename)
    assert match, location.filename
    assert before <= match[1] <= after
    assert match[2] == "00000"
    assert match[3] == re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())
    assert int(match[4]) == os.getpid()
    assert sorted(p.name for p in tmp_path.iterdir()) == [location.filename]


def test_no_gzip_gives_a_plain_warc_readable_at_offsets(tmp_path: Path) -> None:
    [location] = write(tmp_path, (request(), response()), gzip=False)

    assert location.filename.endswith(".warc")
    assert (tmp_path / location.filename).read_bytes().startswith(b"WARC/1.1\r\n")
    assert read_at(tmp_path, location).payload == HTML
    assert warcio_check(tmp_path / location.filename).returncode == 0


def test_each_gzip_level_writes_standard_gzip_and_the_level_is_honoured(tmp_path: Path) -> None:
    """The records are compressed by ISA-L, but any gzip reader (the standard library's, warcio's)
    reads them; a higher level compresses a varied page better."""
    rng = random.Random(7)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(500)
    ]
    body = " ".join(rng.choices(words, k=20_000)).encode()
    sizes = {}
    for level in (0, 3):
        directory = tmp_path / str(level)
        [location] = write(directory, (request(), response(body)), gzip_level=level)
        path = directory / location.filename
        with gzip.open(path) as whole:
            assert body in whole.read()
        assert read_at(directory, location).payload == body
        assert warcio_check(path).returncode == 0
        sizes[level] = location.length
    assert sizes[3] < sizes[0]


@pytest.mark.parametrize("level", [-1, 4, 9])
def test_a_gzip_level_isal_does_not_have_is_refused(tmp_path: Path, level: int) -> None:
    with pytest.raises(ValueError, match="ISA-L level from 0 to 3"):
        WarcWriter(tmp_path, prefix="test", max_size=10**9, gzip_level=level)


def test_file_is_written_as_open_and_renamed_on_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="test", max_size=10**9)
    assert list(tmp_path.iterdir()) == []  # nothing until the first write

    location = writer.write_exchange(request(), response(), fetched_at=FETCHED_AT)
    assert [p.name for p in tmp_path.iterdir()] == [location.filename + ".open"]
    # A capture can be read back while its file is still being written.
    assert read_at(tmp_path, location).payload == HTML

    writer.close()
    writer.close()  # idempotent
    assert [p.name for p in tmp_path.iterdir()] == [location.filename]
    with pytest.raises(ValueError, match="closed"):
        writer.write_exchange(request(), response(), fetched_at=FETCHED_AT)


def test_rotation_at_max_size_keeps_each_exchange_in_one_file(tmp_path: Path) -> None:
    bodies = [os.urandom(3000) for _ in range(7)]  # incompressible: ~3 kB per exchange
    locations = write(
        tmp_path,
        *[(request(f"http://news.example/{i}"), response(body)) for i, body in enumerate(bodies)],
        max_size=7000,
    )

    files = sorted(tmp_path.iterdir())
    assert len(files) > 2
    assert [f.name for f in files] == sorted({loc.filename for loc in locations})
    assert [int(f.name.split("-")[2]) for f in files] == list(range(len(files)))
    for path in files:
        records = all_records(path)
        assert records[0][1].rec_type == "warcinfo"
        pairs = records[1:]
        assert [r.rec_type for _, r in pairs] == ["response", "request"] * (len(pairs) // 2)
        for (_, resp), (_, req) in zip(pairs[::2], pairs[1::2], strict=True):
            assert req.warc_header("WARC-Concurrent-To") == resp.record_id
        # A file is left only once it has reached max_size, never earlier.
        start_of_last_exchange = pairs[-2][0]
        assert start_of_last_exchange < 7000
        if path != files[-1]:
            assert path.stat().st_size >= 7000
    for location, body in zip(locations, bodies, strict=True):
        assert read_at(tmp_path, location).payload == body


def test_warcinfo_record_starts_every_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        (request(), response()),
        (request(), response()),
        max_size=1,
        warcinfo={"isPartOf": "prison-reform", "robots": "obey"},
    )

    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    for path in files:
        records = all_records(path)
        offset, info = records[0]
        assert (offset, info.rec_type) == (0, "warcinfo")
        assert info.warc_header("WARC-Filename") == path.name
        fields = dict(line.split(": ", 1) for line in info.payload.decode().splitlines() if line)
        assert fields["software"].startswith("newsarchive/")
        assert "warcio/" in fields["software"]
        assert fields["format"] == "WARC File Format 1.1"
        assert fields["conformsTo"].endswith("/warc-1.1/")
        assert fields["hostname"] == socket.gethostname()
        assert fields["isPartOf"] == "prison-reform"
        assert fields["robots"] == "obey"
        for _, record in records[1:]:
            # a request record's is that of the record it is concurrent to
            if record.rec_type != "request":
                assert record.warc_header("WARC-Warcinfo-ID") == info.record_id


# --- records -------------------------------------------------------------------------------------


def test_request_and_response_records_are_linked_and_complete(tmp_path: Path) -> None:
    [location] = write(tmp_path, (request(), response()))
    resp = read_at(tmp_path, location)
    req = read_record(tmp_path / location.filename, location.request_offset)

    assert resp.rec_type == "response"
    assert req.rec_type == "request"
    assert resp.record_id == location.record_id
    assert req.record_id == location.request_record_id
    assert req.warc_header("WARC-Concurrent-To") == location.record_id
    for record in (resp, req):
        assert record.warc_headers[0] == ("WARC-Type", record.rec_type)
        assert record.target_uri == "http://news.example/story?id=7&page=2"
        assert record.warc_header("WARC-Date") == "2025-02-03T04:05:06.789012Z"
        assert record.date == FETCHED_AT
        assert (record.warc_header("WARC-Block-Digest") or "").startswith("sha1:")
    assert resp.warc_header("WARC-IP-Address") == "192.0.2.7"
    assert resp.warc_header("WARC-Warcinfo-ID") is not None
    # nothing in the request record that the response record says for the exchange, nor the
    # digest of an empty payload
    assert [name for name, _ in req.warc_headers] == [
        "WARC-Type",
        "WARC-Record-ID",
        "WARC-Target-URI",
        "WARC-Date",
        "WARC-Concurrent-To",
        "WARC-Block-Digest",
        "Content-Type",
        "Content-Length",
    ]
    assert resp.warc_header("WARC-Payload-Digest") == location.payload_digest
    assert location.payload_digest.startswith("sha1:")
    assert resp.http_start_line == "HTTP/1.1 200 OK"
    assert location.request_offset == location.offset + location.length
    assert (
        tmp_path / location.filename
    ).stat().st_size == location.request_offset + location.request_length


def test_request_line_keeps_the_query_string_and_host_is_added(tmp_path: Path) -> None:
    [plain, with_port, empty_path, post] = write(
        tmp_path,
        (request("http://news.example/story?id=7&page=2#comments"), response()),
        (request("https://news.example:8443?q="), response()),
        (request("http://news.example"), response()),
        (
            request(
                "http://news.example:80/search",
                method="POST",
                headers=[(b"Host", b"news.example"), (b"Content-Length", b"5")],
                body=b"q=law",
            ),
            response(),
        ),
    )
    path = tmp_path / plain.filename

    req = read_record(path, plain.request_offset)
    assert req.http_start_line == "GET /story?id=7&page=2 HTTP/1.1"
    assert req.http_headers == (
        ("User-Agent", "newsarchive-test"),
        ("Accept-Encoding", "gzip, br"),
        ("Host", "news.example"),
    )
    assert req.target_uri == "http://news.example/story?id=7&page=2"  # no fragment

    req = read_record(path, with_port.request_offset)
    assert req.http_start_line == "GET /?q= HTTP/1.1"
    assert req.http_header("Host") == "news.example:8443"

    assert read_record(path, empty_path.request_offset).http_start_line == "GET / HTTP/1.1"

    req = read_record(path, post.request_offset)
    assert req.http_start_line == "POST /search HTTP/1.1"
    assert req.http_headers == (("Host", "news.example"), ("Content-Length", "5"))
    assert req.payload == b"q=law"
    # a request with a body keeps its payload digest
    assert req.warc_header("WARC-Payload-Digest") == compute_payload_digest(b"q=law")


def test_repeated_headers_are_stored_twice_in_order(tmp_path: Path) -> None:
    headers = [
        (b"Content-Type", b"text/html"),
        (b"Set-Cookie", b"session=abc; Path=/"),
        (b"Set-Cookie", b"consent=no; Path=/"),
    ]
    [location] = write(tmp_path, (request(), response(headers=headers)))

    member = (tmp_path / location.filename).read_bytes()[
        location.offset : location.offset + location.length
    ]
    raw = gzip.decompress(member)  # exactly one gzip member per record
    assert raw.count(b"\r\nSet-Cookie: ") == 2
    assert raw.index(b"session=abc") < raw.index(b"consent=no")
    assert [v for k, v in read_at(tmp_path, location).http_headers if k == "Set-Cookie"] == [
        "session=abc; Path=/",
        "consent=no; Path=/",
    ]


NON_ASCII_HEADERS = [
    (b"X-Title", "café".encode()),
    (b"Content-Disposition", 'attachment; filename="naïve.pdf"'.encode()),
    (b"X-Latin", "été".encode("latin-1")),  # not valid UTF-8
]


def test_header_bytes_are_stored_and_read_back_as_they_were(tmp_path: Path) -> None:
    body = b"%PDF-1.7 prison reform"
    resp = HttpResponseData(
        200, "OK", "HTTP/1.1", [*NON_ASCII_HEADERS, (b"Content-Length", b"%d" % len(body))], body
    )
    req = request(headers=[(b"Referer", "http://news.example/recherche?q=réforme".encode())])
    [location] = write(tmp_path, (req, resp))
    path = tmp_path / location.filename

    # Not percent-encoded, not re-encoded: the bytes given, and the digests and length over them.
    block = block_of(path, location.offset, location.length)
    assert block == http_block(b"HTTP/1.1 200 OK", resp.headers) + body
    record = read_at(tmp_path, location)
    assert record.warc_header("Content-Length") == str(len(block))
    assert record.warc_header("WARC-Block-Digest") == sha1_base32(block)
    assert record.warc_header("WARC-Payload-Digest") == location.payload_digest
    assert location.payload_digest == sha1_base32(body)
    assert record.payload == body
    assert raw(record.http_headers) == resp.headers
    assert record.http_header("X-Title") == "cafÃ©"  # Latin-1 text: one character per byte

    sent = [*req.headers, (b"Host", b"news.example")]
    request_block = block_of(path, location.request_offset, location.request_length)
    assert request_block == http_block(b"GET /story?id=7&page=2 HTTP/1.1", sent)
    assert raw(read_record(path, location.request_offset).http_headers) == sent

    result = warcio_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 3


def test_a_url_that_is_not_ascii_is_refused(tmp_path: Path) -> None:
    url = "http://news.example/réforme"  # a client sends /r%C3%A9forme
    writer = WarcWriter(tmp_path, prefix="test", max_size=10**9)
    with pytest.raises(ValueError, match="ASCII"):
        writer.write_exchange(request(url), response(), fetched_at=FETCHED_AT)
    writer.close()
    assert list(tmp_path.iterdir()) == []


def test_raw_payload_is_the_body_as_transferred(tmp_path: Path) -> None:
    compressed = gzip.compress(HTML)
    [location] = write(
        tmp_path, (request(), response(compressed, [(b"Content-Encoding", b"gzip")]))
    )

    record = read_at(tmp_path, location)
    assert record.payload == compressed  # still gzip-compressed, byte for byte
    assert page_from_record(record).body == HTML


def test_truncated_response_is_marked(tmp_path: Path) -> None:
    resp = HttpResponseData(200, "OK", "HTTP/1.1", [], b"<html>cut sho", truncated="disconnect")
    [location] = write(tmp_path, (request(), resp))

    assert read_at(tmp_path, location).warc_header("WARC-Truncated") == "disconnect"


# --- warcio check --------------------------------------------------------------------------------


def test_written_files_pass_warcio_check_and_corruption_is_caught(tmp_path: Path) -> None:
    bodies = [gzip.compress(HTML), HTML, b""]
    locations = write(
        tmp_path,
        *[(request(f"http://news.example/{i}"), response(b)) for i, b in enumerate(bodies)],
        max_size=1,
    )
    files = sorted(tmp_path.iterdir())
    assert len(files) == 3
    result = warcio_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 3 * 3  # warcinfo (block), response, request

    # Change one byte of the stored HTML (re-compressing the member so that gzip stays valid):
    # the check must now fail, or a passing check would mean nothing.
    location = locations[1]
    path = tmp_path / location.filename
    data = path.read_bytes()
    member = gzip.decompress(data[location.offset : location.offset + location.length])
    broken = member.replace(b"Prison", b"Prisom", 1)
    assert broken != member
    path.write_bytes(
        data[: location.offset] + gzip.compress(broken) + data[location.offset + location.length :]
    )
    result = warcio_check(path)
    assert result.returncode == 1
    assert "digest failed" in result.stdout
    with pytest.raises(ArchiveLoadFailed, match="digest failed"):
        read_record(path, location.offset)
    assert read_record(path, location.offset, verify=False).payload != HTML


# --- failures ------------------------------------------------------------------------------------


class FailingFile(io.FileIO):
    """A file whose writes hit a full disk (after writing part of the data) once armed."""

    full = False

    def write(self, data: Any) -> int:
        if FailingFile.full:
            super().write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


@pytest.fixture
def failing_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FailingFile]]:
    monkeypatch.setattr(storage.warc, "FileIO", FailingFile)
    yield FailingFile
    FailingFile.full = False


def test_failed_write_leaves_the_file_as_it_was(
    tmp_path: Path, failing_file: type[FailingFile]
) -> None:
    with WarcWriter(tmp_path, prefix="test", max_size=10**9) as writer:
        first = writer.write_exchange(request(), response(), fetched_at=FETCHED_AT)
        [path] = tmp_path.iterdir()
        size = path.stat().st_size

        failing_file.full = True
        with pytest.raises(OSError, match="No space left"):
            writer.write_exchange(request(), response(os.urandom(50_000)), fetched_at=FETCHED_AT)
        assert path.stat().st_size == size  # the half-written exchange was cut off

        failing_file.full = False
        second = writer.write_exchange(
            request(), response(b"later"), fetched_at=FETCHED_AT + timedelta(seconds=1)
        )
    assert second.filename == first.filename
    assert second.offset == size
    path = tmp_path / first.filename
    assert warcio_check(path).returncode == 0
    assert [r.rec_type for _, r in all_records(path)] == ["warcinfo"] + ["response", "request"] * 2
    assert read_at(tmp_path, second).payload == b"later"


def test_naive_fetch_time_is_refused(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, prefix="test", max_size=10**9) as writer, pytest.raises(ValueError):
        writer.write_exchange(request(), response(), fetched_at=datetime(2025, 1, 1))


# --- page_from_record ----------------------------------------------------------------------------


def chunked(data: bytes, size: int = 100) -> bytes:
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("headers", "payload"),
    [
        ([], HTML),
        ([(b"Content-Encoding", b"identity")], HTML),
        ([(b"Content-Encoding", b"gzip")], gzip.compress(HTML)),
        ([(b"Content-Encoding", b"x-gzip")], gzip.compress(HTML)),
        ([(b"Content-Encoding", b"deflate")], zlib.compress(HTML)),
        ([(b"Content-Encoding", b"deflate")], raw_deflate(HTML)),
        ([(b"Content-Encoding", b"br")], brotli.compress(HTML)),
        ([(b"Content-Encoding", b"zstd")], zstd.compress(HTML)),
        ([(b"Transfer-Encoding", b"chunked")], chunked(HTML)),
        (
            [(b"Content-Encoding", b"gzip"), (b"Transfer-Encoding", b"Chunked")],
            chunked(gzip.compress(HTML)),
        ),
        ([(b"Content-Encoding", b"deflate, gzip")], gzip.compress(zlib.compress(HTML))),
        (
            [(b"Content-Encoding", b"deflate"), (b"Content-Encoding", b"br")],
            brotli.compress(zlib.compress(HTML)),
        ),
        # Cut short (no gzip trailer): what decoded is kept, as browsers and Scrapy do.
        ([(b"Content-Encoding", b"gzip")], gzip.compress(HTML)[:-8]),
    ],
    ids=[
        "plain",
        "identity",
        "gzip",
        "x-gzip",
        "deflate",
        "raw-deflate",
        "br",
        "zstd",
        "chunked",
        "gzip-chunked",
        "deflate-then-gzip",
        "repeated-header",
        "truncated-gzip",
    ],
)
def test_page_from_record_removes_transfer_and_content_codings(
    tmp_path: Path, headers: list[tuple[bytes, bytes]], payload: bytes
) -> None:
    headers = [(b"Content-Type", b"text/html; charset=utf-8"), *headers]
    [location] = write(tmp_path, (request(), response(payload, headers)))
    record = read_at(tmp_path, location)
    assert record.payload == payload

    page = page_from_record(record)

    assert page.body == HTML
    assert page.url == page.final_url == "http://news.example/story?id=7&page=2"
    assert page.status == 200
    assert page.fetched_at == FETCHED_AT
    assert page.headers == record.http_headers
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert page.is_html


def test_page_from_record_keeps_an_unknown_coding_and_rejects_a_corrupt_body(
    tmp_path: Path,
) -> None:
    compressed = gzip.compress(HTML)
    unknown, corrupt = write(
        tmp_path,
        (request(), response(compressed, [(b"Content-Encoding", b"gzip, rot13")])),
        (request(), response(b"not gzip at all", [(b"Content-Encoding", b"gzip")])),
    )
    # Like Scrapy: decoding stops at the first coding it does not know.
    assert page_from_record(read_at(tmp_path, unknown)).body == compressed
    with pytest.raises(ContentDecodingError, match="gzip"):
        page_from_record(read_at(tmp_path, corrupt))


def test_page_from_record_bounds_the_decoded_size(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    [location] = write(tmp_path, (request(), response(bomb, [(b"Content-Encoding", b"gzip")])))
    record = read_at(tmp_path, location)

    with pytest.raises(ContentDecodingError, match="exceeds 1000000 bytes"):
        page_from_record(record, max_size=1_000_000)
    assert len(page_from_record(record, max_size=5_000_000).body) == 5_000_000


def test_page_from_record_wants_a_response_record(tmp_path: Path) -> None:
    [location] = write(tmp_path, (request(), response()))
    with pytest.raises(ValueError, match="not an HTTP response record"):
        page_from_record(read_record(tmp_path / location.filename, location.request_offset))
    with pytest.raises(ValueError, match="not an HTTP response record"):
        page_from_record(read_record(tmp_path / location.filename, 0))  # warcinfo


# --- revisits ------------------------------------------------------------------------------------

URL = "http://news.example/story?id=7&page=2"
REFETCHED_AT = FETCHED_AT + timedelta(hours=2)
ETAG = b'"v1"'
ARTICLE_HTML = b"<html><body><p>" + random.Random(7).randbytes(10_000).hex().encode() + b"</p>"
ARTICLE = gzip.compress(ARTICLE_HTML, mtime=0)
ARTICLE_HEADERS = [
    (b"Content-Type", b"text/html"),
    (b"Content-Disposition", 'inline; filename="réforme.html"'.encode()),
    (b"Content-Encoding", b"gzip"),
    (b"ETag", ETAG),
    (b"Content-Length", b"%d" % len(ARTICLE)),
]
NOT_MODIFIED = HttpResponseData(304, "Not Modified", "HTTP/1.1", [(b"ETag", ETAG)], b"")
PROFILE_URI = "http://netpreserve.org/warc/1.1/revisit/"


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def article(body: bytes = ARTICLE) -> HttpResponseData:
    return HttpResponseData(200, "OK", "HTTP/1.1", ARTICLE_HEADERS, body)


def write_revisit(
    writer: WarcWriter,
    original: Location,
    resp: HttpResponseData,
    profile: RevisitProfile,
    **changes: Any,
) -> Location:
    """A revisit of `original` (fetched at FETCHED_AT), two hours later."""
    arguments: dict[str, Any] = {
        "profile": profile,
        "refers_to_record_id": original.record_id,
        "refers_to_uri": URL,
        "refers_to_date": FETCHED_AT,
        "payload_digest": original.payload_digest,
        "fetched_at": REFETCHED_AT,
        "ip_address": "192.0.2.7",
        **changes,
    }
    return writer.write_revisit(request(headers=[(b"If-None-Match", ETAG)]), resp, **arguments)


def archive_with_revisits(directory: Path) -> tuple[Path, dict[str, Location]]:
    """An article, its two kinds of revisit, and a changed version, in one file."""
    with WarcWriter(directory, prefix="test", max_size=10**9) as writer:
        original = writer.write_exchange(
            request(), article(), fetched_at=FETCHED_AT, ip_address="192.0.2.7"
        )
        locations = {
            "original": original,
            "server-not-modified": write_revisit(
                writer, original, NOT_MODIFIED, "server-not-modified"
            ),
            "identical-payload-digest": write_revisit(
                writer, original, article(), "identical-payload-digest"
            ),
            "changed": writer.write_exchange(
                request(), article(gzip.compress(b"<p>Updated</p>")), fetched_at=REFETCHED_AT
            ),
        }
    [path] = directory.iterdir()
    return path, locations


@pytest.mark.parametrize(
    ("profile", "status_line", "http_headers", "truncated"),
    [
        ("server-not-modified", "HTTP/1.1 304 Not Modified", [(b"ETag", ETAG)], None),
        # The block is the response cut before its body: WARC 1.1 §6.7.2 wants it said.
        ("identical-payload-digest", "HTTP/1.1 200 OK", ARTICLE_HEADERS, "length"),
    ],
)
def test_revisit_record_keeps_the_headers_and_refers_to_the_original(
    tmp_path: Path,
    profile: RevisitProfile,
    status_line: str,
    http_headers: list[tuple[bytes, bytes]],
    truncated: str | None,
) -> None:
    path, locations = archive_with_revisits(tmp_path)
    original = read_record(path, locations["original"].offset)
    location = locations[profile]
    record = read_record(path, location.offset)

    assert record.warc_headers[0] == ("WARC-Type", "revisit")
    assert record.record_id == location.record_id
    names = [name for name, _ in record.warc_headers]
    assert len(names) == len(set(names))  # warcio's profile replaced, not repeated
    assert record.warc_header("WARC-Profile") == PROFILE_URI + profile
    assert record.warc_header("WARC-Refers-To") == original.record_id
    assert record.warc_header("WARC-Refers-To-Target-URI") == original.target_uri == URL
    assert record.warc_header("WARC-Refers-To-Date") == original.warc_header("WARC-Date")
    assert record.warc_header("WARC-Refers-To-Date") == "2025-02-03T04:05:06.789012Z"
    digest = original.warc_header("WARC-Payload-Digest")
    assert record.warc_header("WARC-Payload-Digest") == location.payload_digest == digest
    assert record.target_uri == URL
    assert record.warc_header("WARC-Date") == "2025-02-03T06:05:06.789012Z"
    assert record.warc_header("WARC-IP-Address") == "192.0.2.7"
    assert record.warc_header("WARC-Warcinfo-ID") == original.warc_header("WARC-Warcinfo-ID")
    assert record.warc_header("Content-Type") == "application/http; msgtype=response"
    assert record.warc_header("WARC-Truncated") == truncated
    assert record.http_start_line == status_line
    assert raw(record.http_headers) == http_headers
    assert record.payload == b""

    # The block is the status line and headers alone, and its length and digest say so.
    block = block_of(path, location.offset, location.length)
    assert block == http_block(status_line.encode(), http_headers)
    assert record.warc_header("Content-Length") == str(len(block))
    assert record.warc_header("WARC-Block-Digest") == sha1_base32(block)

    req = read_record(path, location.request_offset)
    assert req.record_id == location.request_record_id
    assert req.warc_header("WARC-Concurrent-To") == record.record_id
    assert req.warc_header("WARC-Date") == record.warc_header("WARC-Date")
    assert req.http_header("If-None-Match") == ETAG.decode()


def test_file_mixing_responses_and_revisits_passes_warcio_check(tmp_path: Path) -> None:
    path, _ = archive_with_revisits(tmp_path)

    result = warcio_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 1 + 2 + 4  # warcinfo, responses, requests
    assert result.stdout.count("not checked (revisit)") == 2
    assert [r.rec_type for _, r in all_records(path)] == [
        "warcinfo",
        *["response", "request"],
        *["revisit", "request"] * 2,
        *["response", "request"],
    ]


def test_revisit_is_a_small_fraction_of_the_response(tmp_path: Path) -> None:
    _, locations = archive_with_revisits(tmp_path)
    original = locations["original"]
    for profile in ("server-not-modified", "identical-payload-digest"):
        location = locations[profile]
        assert location.length * 20 < original.length, profile
        assert (
            location.length + location.request_length
            < (original.length + original.request_length) / 10
        )


def test_identical_payload_revisit_refuses_another_body(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, prefix="test", max_size=10**9) as writer:
        original = writer.write_exchange(request(), article(), fetched_at=FETCHED_AT)
        size = (tmp_path / (original.filename + ".open")).stat().st_size

        with pytest.raises(ValueError, match="does not have digest"):
            write_revisit(writer, original, article(b"new"), "identical-payload-digest")
        with pytest.raises(ValueError, match="timezone-aware"):
            write_revisit(
                writer,
                original,
                NOT_MODIFIED,
                "server-not-modified",
                refers_to_date=datetime(2025, 1, 1),
            )
        with pytest.raises(ValueError, match="unknown revisit profile"):
            write_revisit(writer, original, NOT_MODIFIED, "unchanged")  # type: ignore[arg-type]
        assert (tmp_path / (original.filename + ".open")).stat().st_size == size


def test_payload_digest_is_the_one_response_records_get(tmp_path: Path) -> None:
    bodies = [b"", HTML, gzip.compress(HTML)]
    locations = write(tmp_path, *[(request(), response(body)) for body in bodies])

    for body, location in zip(bodies, locations, strict=True):
        assert compute_payload_digest(body) == location.payload_digest == sha1_base32(body)
    assert compute_payload_digest(gzip.compress(HTML)) != compute_payload_digest(HTML)


def test_page_from_revisit_is_the_original_page_as_of_the_revisit(tmp_path: Path) -> None:
    path, locations = archive_with_revisits(tmp_path)
    original = locations["original"]

    for profile in ("server-not-modified", "identical-payload-digest"):
        record = read_record(path, locations[profile].offset)
        page = page_from_revisit(record, read_record(path, original.offset))
        assert page.body == ARTICLE_HTML  # the original's payload, gzip decoded
        assert page.status == 200
        assert raw(page.headers) == ARTICLE_HEADERS
        assert page.url == page.final_url == URL
        assert page.fetched_at == REFETCHED_AT

    record = read_record(path, locations["server-not-modified"].offset)
    with pytest.raises(ValueError, match="does not refer to"):
        page_from_revisit(record, read_record(path, locations["changed"].offset))
    with pytest.raises(ValueError, match="not a revisit record"):
        page_from_revisit(read_record(path, original.offset), read_record(path, original.offset))
    with pytest.raises(ValueError, match="not an HTTP response record"):
        page_from_record(record)


def test_a_revisit_without_its_request_record_is_the_revisit_alone(tmp_path: Path) -> None:
    """`WARC_REVISIT_REQUESTS=False`: an unchanged answer is its revisit record alone, which
    warcio reads and checks as any revisit; the capture has no request record to point at."""
    with WarcWriter(tmp_path, prefix="test", max_size=10**9) as writer:
        original = writer.write_exchange(request(), article(), fetched_at=FETCHED_AT)
        alone = write_revisit(
            writer, original, NOT_MODIFIED, "server-not-modified", request_record=False
        )
        after = writer.write_exchange(request(), article(), fetched_at=REFETCHED_AT)
    [path] = tmp_path.iterdir()
    assert alone.request_record_id is None and alone.request_offset is None
    assert alone.request_length == 0
    assert after.offset == alone.offset + alone.length  # nothing written between
    record = read_record(path, alone.offset)
    assert record.record_id == alone.record_id
    assert record.warc_header("WARC-Refers-To") == original.record_id
    assert [r.rec_type for _, r in all_records(path)] == [
        "warcinfo", "response", "request", "revisit", "response", "request",
    ]  # fmt: skip
    result = warcio_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
