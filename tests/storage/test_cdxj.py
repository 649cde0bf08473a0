"""storage.cdxj: the CDXJ index of WARC files, checked record by record against the files."""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from storage.cdxj import CdxjLine, index_warc, read_index, update_index, write_compressed
from storage.warc import (
    HttpRequestData,
    HttpResponseData,
    Location,
    WarcWriter,
    compute_payload_digest,
    read_record,
)

T0 = datetime(2025, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
PAGE = b"<!doctype html><title>Bill passes</title><p>Prison reform bill passes.</p>" * 30


def get(url: str) -> HttpRequestData:
    return HttpRequestData("GET", url, "HTTP/1.1", [(b"Accept-Encoding", b"gzip")])


def ok(body: bytes, content_type: bytes = b"text/html; charset=utf-8") -> HttpResponseData:
    headers = [(b"Content-Type", content_type), (b"Content-Length", b"%d" % len(body))]
    return HttpResponseData(200, "OK", "HTTP/1.1", headers, body)


@dataclass(frozen=True)
class Written:
    url: str
    at: datetime
    location: Location
    kind: str
    status: int
    mime: str


def write_archive(directory: Path, first: int = 0) -> list[Written]:
    """Two WARC files (a small max_size rotates them) with responses of several types, a gzip
    body, a 404, and both kinds of revisit."""
    written: list[Written] = []
    gzipped = gzip.compress(PAGE, mtime=0)
    with WarcWriter(directory, prefix=f"t{first}", max_size=1500) as writer:
        exchanges = [
            ("http://127.0.0.1:8080/news/b?x=1&a=2", ok(PAGE), "text/html"),
            ("http://127.0.0.1:8080/feed.xml", ok(b"<rss/>", b"application/rss+xml"),
             "application/rss+xml"),
            ("http://127.0.0.1:8080/missing", HttpResponseData(
                404, "Not Found", "HTTP/1.1", [(b"Content-Type", b"text/plain")], b"gone"
            ), "text/plain"),
            ("http://127.0.0.1:9090/", HttpResponseData(
                200, "OK", "HTTP/1.1",
                [(b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")], gzipped,
            ), "text/html"),
        ]  # fmt: skip
        for n, (url, resp, mime) in enumerate(exchanges):
            at = T0 + timedelta(minutes=first + n)
            location = writer.write_exchange(get(url), resp, fetched_at=at)
            written.append(Written(url, at, location, "response", resp.status, mime))
        original = written[0]
        later = T0 + timedelta(hours=1, minutes=first)
        not_modified = HttpResponseData(304, "Not Modified", "HTTP/1.1", [(b"ETag", b'"v1"')], b"")
        for profile, resp, at in (
            ("identical-payload-digest", ok(PAGE), later),
            ("server-not-modified", not_modified, later + timedelta(minutes=1)),
        ):
            location = writer.write_revisit(
                get(original.url),
                resp,
                profile=profile,  # type: ignore[arg-type]
                refers_to_record_id=original.location.record_id,
                refers_to_uri=original.url,
                refers_to_date=original.at,
                payload_digest=compute_payload_digest(PAGE),
                fetched_at=at,
            )
            written.append(Written(original.url, at, location, "revisit", resp.status, ""))
    return written


def indexed_records(path: Path) -> list[tuple[int, str]]:
    """(offset, type) of every record in the file that an index must list: all but request and
    warcinfo records, and revisits of a 304 (which pywb would replay as the 304)."""
    out = []
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            not_modified = (
                record.rec_type == "revisit" and record.http_headers.get_statuscode() == "304"
            )
            if record.rec_type in ("response", "revisit", "resource", "metadata") and not (
                not_modified
            ):
                out.append((records.get_record_offset(), record.rec_type))
    return out


def test_every_response_and_revisit_is_indexed_with_its_fields(tmp_path: Path) -> None:
    written = write_archive(tmp_path)
    files = sorted(p.name for p in tmp_path.glob("*.warc.gz"))
    assert len(files) >= 2  # the archive rotated: the index spans files
    update = update_index(tmp_path, tmp_path / "index.cdxj")
    not_modified = [w for w in written if w.kind == "revisit" and w.status == 304]
    assert len(not_modified) == 1
    assert sorted(update.indexed) == files and update.lines == len(written) - 1
    text = (tmp_path / "index.cdxj").read_text()
    assert text.splitlines() == sorted(text.splitlines())
    lines = read_index(tmp_path / "index.cdxj")

    in_files = {(name, offset) for name in files for offset, _ in indexed_records(tmp_path / name)}
    assert {(line.filename, line.offset) for line in lines} == in_files
    assert len(lines) == len(in_files)  # each record once

    by_place = {(line.filename, line.offset): line for line in lines}
    assert (not_modified[0].location.filename, not_modified[0].location.offset) not in by_place
    for item in written:
        if item in not_modified:
            continue
        line = by_place[(item.location.filename, item.location.offset)]
        assert line.fields["url"] == item.url
        assert line.timestamp == item.at.strftime("%Y%m%d%H%M%S")
        assert line.fields["status"] == str(item.status)
        assert line.length == item.location.length
        assert line.fields["digest"] == item.location.payload_digest
        assert line.fields["mime"] == (item.mime if item.kind == "response" else "warc/revisit")
        record = read_record(tmp_path / line.filename, line.offset)
        assert record.rec_type == item.kind
        assert record.record_id == item.location.record_id
        assert record.target_uri == line.fields["url"]
        # the length is the record's whole gzip member: the next record starts right after
        with (tmp_path / line.filename).open("rb") as stream:
            stream.seek(line.offset)
            member = stream.read(line.length)
        assert gzip.decompress(member).startswith(b"WARC/1.1\r\n")


def test_keys_are_surts_that_sort_a_url_s_captures_together(tmp_path: Path) -> None:
    write_archive(tmp_path)
    update_index(tmp_path, tmp_path / "index.cdxj")
    keys = [line.key for line in read_index(tmp_path / "index.cdxj")]
    # host reversed, query arguments sorted, scheme dropped: pywb's canonical form
    # the response and its identical-payload revisit (a 304's revisit is not indexed)
    assert keys.count("1,0,0,127:8080)/news/b?a=2&x=1") == 2
    assert "1,0,0,127:9090)/" in keys


def test_only_new_files_are_read_and_gone_files_are_dropped(tmp_path: Path) -> None:
    write_archive(tmp_path, first=0)
    index = tmp_path / "index.cdxj"
    first = update_index(tmp_path, index)
    write_archive(tmp_path, first=10)
    second = update_index(tmp_path, index)
    assert set(second.kept) == set(first.indexed)
    assert set(second.indexed).isdisjoint(first.indexed) and second.indexed
    incremental = index.read_text()
    rebuilt = update_index(tmp_path, tmp_path / "full.cdxj", rebuild=True)
    assert set(rebuilt.indexed) == set(first.indexed) | set(second.indexed)
    assert (tmp_path / "full.cdxj").read_text() == incremental

    gone = first.indexed[0]
    (tmp_path / gone).unlink()
    third = update_index(tmp_path, index)
    assert third.dropped == (gone,) and third.indexed == ()
    assert gone not in {line.filename for line in read_index(index)}
    of_gone = [line for line in read_index(tmp_path / "full.cdxj") if line.filename == gone]
    assert of_gone and third.lines == rebuilt.lines - len(of_gone)


def test_a_file_still_being_written_waits_for_the_next_run(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="open", max_size=10**9)
    writer.write_exchange(get("http://127.0.0.1:8080/a"), ok(PAGE), fetched_at=T0)
    assert update_index(tmp_path, tmp_path / "index.cdxj").lines == 0
    writer.close()
    assert update_index(tmp_path, tmp_path / "index.cdxj").lines == 1


def test_an_interrupted_update_leaves_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_archive(tmp_path)
    index = tmp_path / "index.cdxj"
    update_index(tmp_path, index)
    before = index.read_text()
    write_archive(tmp_path, first=10)

    def broken(path: object, name: str) -> list[str]:
        raise OSError("disk full")

    monkeypatch.setattr("storage.cdxj.index_warc", broken)
    with pytest.raises(OSError, match="disk full"):
        update_index(tmp_path, index)
    assert index.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "cdxj" in p.name) == ["index.cdxj"]


def test_the_compressed_index_is_gzip_blocks_located_by_the_idx(tmp_path: Path) -> None:
    write_archive(tmp_path)
    lines = sorted(line for p in tmp_path.glob("*.warc.gz") for line in index_warc(p, p.name))
    many = sorted(lines * 400)  # more than one block
    data, idx = io.BytesIO(), io.StringIO()
    write_compressed(many, data, idx, "index.cdx.gz")
    assert gzip.decompress(data.getvalue()).decode() == "".join(many)
    meta, *blocks = idx.getvalue().splitlines()
    assert meta.startswith("!meta 0 ") and json.loads(meta[8:])["filename"] == "index.cdx.gz"
    assert len(blocks) > 1
    for block in blocks:
        parsed = CdxjLine.parse(block)
        chunk = data.getvalue()[parsed.offset : parsed.offset + parsed.length]
        first = gzip.decompress(chunk).decode().splitlines()[0]
        assert first.startswith(f"{parsed.key} {parsed.timestamp} ")
