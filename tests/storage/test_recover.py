"""Recovery of `.open` WARC files left by a crash: cut back to the last complete record."""

from __future__ import annotations

import dataclasses
import gzip
import random
from pathlib import Path

import pytest

from storage.recover import files_to_reconcile, recover_open_file, recover_open_files
from storage.warc import OPEN_SUFFIX, WarcWriter, read_record
from storage.warcscan import Damage, ScannedRecord, check_record, scan
from tests.storage.archive import T0, request, response, write_archive
from tests.support import warcio_check


def records(path: Path) -> list[ScannedRecord]:
    items = list(scan(path))
    assert not [i for i in items if isinstance(i, Damage)], items
    return [i for i in items if isinstance(i, ScannedRecord)]


@pytest.fixture(params=[True, False], ids=["gzip", "plain"])
def archive(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Path, bytes, list[ScannedRecord]]:
    """A complete file's bytes and records (warcinfo + 3 exchanges), moved out of the way."""
    written = write_archive(tmp_path / "src", pages=2, gzip=request.param)
    return tmp_path, written.path.read_bytes(), records(written.path)


def crash_file(directory: Path, data: bytes) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / ("test-20250204120000000000-00000-host-1.warc.gz" + OPEN_SUFFIX)
    path.write_bytes(data)
    return path


def test_every_cut_inside_the_last_record_recovers_the_records_before_it(
    archive: tuple[Path, bytes, list[ScannedRecord]],
) -> None:
    tmp, data, complete = archive
    last = complete[-1]
    # Every offset of the first and last 40 bytes (headers, gzip trailer), every 7th between.
    cuts = sorted({*range(last.offset + 1, last.end, 7), *range(last.offset + 1, last.offset + 41),
                   *range(last.end - 40, last.end)})  # fmt: skip
    for cut in cuts:
        path = crash_file(tmp / f"cut{cut}", data[:cut])
        result = recover_open_file(path)
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        assert (result.status, result.records, result.cut) == (
            "recovered", len(complete) - 1, cut - last.offset
        )  # fmt: skip
        assert not path.exists()
        assert final.read_bytes() == data[: last.offset]


def test_cuts_anywhere_recover_exactly_the_complete_records(
    archive: tuple[Path, bytes, list[ScannedRecord]],
) -> None:
    tmp, data, complete = archive
    ends = [r.end for r in complete]
    for cut in random.Random(5).sample(range(1, len(data)), 150):
        path = crash_file(tmp / f"any{cut}", data[:cut])
        result = recover_open_file(path)
        kept = [end for end in ends if end <= cut]
        if not kept:
            assert result.status == "empty" and not path.exists()
            continue
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        assert result.records == len(kept)
        assert final.read_bytes() == data[: kept[-1]]
        assert [r.record.record_id for r in records(final)] == [
            r.record.record_id for r in complete
        ][: len(kept)]


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00" * 100,
        b"garbage that is no record",
        gzip.compress(b"WARC/1.1\r\nContent-Length: 999\r\n\r\nshort")[:-8],  # member cut off
        gzip.compress(b"WARC/1.1\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n")[:-8] + b"\0" * 8,
        b"\x1f\x8b\x08",
    ],
    ids=["zeros", "text", "cut-member", "bad-crc", "magic"],
)
def test_garbage_after_the_last_record_is_cut(tmp_path: Path, garbage: bytes) -> None:
    written = write_archive(tmp_path / "src", pages=1)
    data = written.path.read_bytes()
    path = crash_file(tmp_path / "crash", data + garbage)
    result = recover_open_file(path)
    assert (result.status, result.cut) == ("recovered", len(garbage))
    assert result.reason  # says what was cut
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    assert final.read_bytes() == data
    assert warcio_check(final).returncode == 0


def test_an_empty_open_file_is_removed(tmp_path: Path) -> None:
    path = crash_file(tmp_path, b"")
    assert recover_open_file(path).status == "empty"
    assert list(tmp_path.iterdir()) == []


def test_damage_followed_by_complete_records_is_left_alone(tmp_path: Path) -> None:
    """Cutting there would throw complete records away: not a crash's doing, not repaired."""
    written = write_archive(tmp_path / "src", pages=2)
    complete = records(written.path)
    data = bytearray(written.path.read_bytes())
    data[complete[2].offset + 30] ^= 0xFF  # inside the first response's deflate stream
    path = crash_file(tmp_path / "crash", bytes(data))
    result = recover_open_file(path)
    assert result.status == "damaged" and "follow damage" in result.reason
    assert path.read_bytes() == bytes(data)


def test_a_file_a_live_writer_holds_is_left_alone(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="test", max_size=1 << 30)
    writer.write_exchange(
        request("http://a.example/"), response(b"x", b"text/plain"), fetched_at=T0
    )
    (path,) = tmp_path.glob("*" + OPEN_SUFFIX)
    size = path.stat().st_size
    assert [f.status for f in recover_open_files(tmp_path)] == ["in-use"]
    assert path.exists() and path.stat().st_size == size
    writer.close()
    assert recover_open_files(tmp_path) == []


def test_a_recovered_file_reads_back_with_warcio(tmp_path: Path) -> None:
    written = write_archive(tmp_path / "src", pages=2)
    complete = records(written.path)
    path = crash_file(tmp_path / "crash", written.path.read_bytes()[: complete[-1].end - 7])
    recover_open_file(path)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    assert warcio_check(final).returncode == 0
    assert read_record(final, complete[-2].offset).record_id == complete[-2].record.record_id


def test_the_file_closed_just_before_by_the_same_crawl_is_reconciled_too(tmp_path: Path) -> None:
    for name in (
        "nx-20250204120000000000-00000-host-7.warc.gz",
        "nx-20250204120100000000-00001-host-7.warc.gz",
        "nx-20250204120100000000-00001-host-8.warc.gz",
        "nx-20250204120200000000-00002-host-7.warc.gz.open",
    ):
        (tmp_path / name).write_bytes(write_archive(tmp_path / "src", pages=0).path.read_bytes())
    recovered = recover_open_files(tmp_path)
    assert files_to_reconcile(tmp_path, recovered) == [
        "nx-20250204120200000000-00002-host-7.warc.gz",
        "nx-20250204120100000000-00001-host-7.warc.gz",
    ]


def test_check_record_names_missing_headers_and_bad_digests(tmp_path: Path) -> None:
    written = write_archive(tmp_path, pages=1)
    response_record = records(written.path)[3]
    assert check_record(response_record) == []
    record = response_record.record
    tampered = dataclasses.replace(
        response_record,
        record=dataclasses.replace(
            record,
            warc_headers=tuple(h for h in record.warc_headers if h[0] != "WARC-Date"),
            payload=record.payload[:-1] + b"!",
        ),
        block=response_record.block[:-1] + b"!",
    )
    block, payload = (
        tampered.record.warc_header(name) for name in ("WARC-Block-Digest", "WARC-Payload-Digest")
    )
    assert check_record(tampered) == [
        "missing mandatory header WARC-Date",
        f"WARC-Block-Digest mismatch (header says {block})",
        f"WARC-Payload-Digest mismatch (header says {payload})",
    ]


def test_scan_reports_a_bad_crc(tmp_path: Path) -> None:
    member = gzip.compress(b"WARC/1.1\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n")
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(member + member[:-8] + b"\1\2\3\4" + member[-4:])
    items = list(scan(path))
    assert isinstance(items[0], ScannedRecord)
    assert isinstance(items[1], Damage) and "incorrect data check" in items[1].reason
