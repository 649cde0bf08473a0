"""`newsarchive ingest` reads real archives whole: other crawlers' files from tests/data/warcs/.

Every record that holds an HTTP response with a readable head becomes a capture, and what is wrong
with it is a flag on the capture (digest-mismatch, truncated, no-content-type, bad-date,
nonstandard-version); only bytes that hold no record at all are skipped, named and make the exit
status 1. warcio (its iterator, as `warcio index` reads) is the yardstick of what a file holds.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import ingest as ingest_cli
from crawler.cli import status as status_cli
from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.engine import open_database
from storage.warc import read_record, resolve_warc_path
from storage.warcscan import ScannedRecord, scan

DATA = Path(__file__).resolve().parents[1] / "data" / "warcs"
CLUEWEB = DATA / "anserini" / "cw09-segment1.warc.gz"
WARCPROX = DATA / "js-wacz" / "lil-projects.warc.gz"
HERITRIX_017 = DATA / "jwat" / "invalid-warcfile-segment-number-response.warc"
FABRICATED = DATA / "ipwb" / "2mementos.warc"
THEN_GARBAGE = DATA / "jwat" / "invalid-warcfile-record-then-garbage.warc"
WAIL = DATA / "node-warc" / "parseMe.warc.gz"
ALL = sorted(
    p for p in DATA.rglob("*") if p.is_file() and p.name not in ("LICENSE", "NOTICE", "README.md")
)


def ingest(tmp_path: Path, *files: Path, extra: tuple[str, ...] = ()) -> int:
    args = [*map(str, files), "--data", str(tmp_path / "data"), "--workers", "1"]
    return ingest_cli.main([*args, "--progress", "0", *extra])


def engine_of(tmp_path: Path) -> Engine:
    return open_database(f"sqlite:///{tmp_path / 'data' / 'newsarchive.db'}", create=False)


def captures(engine: Engine) -> list[Any]:
    """Every capture row, with its URL as `url`."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(*m.Capture.__table__.columns, m.Url.url).join(
                    m.Url, m.Url.id == m.Capture.url_id
                )
            )
        )


def flags_of(row: Any) -> set[str]:
    return set(row.flags.split(",")) if row.flags else set()


def warcio_http_responses(path: Path) -> Counter[str]:
    """The target URIs (normalised, as the database files them) of the records warcio's iterator
    lists (until it gives up) that hold an HTTP response: response and revisit records with an
    HTTP status line."""
    found: Counter[str] = Counter()
    with path.open("rb") as stream:
        try:
            for record in ArchiveIterator(stream, arc2warc=True, check_digests=False):
                http = record.http_headers
                if record.rec_type in ("response", "revisit") and http and http.statusline:
                    found[normalise_url(record.rec_headers.get_header("WARC-Target-URI"))] += 1
        except Exception:  # warcio stops at the first thing it cannot read
            pass
    return found


SPLIT = DATA / "example-wrong-chunks.warc.gz"
"""Its response record is split across two gzip members: warcio lists it reading the file from
its start, but no reader (warcio included) reads its body at its offset, so it is damage."""


@pytest.mark.parametrize(
    "path",
    [p for p in ALL if p != SPLIT],
    ids=[str(p.relative_to(DATA)) for p in ALL if p != SPLIT],
)
def test_every_http_response_warcio_lists_becomes_a_capture(path: Path, tmp_path: Path) -> None:
    ingest(tmp_path, path)

    engine = engine_of(tmp_path)
    stored = Counter(row.url for row in captures(engine) if row.record_type != "resource")
    engine.dispose()
    listed = warcio_http_responses(path)
    missing = listed - stored
    assert not missing, f"warcio lists HTTP responses that are not captures: {dict(missing)}"


def test_a_clueweb09_warc_018_file_gzipped_whole_is_stored_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ingest(tmp_path, CLUEWEB) == 0

    out = capsys.readouterr()
    assert "recompressed record by record" in out.err
    assert "flagged: 1 bad-date, 1 nonstandard-version" in out.out
    engine = engine_of(tmp_path)
    (row,) = captures(engine)
    assert row.url == "http://clueweb09.test.com/"
    assert flags_of(row) == {"bad-date", "nonstandard-version"}
    # WARC-Date says day 65: the HTTP Date header stands in for it
    assert row.fetched_at == datetime(2009, 1, 13, 18, 5, 10, tzinfo=UTC)
    # the captures point at the copy with one gzip member per record, where the record reads
    copy = resolve_warc_path(tmp_path / "data" / "warc", row.warc_filename)
    assert copy.parent == tmp_path / "data" / "warc"
    record = read_record(copy, row.warc_offset, verify=False)
    assert (record.record_id, record.status) == (row.warc_record_id, 200)
    assert b"whatever here will be included" in record.payload
    engine.dispose()


def test_foreign_payload_digests_are_flagged_and_every_response_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """warcprox digests the still-chunked body; jwat's WARC/0.17 and ipwb's fabricated files
    carry digests that match nothing (and reuse one WARC-Record-ID for several records)."""
    files = (WARCPROX, HERITRIX_017, FABRICATED)
    assert ingest(tmp_path, *files) == 0

    out = capsys.readouterr().out.splitlines()
    engine = engine_of(tmp_path)
    rows = captures(engine)
    for path in files:
        mine = [row for row in rows if row.warc_filename == str(path)]
        responses = [row for row in mine if row.record_type == "response"]
        assert len(responses) == sum(warcio_http_responses(path).values())
        flagged = Counter(flag for row in mine for flag in flags_of(row))
        (line,) = [x for x in out if x.startswith(f"{path}:")]
        shown = ", ".join(f"{n} {flag}" for flag, n in sorted(flagged.items()))
        assert f"flagged: {shown}" in line
    by_file = {
        path: Counter(
            flag for row in rows if row.warc_filename == str(path) for flag in flags_of(row)
        )
        for path in files
    }
    assert by_file[WARCPROX]["digest-mismatch"] == 8
    assert by_file[HERITRIX_017] == {"digest-mismatch": 2, "nonstandard-version": 2}
    assert by_file[FABRICATED]["digest-mismatch"] == 4
    engine.dispose()

    assert status_cli.main(["--data", str(tmp_path / "data")]) == 0
    status = capsys.readouterr().out
    assert "Flagged captures (as archived, kept as they are):" in status
    assert f"  {WARCPROX}: 8 digest-mismatch" in status
    assert status_cli.main(["--data", str(tmp_path / "data"), "--format", "json"]) == 0
    flagged = json.loads(capsys.readouterr().out)["flagged"]
    assert flagged[str(HERITRIX_017)] == {"digest-mismatch": 2, "nonstandard-version": 2}


def test_a_record_clipped_by_the_end_of_its_file_is_stored_with_what_it_declared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """WAIL's file cut inside its 71 kB HTML page: the page is kept as far as it goes."""
    (page,) = [
        r
        for r in scan(WAIL)
        if isinstance(r, ScannedRecord)
        and r.record.rec_type == "response"
        and r.record.target_uri == "http://stringjs.com/"
    ]
    declared = len(page.block)
    clipped = tmp_path / WAIL.name
    clipped.write_bytes(WAIL.read_bytes()[: page.offset + page.length * 4 // 5])

    assert ingest(tmp_path, clipped) == 0

    assert "flagged: 1 truncated" in capsys.readouterr().out
    engine = engine_of(tmp_path)
    (row,) = [row for row in captures(engine) if row.url == "http://stringjs.com/"]
    assert flags_of(row) == {"truncated"}
    assert row.declared_length == declared
    assert row.warc_length == clipped.stat().st_size - page.offset
    record = read_record(clipped, row.warc_offset, verify=False)
    assert 0.5 * declared < len(record.payload) < declared
    with engine.connect() as conn:
        (extraction,) = conn.execute(
            select(m.Extraction).where(m.Extraction.capture_id == row.id)
        ).all()
        assert extraction.reason is None or not extraction.reason.startswith("error")
    engine.dispose()


def test_garbage_between_two_good_records_is_skipped_named_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """jwat's record-then-garbage file, with a good record of another of its files after it."""
    (good, *_) = [r for r in scan(HERITRIX_017) if isinstance(r, ScannedRecord)]
    path = tmp_path / "record-garbage-record.warc"
    data = THEN_GARBAGE.read_bytes()
    path.write_bytes(data + HERITRIX_017.read_bytes()[good.offset : good.end])

    assert ingest(tmp_path, path) == 1

    err = capsys.readouterr().err.splitlines()
    (damage,) = [line for line in err if line.startswith(f"{path}: offset ")]
    first = next(r for r in scan(THEN_GARBAGE) if isinstance(r, ScannedRecord))
    assert damage.startswith(f"{path}: offset {first.end}: ")
    assert f"to the next 'WARC/' line at {len(data)}" in damage
    engine = engine_of(tmp_path)
    urls = sorted(row.url for row in captures(engine))
    engine.dispose()
    expected = sorted(
        r.record.target_uri or ""
        for r in (first, good)
        if r.record.rec_type in ("response", "revisit", "resource")
    )
    assert urls == expected and len(urls) == 2
