"""`newsarchive ingest`: other crawlers' WARC and ARC files into the database."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import ingest as ingest_cli
from crawler.core.story import load_story
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.relevance import score
from storage.db import models as m
from storage.db.engine import open_database
from storage.warc import (
    HttpRequestData,
    HttpResponseData,
    Location,
    WarcWriter,
    compute_payload_digest,
    page_from_record,
    read_record,
    resolve_warc_path,
)
from storage.warcscan import ScannedRecord, scan

WARCS = Path(__file__).resolve().parents[1] / "data" / "warcs"
GOOD_WARC = (
    "example.warc",
    "example.warc.gz",
    "example-iana.org-chunked.warc",
    "example-resource.warc.gz",
    "example-space-in-target-uri.warc.gz",
    "example-wget-bad-target-uri.warc.gz",
    "post-test.warc.gz",
)
GOOD_ARC = ("example.arc", "example.arc.gz")
RECOMPRESSED = ("example-bad-non-chunked.warc.gz", "example-bad.warc.gz.bad")
"""Gzipped whole: copied record by record into the data directory, where the captures point."""
DAMAGED = {
    "bad.arc": (0, "is not a number"),
    "example-trunc.warc": (2560, "not the start of a WARC record (skipped 6 bytes"),
    "example-wrong-chunks.warc.gz": (0, "record split across gzip members"),
}
"""Each damaged file, the offset of its first damage and words of the reason given for it."""
FLAGGED = {
    "example-digest.warc": {},  # only its request record's digest is wrong: not a capture
    "example-space-in-url.arc": {"nonstandard-version": 1, "truncated": 1},
}
# example-trunc.warc's response (6 bytes longer than its Content-Length, so it would be flagged
# digest-mismatch) has the WARC-Record-ID of example.warc's, stored from an earlier file.
"""Files with records that are stored all the same, and how many captures carry each flag."""
ARTICLE = (
    Path(__file__).resolve().parents[1] / "extraction" / "data" / "article.html"
).read_bytes()
FETCHED = datetime(2025, 2, 5, 10, 0, tzinfo=UTC)
SITE = "http://harbour.example"
PLAIN = b"text/plain"
STORY = f"""
name = "el-salvador-prisoners"
title = "El Salvador offers to house US prisoners"
[match]
all = ["El Salvador"]
any = ["prison*", "deport*"]
[[sources]]
name = "Harbour Times"
url = "{SITE}/"
"""


def run(files: Sequence[Path], data: Path, db: str, *extra: str) -> int:
    args = [*map(str, files), "--data", str(data), "--db", db, "--workers", "1", "--progress", "0"]
    return ingest_cli.main([*args, *extra])


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ingest.db'}"


def rows(engine: Engine, *columns: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(*columns)))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.__tablename__: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (m.Url, m.Capture, m.ArticleVersion, m.Publisher, m.StoryArticle)
        }


def warcio_ids(path: Path) -> set[str]:
    """The record ids of the response, resource and revisit records, as warcio reads them."""
    with path.open("rb") as stream:
        return {
            record.rec_headers.get_header("WARC-Record-ID")
            for record in ArchiveIterator(stream)
            if record.rec_type in ("response", "resource", "revisit")
        }


def warcio_arc_responses(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for record in ArchiveIterator(stream) if record.rec_type == "response")


def test_every_record_of_the_good_files_is_stored_and_each_damage_is_reported(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(
        p for p in WARCS.iterdir() if p.is_file() and p.name not in ("LICENSE", "README.md")
    )
    assert {p.name for p in files} == {*GOOD_WARC, *GOOD_ARC, *DAMAGED, *FLAGGED, *RECOMPRESSED}

    assert run(files, tmp_path / "data", db_url) == 1

    err = capsys.readouterr().err
    for name, (offset, words) in DAMAGED.items():
        line = next(
            x for x in err.splitlines() if x.startswith(f"{WARCS / name}: offset {offset}:")
        )
        assert words in line
    engine = open_database(db_url, create=False)
    stored = {row.warc_record_id: row for row in rows(engine, m.Capture)}
    expected = set().union(
        *(warcio_ids(WARCS / name) for name in (*GOOD_WARC, "example-trunc.warc")),
        *(
            warcio_ids(tmp_path / "data" / "warc" / name.removesuffix(".bad"))
            for name in RECOMPRESSED
        ),
    )
    assert expected <= set(stored)
    derived = [row for record_id, row in stored.items() if record_id.startswith("<urn:sha1:")]
    arcs = (*GOOD_ARC, "example-space-in-url.arc")
    assert len(derived) == sum(warcio_arc_responses(WARCS / name) for name in arcs)
    # Nothing else: the damaged files hold no other response, resource or revisit record.
    assert len(stored) == len(expected) + len(derived)
    for row in stored.values():
        path = resolve_warc_path(tmp_path / "data" / "warc", row.warc_filename)
        assert Path(row.warc_filename).is_absolute() or row.warc_filename in {
            name.removesuffix(".bad") for name in RECOMPRESSED
        }
        record = read_record(path, row.warc_offset, verify=False)
        if row.warc_record_id.startswith("<urn:sha1:"):  # ARC: warcio makes up an id
            assert record.rec_type == "response"
            assert record.target_uri.startswith("http://example.com/")  # type: ignore[union-attr]
        else:
            assert record.record_id == row.warc_record_id
    for name, flags in FLAGGED.items():
        found = Counter(
            flag
            for row in stored.values()
            if row.warc_filename == str(WARCS / name)
            for flag in (row.flags or "").split(",")
            if flag
        )
        assert found == flags, name
    (cut,) = [row for row in stored.values() if row.declared_length is not None]
    assert (cut.warc_filename, cut.declared_length) == (
        str(WARCS / "example-space-in-url.arc"),
        1591,
    )
    engine.dispose()


def exchange(
    writer: WarcWriter, url: str, body: bytes, *, at: datetime, content_type: bytes = b"text/html"
) -> Location:
    return writer.write_exchange(
        HttpRequestData("GET", url, "HTTP/1.1", [(b"User-Agent", b"test")]),
        HttpResponseData(
            200,
            "OK",
            "HTTP/1.1",
            [(b"Content-Type", content_type), (b"Content-Encoding", b"gzip")],
            gzip.compress(body),
        ),
        fetched_at=at,
    )


def own_warc(directory: Path, *, gzip_records: bool = True) -> tuple[Path, dict[str, Location]]:
    """A WARC written by our own crawl's writer: an article, robots.txt and a redirect."""
    with WarcWriter(directory, prefix="own", max_size=1 << 30, gzip=gzip_records) as writer:
        locations = {
            "article": exchange(writer, f"{SITE}/world/deal", ARTICLE, at=FETCHED),
            "robots": exchange(
                writer,
                f"{SITE}/robots.txt",
                b"User-agent: *\n",
                at=FETCHED,
                content_type=b"text/plain",
            ),
            "redirect": writer.write_exchange(
                HttpRequestData("GET", f"{SITE}/old", "HTTP/1.1", []),
                HttpResponseData(
                    301, "Moved Permanently", "HTTP/1.1", [(b"Location", b"/world/deal")], b""
                ),
                fetched_at=FETCHED,
            ),
        }
    (path,) = directory.glob("own-*.warc*")
    return path, locations


def test_a_warc_of_our_own_crawl_round_trips(tmp_path: Path) -> None:
    path, locations = own_warc(tmp_path / "in")
    assert run([path], tmp_path / "data", sqlite(tmp_path)) == 0

    engine = open_database(sqlite(tmp_path), create=False)
    captures = {row.warc_record_id: row for row in rows(engine, m.Capture)}
    assert set(captures) == {loc.record_id for loc in locations.values()}
    for location in locations.values():
        row = captures[location.record_id]
        assert row.warc_filename == str(path)
        assert (row.warc_offset, row.warc_length) == (location.offset, location.length)
        assert row.request_record_id == location.request_record_id
        assert row.payload_digest == location.payload_digest
        assert row.fetched_at == FETCHED
    redirect = captures[locations["redirect"].record_id]
    assert (redirect.status, redirect.location) == (301, f"{SITE}/world/deal")
    assert captures[locations["robots"].record_id].content_type == "text/plain"
    publishers = rows(engine, m.Publisher.host, m.Publisher.url)
    assert publishers == [("harbour.example", f"{SITE}/")]
    engine.dispose()


def test_stored_text_is_what_extract_gives_for_the_record(tmp_path: Path) -> None:
    path, locations = own_warc(tmp_path / "in", gzip_records=False)
    assert run([path], tmp_path / "data", sqlite(tmp_path)) == 0

    engine = open_database(sqlite(tmp_path), create=False)
    (version,) = rows(engine, m.ArticleVersion)
    (capture,) = [c for c in rows(engine, m.Capture) if c.id == version.capture_id]
    record = read_record(path, capture.warc_offset)
    expected = extract(page_from_record(record), ExtractOptions()).article
    assert expected is not None
    assert version.text == expected.text
    assert version.text_sha256 == expected.text_sha256
    assert capture.warc_record_id == locations["article"].record_id
    engine.dispose()


def test_ingesting_again_adds_nothing(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = own_warc(tmp_path / "in")
    files = [path, WARCS / "example.warc.gz", WARCS / "example.arc"]
    assert run(files, tmp_path / "data", db_url) == 0
    engine = open_database(db_url, create=False)
    first = counts(engine)
    before = rows(engine, m.ArticleVersion.last_seen)
    capsys.readouterr()

    assert run(files, tmp_path / "data", db_url) == 0

    assert counts(engine) == first
    assert rows(engine, m.ArticleVersion.last_seen) == before
    out = capsys.readouterr().out
    assert out.count("captures: 0 new") == 3
    assert "captures: 3 new" not in out
    engine.dispose()


def test_a_revisit_is_resolved_to_its_original_in_an_earlier_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, locations = own_warc(tmp_path / "in")
    later = FETCHED + timedelta(days=2)
    original = read_record(first, locations["article"].offset)
    revisit_dir = tmp_path / "again"
    with WarcWriter(revisit_dir, prefix="again", max_size=1 << 30) as writer:
        writer.write_revisit(
            HttpRequestData("GET", f"{SITE}/world/deal", "HTTP/1.1", []),
            HttpResponseData(200, "OK", "HTTP/1.1", [], original.payload),
            profile="identical-payload-digest",
            refers_to_record_id=locations["article"].record_id,
            refers_to_uri=f"{SITE}/world/deal",
            refers_to_date=FETCHED,
            payload_digest=compute_payload_digest(original.payload),
            fetched_at=later,
        )
    (second,) = revisit_dir.glob("again-*.warc.gz")
    data, db = tmp_path / "data", sqlite(tmp_path)
    assert run([first], data, db) == 0
    assert run([second], data, db) == 0

    assert "revisits: 1 resolved, 0 without their original" in capsys.readouterr().out
    engine = open_database(db, create=False)
    (version,) = rows(engine, m.ArticleVersion)
    assert (version.version, version.first_seen, version.last_seen) == (1, FETCHED, later)
    revisit = next(c for c in rows(engine, m.Capture) if c.record_type == "revisit")
    assert revisit.refers_to == locations["article"].record_id
    assert revisit.revisit_profile == "identical-payload-digest"
    assert revisit.revisit_of_id == next(
        c.id for c in rows(engine, m.Capture) if c.warc_record_id == revisit.refers_to
    )
    engine.dispose()


def test_a_revisit_is_resolved_within_the_same_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """example.warc: a response, then a revisit of it (WARC/1.0, WARC-Refers-To-Target-URI and
    -Date only, no WARC-Refers-To); and the same revisit read before its original."""
    records = [r for r in scan(WARCS / "example.warc.gz") if isinstance(r, ScannedRecord)]
    response = next(r for r in records if r.record.rec_type == "response")
    revisit = next(r for r in records if r.record.rec_type == "revisit")
    raw = (WARCS / "example.warc.gz").read_bytes()
    reordered = tmp_path / "revisit-first.warc.gz"
    reordered.write_bytes(
        raw[revisit.offset : revisit.offset + revisit.length]
        + raw[response.offset : response.offset + response.length]
    )
    for files in ([WARCS / "example.warc.gz"], [reordered]):
        db = f"sqlite:///{tmp_path / f'{files[0].stem}.db'}"
        assert run(files, tmp_path / "data", db) == 0
        assert "revisits: 1 resolved" in capsys.readouterr().out
        engine = open_database(db, create=False)
        stored = {c.warc_record_id: c for c in rows(engine, m.Capture)}
        assert stored[revisit.record.record_id].refers_to == response.record.record_id
        assert (
            stored[revisit.record.record_id].revisit_of_id == stored[response.record.record_id].id
        )
        engine.dispose()


def test_records_before_and_after_damage_are_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [f"{SITE}/{n}" for n in range(4)]
    with WarcWriter(tmp_path / "in", prefix="dmg", max_size=1 << 30) as writer:
        locations = [
            exchange(writer, url, ARTICLE + b"<!-- %d -->" % n, at=FETCHED)
            for n, url in enumerate(urls)
        ]
    (path,) = (tmp_path / "in").glob("dmg-*.warc.gz")
    declared = int(read_record(path, locations[3].offset).warc_header("Content-Length") or 0)
    data = bytearray(path.read_bytes())
    bad = locations[1]
    data[bad.offset + 20 : bad.offset + 60] = b"\x00" * 40  # inside the deflate stream
    cut = locations[3].offset + locations[3].length // 2
    path.write_bytes(bytes(data[:cut]))  # and the last record cut off

    assert run([path], tmp_path / "data", sqlite(tmp_path)) == 1

    captured = capsys.readouterr()
    (line,) = [x for x in captured.err.splitlines() if "offset" in x]
    assert line.startswith(f"{path}: offset {bad.offset}: ") and "bad gzip member" in line
    assert "flagged: 1 truncated" in captured.out
    engine = open_database(sqlite(tmp_path), create=False)
    stored = {c.warc_record_id: c for c in rows(engine, m.Capture)}
    # the record cut by the end of the file is kept, with what it declared
    assert set(stored) == {locations[n].record_id for n in (0, 2, 3)}
    last = stored[locations[3].record_id]
    assert (last.flags, last.warc_length) == ("truncated", cut - locations[3].offset)
    assert last.declared_length == declared
    engine.dispose()


def test_copy_puts_the_file_in_the_warc_directory_and_stores_its_name(tmp_path: Path) -> None:
    path, _ = own_warc(tmp_path / "in")
    data = tmp_path / "data"
    for _ in range(2):  # a second --copy of the same file finds its copy there
        assert run([path], data, sqlite(tmp_path), "--copy") == 0

    copy = data / "warc" / path.name
    assert copy.read_bytes() == path.read_bytes()
    engine = open_database(sqlite(tmp_path), create=False)
    for row in rows(engine, m.Capture):
        assert row.warc_filename == path.name
        record = read_record(resolve_warc_path(data / "warc", row.warc_filename), row.warc_offset)
        assert record.record_id == row.warc_record_id
    engine.dispose()
    other = tmp_path / "other" / path.name
    other.parent.mkdir()
    other.write_bytes(b"different")
    assert run([other], data, sqlite(tmp_path), "--copy") == 2


def test_story_is_recorded_and_articles_judged(tmp_path: Path) -> None:
    path, _ = own_warc(tmp_path / "in")
    story_file = tmp_path / "story.toml"
    story_file.write_text(STORY)
    assert run([path], tmp_path / "data", sqlite(tmp_path), "--story", str(story_file)) == 0

    engine = open_database(sqlite(tmp_path), create=False)
    (link,) = rows(engine, m.StoryArticle)
    (version,) = rows(engine, m.ArticleVersion)
    (story_row,) = rows(engine, m.Story)
    assert story_row.name == "el-salvador-prisoners"
    (offset,) = [c.warc_offset for c in rows(engine, m.Capture) if c.id == version.capture_id]
    record = read_record(path, offset)
    article = extract(page_from_record(record), ExtractOptions()).article
    assert article is not None
    expected = score(article, load_story(story_file))
    assert expected.relevant
    assert (link.relevant, link.relevance_score, link.version_id) == (
        expected.relevant,
        pytest.approx(expected.score),
        version.id,
    )
    assert rows(engine, m.Publisher.name, m.Publisher.host) == [
        ("Harbour Times", "harbour.example")
    ]
    engine.dispose()


def test_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([tmp_path / "nope.warc.gz"], tmp_path / "data", sqlite(tmp_path)) == 2
    assert "no such readable file" in capsys.readouterr().err
    assert not (tmp_path / "ingest.db").exists()


def test_pages_are_extracted_in_a_process_pool(tmp_path: Path) -> None:
    with WarcWriter(tmp_path / "in", prefix="pool", max_size=1 << 30) as writer:
        for n in range(6):  # six articles, each its own canonical URL
            body = ARTICLE.replace(b'href="/world/2025/02/04/', b'href="/%d/' % n)
            exchange(writer, f"{SITE}/{n}", body, at=FETCHED)
    (path,) = (tmp_path / "in").glob("pool-*.warc.gz")
    args = [str(path), "--data", str(tmp_path / "data"), "--db", sqlite(tmp_path)]
    assert ingest_cli.main([*args, "--workers", "2", "--batch-size", "4", "--progress", "0"]) == 0

    engine = open_database(sqlite(tmp_path), create=False)
    assert counts(engine)["article_versions"] == 6
    engine.dispose()


def test_story_by_name_is_the_definition_the_database_keeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--story NAME takes the story file a crawl stored; the rule is the value's form: ending in
    .toml or holding a / is a file, else a name."""
    from crawler.core.story import parse_story
    from storage.db.repository import Repository

    path, _ = own_warc(tmp_path / "in")
    data = tmp_path / "data"
    (tmp_path / "empty").mkdir()
    assert run([path], data, sqlite(tmp_path / "empty"), "--story", "el-salvador-prisoners") == 2
    assert "there are no stories yet" in capsys.readouterr().err
    engine = open_database(sqlite(tmp_path))
    Repository(engine).ensure_story(parse_story(STORY))  # as a crawl of the story stores it
    engine.dispose()
    assert run([path], data, sqlite(tmp_path), "--story", "nope") == 2
    err = capsys.readouterr().err
    assert "no story named 'nope'" in err and "el-salvador-prisoners" in err
    assert "or give a story FILE" in err
    assert run([path], data, sqlite(tmp_path), "--story", "el-salvador-prisoners") == 0
    engine = open_database(sqlite(tmp_path), create=False)
    (link,) = rows(engine, m.StoryArticle)  # judged with the stored definition
    assert link.relevant
    engine.dispose()
