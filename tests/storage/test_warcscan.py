"""storage.warcscan: whole files read record by record, exact offsets, damage reported."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
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
FILES = sorted(
    p for p in WARCS.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")
)
IDS = [str(p.relative_to(WARCS)) for p in FILES]
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


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fastwarc_and_warcio_read_every_file_alike(path: Path) -> None:
    pytest.importorskip("fastwarc")
    assert default_parser() == "fastwarc"
    assert list(scan(path, parser="fastwarc")) == list(scan(path, parser="warcio"))


@pytest.mark.parametrize("path", FILES, ids=IDS)
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


def test_reading_resumes_after_a_damaged_gzip_member(tmp_path: Path) -> None:
    path = write(tmp_path, 3, gzip=True)
    good = records(path)
    middle = [r for r in good if r.record.rec_type == "response"][1]
    data = bytearray(path.read_bytes())
    data[middle.offset + 20 : middle.offset + 40] = b"\xff" * 20
    path.write_bytes(bytes(data))

    items = list(scan(path))

    damage = [d for d in items if isinstance(d, Damage)]
    assert damage and damage[0].offset == middle.offset
    left = {r.record.record_id for r in items if isinstance(r, ScannedRecord)}
    assert left == {r.record.record_id for r in good} - {middle.record.record_id}


def with_content_length(
    tmp_path: Path, length: Callable[[int], int]
) -> tuple[Path, list[ScannedRecord], ScannedRecord, int]:
    """An uncompressed file of three exchanges whose middle response declares `length(its
    Content-Length)`: the file, its records as written, that response, the length declared."""
    path = write(tmp_path, 3, gzip=False)
    good = records(path)
    middle = [r for r in good if r.record.rec_type == "response"][1]
    data = bytearray(path.read_bytes())
    at = data.index(b"Content-Length: ", middle.offset) + len(b"Content-Length: ")
    end = data.index(b"\r\n", at)
    declared = length(int(data[at:end]))
    data[at:end] = b"%d" % declared
    path.write_bytes(bytes(data))
    return path, good, middle, declared


def test_a_content_length_that_runs_into_the_next_record_cuts_the_record_there(
    tmp_path: Path,
) -> None:
    # a length beyond the record, written with as many digits
    path, good, middle, declared = with_content_length(tmp_path, lambda n: int("9" + str(n)[1:]))

    items = list(scan(path))

    assert not [d for d in items if isinstance(d, Damage)]
    found = {r.record.record_id: r for r in items if isinstance(r, ScannedRecord)}
    assert set(found) == {r.record.record_id for r in good}
    kept = found[middle.record.record_id]
    assert (kept.offset, kept.length) == (middle.offset, middle.length)
    assert kept.flags == {"truncated"} and kept.cut
    assert kept.declared_length == declared
    assert kept.record.payload == middle.record.payload  # all of it was there


def test_bytes_a_content_length_leaves_out_are_damage_and_the_record_is_kept(
    tmp_path: Path,
) -> None:
    path, good, middle, _ = with_content_length(tmp_path, lambda n: n - 5)

    items = list(scan(path))

    (damage,) = [d for d in items if isinstance(d, Damage)]
    assert damage.offset > middle.offset and "not the start of a WARC record" in damage.reason
    found = {r.record.record_id: r for r in items if isinstance(r, ScannedRecord)}
    assert set(found) == {r.record.record_id for r in good}
    assert found[middle.record.record_id].record.payload == middle.record.payload[:-5]


def test_a_record_cut_by_the_end_of_the_file_is_kept_with_its_declared_length(
    tmp_path: Path,
) -> None:
    body = random.Random(7).randbytes(20_000)  # 20 kB that gzip does not shrink
    for gzip in (True, False):
        directory = tmp_path / ("gz" if gzip else "plain")
        with WarcWriter(directory, prefix="scan", max_size=1 << 30, gzip=gzip) as writer:
            for n in range(2):
                writer.write_exchange(
                    HttpRequestData("GET", f"http://news.example/{n}", "HTTP/1.1", []),
                    HttpResponseData(
                        200, "OK", "HTTP/1.1", [(b"Content-Type", b"text/html")], body
                    ),
                    fetched_at=FETCHED,
                )
        (path,) = directory.glob("scan-*")
        whole = records(path)
        last = [r for r in whole if r.record.rec_type == "response"][-1]
        path.write_bytes(path.read_bytes()[: last.offset + last.length * 3 // 4])

        (cut,) = [r for r in records(path) if r.offset == last.offset]

        assert cut.flags == {"truncated"} and cut.record.rec_type == "response"
        assert cut.declared_length == len(last.block) > len(cut.block) > len(last.block) // 2
        assert cut.record.http_start_line == "HTTP/1.1 200 OK"
        assert body.startswith(cut.record.payload)
        again = read_record(path, cut.offset, verify=False)
        assert again.record_id == cut.record.record_id
        # recovery still cuts a crashed crawl's file before it
        assert complete_end(path)[:2] == (last.offset, whole.index(last))


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


def test_a_gzip_member_without_the_closing_blank_line_is_still_a_record(tmp_path: Path) -> None:
    # node-warc and others end records with fewer line breaks than WARC 1.1's two CRLF
    record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3\r\n\r\nabc"
    path = tmp_path / "open-ended.warc.gz"
    path.write_bytes(gzip_member(record) + gzip_member(record + b"\r\n\r\n"))

    first, second = scan(path)

    assert isinstance(first, ScannedRecord) and first.record.payload == b"abc"
    assert isinstance(second, ScannedRecord) and second.offset == first.end
    assert read_record(path, first.offset, verify=False).payload == b"abc"


def test_padding_after_the_last_record_is_damage(tmp_path: Path) -> None:
    path = write(tmp_path, 1, gzip=True)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes() + b"\0" * 64)

    *found, last = scan(path)

    assert all(isinstance(r, ScannedRecord) for r in found)
    assert last == Damage(size, size + 64, "64 bytes of padding after the last record")
    assert complete_end(path) == (size, len(found), [last])


def test_a_digest_mismatch_is_a_flag_and_check_record_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, 1, gzip=False)
    data = bytearray(path.read_bytes())
    data[data.rindex(b"<p>0</p>") + 3] ^= 0x01
    path.write_bytes(bytes(data))

    items = list(scan(path))
    response = next(r for r in records(path, digests=False) if r.record.rec_type == "response")

    assert not [d for d in items if isinstance(d, Damage)]
    flagged = [r for r in items if isinstance(r, ScannedRecord) and r.flags]
    assert [(r.offset, r.flags) for r in flagged] == [(response.offset, {"digest-mismatch"})]
    assert not response.flags  # not checked
    block, payload = (
        response.record.warc_header(name) for name in ("WARC-Block-Digest", "WARC-Payload-Digest")
    )
    assert check_record(response) == [
        f"WARC-Block-Digest mismatch (header says {block})",
        f"WARC-Payload-Digest mismatch (header says {payload})",
    ]
