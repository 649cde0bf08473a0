"""storage.warcscan: whole files read record by record, exact offsets, damage reported."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.warc import (
    HttpRequestData,
    HttpResponseData,
    WarcWriter,
    page_from_record,
    read_record,
    resolve_warc_path,
)
from storage.warcscan import (
    Damage,
    ScannedRecord,
    check_record,
    complete_end,
    default_parser,
    scan,
)

WARCS = Path(__file__).resolve().parents[1] / "data" / "warcs"
FILES = sorted(p for p in WARCS.iterdir() if p.name not in ("LICENSE", "README.md"))
FETCHED = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)


def write(directory: Path, count: int, *, gzip: bool) -> Path:
    with WarcWriter(directory, prefix="scan", max_size=1 << 30, gzip=gzip) as writer:
        for n in range(count):
            writer.write_exchange(
                HttpRequestData("GET", f"http://news.example/{n}", "HTTP/1.1", []),
                HttpResponseData(
                    200, "OK", "HTTP/1.1", [(b"Content-Type", b"text/html")], b"<p>%d</p>" % n
                ),
                fetched_at=FETCHED,
            )
    (path,) = directory.glob("scan-*")
    return path


def gzip_member(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def records(path: Path, **options: object) -> list[ScannedRecord]:
    return [item for item in scan(path, **options) if isinstance(item, ScannedRecord)]  # type: ignore[arg-type]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fastwarc_and_warcio_read_every_file_alike(path: Path) -> None:
    pytest.importorskip("fastwarc")
    assert default_parser() == "fastwarc"
    assert list(scan(path, parser="fastwarc")) == list(scan(path, parser="warcio"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_record_is_read_back_at_its_offset(path: Path) -> None:
    found = records(path)
    for item, after in zip(found, [*found[1:], None], strict=False):
        again = read_record(path, item.offset, verify=False)
        assert (again.rec_type, again.payload) == (item.record.rec_type, item.record.payload)
        if not item.derived_id:
            assert again.record_id == item.record.record_id
        if after is not None and item.offset + item.length != after.offset:
            # only damage lies between two records that do not touch
            damage = [d for d in scan(path) if isinstance(d, Damage)]
            assert any(item.offset < d.offset < after.offset for d in damage)


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_reading_resumes_after_a_damaged_record(tmp_path: Path, gzip: bool) -> None:
    path = write(tmp_path, 3, gzip=gzip)
    good = records(path)
    responses = [r for r in good if r.record.rec_type == "response"]
    middle = responses[1]
    data = bytearray(path.read_bytes())
    if gzip:
        data[middle.offset + 20 : middle.offset + 40] = b"\xff" * 20
    else:  # a wrong Content-Length
        at = data.index(b"Content-Length: ", middle.offset) + len(b"Content-Length: ")
        data[at : at + 1] = b"9"
    path.write_bytes(bytes(data))

    items = list(scan(path))

    damage = [d for d in items if isinstance(d, Damage)]
    assert damage and damage[0].offset == middle.offset
    left = {r.record.record_id for r in items if isinstance(r, ScannedRecord)}
    assert left == {r.record.record_id for r in good} - {middle.record.record_id}


def test_a_record_without_an_id_gets_the_same_derived_one_every_time(tmp_path: Path) -> None:
    first = records(WARCS / "example.arc")
    copy = tmp_path / "example.arc"
    copy.write_bytes((WARCS / "example.arc").read_bytes())
    assert [r.record.record_id for r in records(copy)] == [r.record.record_id for r in first]
    assert all(r.derived_id and r.record.record_id.startswith("<urn:sha1:") for r in first)  # type: ignore[union-attr]
    renamed = tmp_path / "other.arc"
    copy.rename(renamed)
    assert {r.record.record_id for r in records(renamed)}.isdisjoint(
        r.record.record_id for r in first
    )


def test_a_resource_record_reads_as_a_page() -> None:
    (resource,) = [
        r for r in records(WARCS / "example-resource.warc.gz") if r.record.rec_type == "resource"
    ]
    page = page_from_record(resource.record)
    assert (page.status, page.content_type, page.url) == (200, "text/html", "http://example.com/")
    assert page.body == resource.record.payload


def test_resolve_warc_path_takes_names_and_absolute_paths(tmp_path: Path) -> None:
    assert resolve_warc_path(tmp_path, "a.warc.gz") == tmp_path / "a.warc.gz"
    assert resolve_warc_path(tmp_path, "/elsewhere/a.warc.gz") == Path("/elsewhere/a.warc.gz")


def test_a_plain_file_whose_first_record_is_damaged_is_still_read_as_warc(tmp_path: Path) -> None:
    """Not taken for an ARC file: reading resumes at the next 'WARC/' line."""
    path = write(tmp_path, 2, gzip=False)
    good = records(path)
    data = path.read_bytes()
    path.write_bytes(b"XARC" + data[4:])

    first, *rest = scan(path)

    assert isinstance(first, Damage) and (first.offset, first.end) == (0, good[1].offset)
    assert "'WARC/' line" in first.reason
    assert [r.record.record_id for r in rest if isinstance(r, ScannedRecord)] == [
        r.record.record_id for r in good[1:]
    ]


def test_a_gzip_member_without_the_closing_blank_line_is_damage(tmp_path: Path) -> None:
    record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3\r\n\r\nabc"
    path = tmp_path / "open-ended.warc.gz"
    path.write_bytes(gzip_member(record) + gzip_member(record + b"\r\n\r\n"))

    first, second = scan(path)

    assert isinstance(first, Damage) and "not followed by a blank line" in first.reason
    assert isinstance(second, ScannedRecord) and second.offset == first.end


def test_padding_after_the_last_record_is_damage(tmp_path: Path) -> None:
    path = write(tmp_path, 1, gzip=True)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes() + b"\0" * 64)

    *found, last = scan(path)

    assert all(isinstance(r, ScannedRecord) for r in found)
    assert last == Damage(size, size + 64, "64 bytes of padding after the last record")
    assert complete_end(path) == (size, len(found), [last])


def test_digests_unchecked_leave_the_mismatch_to_check_record(tmp_path: Path) -> None:
    path = write(tmp_path, 1, gzip=False)
    data = bytearray(path.read_bytes())
    data[data.rindex(b"<p>0</p>") + 3] ^= 0x01
    path.write_bytes(bytes(data))

    damage = [d for d in scan(path) if isinstance(d, Damage)]
    response = next(r for r in records(path, digests=False) if r.record.rec_type == "response")

    assert len(damage) == 1 and damage[0].offset == response.offset
    assert "WARC-Block-Digest mismatch" in damage[0].reason
    block, payload = (
        response.record.warc_header(name) for name in ("WARC-Block-Digest", "WARC-Payload-Digest")
    )
    assert check_record(response) == [
        f"WARC-Block-Digest mismatch (header says {block})",
        f"WARC-Payload-Digest mismatch (header says {payload})",
    ]
