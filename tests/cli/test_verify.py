"""`newsarchive verify`: every kind of damage is reported with its file, offset and reason, and
`--repair` fixes what it says it fixes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update

from crawler.cli import ingest
from crawler.cli.verify import main
from crawler.core.datadir import data_dir_id
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.repository import Repository
from storage.warc import OPEN_SUFFIX, WarcWriter
from storage.warcscan import ScannedRecord, scan
from tests.storage.archive import (
    SITE,
    STORY_TOML,
    T0,
    Written,
    capture_of,
    request,
    response,
    write_archive,
)


@dataclass
class Archive:
    data: Path
    db_url: str
    engine: Engine
    written: Written

    def run(self, *args: str) -> int:
        return main(["--data", str(self.data), "--db", self.db_url, *args])

    def records(self) -> list[ScannedRecord]:
        return [r for r in scan(self.written.path) if isinstance(r, ScannedRecord)]


def make_archive(tmp_path: Path, db_url: str, *, gzip: bool = True) -> Archive:
    data = tmp_path / "data"
    written = write_archive(data / "warc", pages=3, gzip=gzip)
    engine = open_database(db_url)
    Repository(engine).write_batch(written.captures, [], None, data_dir=data_dir_id(data))
    return Archive(data, db_url, engine, written)


@pytest.fixture
def archive(tmp_path: Path, db_url: str) -> Archive:
    made = make_archive(tmp_path, db_url)
    yield made
    made.engine.dispose()


@pytest.fixture
def plain(tmp_path: Path, db_url: str) -> Archive:
    """An uncompressed archive: a byte can be changed without moving any record."""
    made = make_archive(tmp_path, db_url, gzip=False)
    yield made
    made.engine.dispose()


def test_a_clean_archive_passes(archive: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    assert archive.run() == 0
    out = capsys.readouterr().out
    assert "1 files, 9 records" in out and "4 captures checked: no problems" in out


def test_a_flipped_payload_byte_is_a_digest_mismatch(
    plain: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    target = plain.records()[-2]  # the last page's response record
    data = bytearray(plain.written.path.read_bytes())
    data[target.end - 10] ^= 0x01  # in the HTML body
    plain.written.path.write_bytes(bytes(data))
    assert plain.run() == 1
    out = capsys.readouterr().out
    where = f"{plain.written.path.name}:{target.offset}: "
    assert where + "WARC-Block-Digest mismatch" in out
    assert where + "WARC-Payload-Digest mismatch" in out
    assert plain.run("--repair") == 1  # the bytes are lost: nothing to repair
    assert "not repaired: " + where + "WARC-Payload-Digest mismatch" in capsys.readouterr().out


def test_a_flipped_compressed_byte_is_a_bad_gzip_member(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    target = archive.records()[-2]
    data = bytearray(archive.written.path.read_bytes())
    data[target.offset + target.length // 2] ^= 0xFF
    archive.written.path.write_bytes(bytes(data))
    assert archive.run() == 1
    out = capsys.readouterr().out
    assert f"{archive.written.path.name}:{target.offset}: bad gzip member" in out
    assert "no record starts at this offset" in out  # the capture of that record


def test_a_missing_header_is_reported(plain: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    target = plain.records()[3]
    data = plain.written.path.read_bytes()
    start = data.index(b"\r\nWARC-Date: ", target.offset)
    plain.written.path.write_bytes(data[:start] + b"\r\nWARC-Dato: " + data[start + 13 :])
    assert plain.run() == 1
    out = capsys.readouterr().out
    assert f"{plain.written.path.name}:{target.offset}: missing mandatory header WARC-Date" in out


def test_a_missing_file_drops_its_captures_on_repair(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    name = archive.written.path.name
    archive.written.path.unlink()
    assert archive.run() == 1
    out = capsys.readouterr().out
    first = archive.written.captures[0]
    assert f"{name}:{first.warc_offset}: capture " in out and "its WARC file is missing" in out
    assert archive.run("--repair") == 0
    out = capsys.readouterr().out
    assert out.count("removed capture of") == 4
    with archive.engine.connect() as conn:
        assert conn.execute(select(m.Capture.id)).all() == []


def test_another_data_dirs_missing_file_is_left_alone(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Captures of a file another data directory registered, missing here, are not this one's:
    neither reported nor removed."""
    other = write_archive(tmp_path / "other" / "warc", pages=2)
    Repository(archive.engine).write_batch(
        other.captures, [], None, data_dir=data_dir_id(tmp_path / "other")
    )
    assert archive.run() == 0
    assert "(3 captures of other data directories left alone)" in capsys.readouterr().out
    assert archive.run("--repair") == 0
    assert "removed capture" not in capsys.readouterr().out
    with archive.engine.connect() as conn:
        assert len(conn.execute(select(m.Capture.id)).all()) == 7


def test_a_missing_file_nobody_registered_makes_repair_refuse(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Captures written before data directories had ids, into a shared database, whose file is
    missing: another data directory's or this one's? --repair refuses, and changes nothing,
    unless told to claim them."""
    old = write_archive(tmp_path / "old" / "warc", pages=2)
    Repository(archive.engine).write_batch(old.captures, [], None)  # registered to no one
    with archive.engine.begin() as conn:
        conn.execute(delete(m.WarcFile).where(m.WarcFile.name == old.path.name))
    open_file = archive.written.path.with_name(archive.written.path.name + OPEN_SUFFIX)
    archive.written.path.rename(open_file)  # something --repair would change
    assert archive.run() == 1
    out = capsys.readouterr().out
    assert "no data directory registered it" in out
    assert archive.run("--repair") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "cannot tell whether the captures in 1 missing WARC files" in err[0]
    assert open_file.exists()  # nothing done
    assert archive.run("--claim-unknown") == 2  # it goes with --repair
    capsys.readouterr()
    assert archive.run("--repair", "--claim-unknown") == 0
    assert capsys.readouterr().out.count("removed capture of") == 3
    with archive.engine.connect() as conn:
        assert len(conn.execute(select(m.Capture.id)).all()) == 4


def test_the_data_dirs_own_sqlite_database_holds_only_its_captures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database inside the data directory is its own: a missing file nobody registered is
    this data directory's to repair."""
    data = tmp_path / "data"
    written = write_archive(data / "warc", pages=2)
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    try:
        Repository(engine).write_batch(written.captures, [], None)
    finally:
        engine.dispose()
    written.path.unlink()
    assert main(["--data", str(data), "--repair"]) == 0
    assert capsys.readouterr().out.count("removed capture of") == 3


def test_a_wrong_capture_offset_is_moved_back_on_repair(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = archive.written.captures[2]
    with archive.engine.begin() as conn:
        conn.execute(
            update(m.Capture)
            .where(m.Capture.warc_record_id == moved.warc_record_id)
            .values(warc_offset=moved.warc_offset + 5)
        )
    assert archive.run() == 1
    out = capsys.readouterr().out
    name = archive.written.path.name
    assert f"{name}:{moved.warc_offset + 5}: capture " in out
    assert "no record starts at this offset" in out
    assert (
        f"{name}:{moved.warc_offset}: response record {moved.warc_record_id} has no capture" in out
    )
    assert archive.run("--repair") == 0
    assert "moved 1 captures" in capsys.readouterr().out
    with archive.engine.connect() as conn:
        offset = conn.execute(
            select(m.Capture.warc_offset).where(m.Capture.warc_record_id == moved.warc_record_id)
        ).scalar_one()
    assert offset == moved.warc_offset


def test_a_dangling_revisit_is_reported_and_not_repaired(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    writer = WarcWriter(data / "warc", prefix="test", max_size=1 << 30)
    url = f"{SITE}/news/0/"
    location = writer.write_revisit(
        request(url),
        response(b"", b"text/html", status=304),
        profile="server-not-modified",
        refers_to_record_id="<urn:uuid:00000000-0000-0000-0000-000000000000>",
        refers_to_uri=url,
        refers_to_date=T0,
        payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        fetched_at=T0 + timedelta(hours=1),
    )
    writer.close()
    engine = open_database(db_url)
    capture = replace(
        capture_of(location),
        status=304,
        record_type="revisit",
        revisit_profile="server-not-modified",
        refers_to="<urn:uuid:00000000-0000-0000-0000-000000000000>",
    )
    Repository(engine).write_batch([capture], [], None)
    engine.dispose()
    args = ["--data", str(data), "--db", db_url]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"{location.filename}:{location.offset}: revisit refers to <urn:uuid:0000" in out
    assert "which is in no response record" in out
    assert main([*args, "--repair"]) == 1
    assert "not repaired: " in capsys.readouterr().out


def test_an_orphan_record_is_stored_with_its_page_on_repair(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lost = archive.written.captures[1]
    with archive.engine.begin() as conn:
        conn.execute(delete(m.Capture).where(m.Capture.warc_record_id == lost.warc_record_id))
    assert archive.run() == 1
    assert f"response record {lost.warc_record_id} has no capture" in capsys.readouterr().out
    story = tmp_path / "story.toml"
    story.write_text(STORY_TOML)
    assert archive.run("--repair", "--story", str(story)) == 0
    out = capsys.readouterr().out
    # The fixture stored captures only: the pages of the other two are extracted too.
    assert "stored 1 captures" in out and "stored 3 pages" in out
    with archive.engine.connect() as conn:
        version = conn.execute(
            select(m.ArticleVersion.title)
            .join(m.Capture, m.Capture.id == m.ArticleVersion.capture_id)
            .where(m.Capture.warc_record_id == lost.warc_record_id)
        ).scalar_one()
        links = conn.execute(select(m.StoryArticle.relevant)).scalars().all()
    assert version and "El Salvador" in version
    assert links == [True]  # the three pages name the same canonical URL: one article


def test_an_unfinished_file_is_reported_and_recovered(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    path = archive.written.path
    cut = path.with_name(path.name + OPEN_SUFFIX)
    cut.write_bytes(path.read_bytes()[:-50])  # the last request record cut off
    path.unlink()
    assert archive.run() == 1
    out = capsys.readouterr().out
    assert f"{cut.name}: unfinished file left by a crashed crawl" in out
    assert f"{cut.name}:" in out and "gzip member cut off" in out
    assert archive.run("--repair") == 0
    out = capsys.readouterr().out
    assert f"repaired: {path.name}.open recovered: 8 complete records, cut" in out
    assert path.exists() and not cut.exists()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "no WARC directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["--bogus"])
    assert exit_.value.code == 2


def test_without_a_database_the_files_alone_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_archive(tmp_path / "data" / "warc", pages=1)
    assert main(["--data", str(tmp_path / "data")]) == 0
    captured = capsys.readouterr()
    assert "checking the WARC files only" in captured.err
    assert "0 captures checked: no problems" in captured.out


FOREIGN = Path(__file__).resolve().parents[1] / "data" / "warcs"


def test_flagged_records_of_foreign_files_are_shown_and_never_repaired_away(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files ingested where they lie: warcprox's digests of the chunked body, and WAIL's file cut
    inside a page. Their flags are properties of the files: shown, not problems, kept by repair;
    and a capture whose foreign file went missing is never removed."""
    clipped = tmp_path / "elsewhere" / "parseMe.warc.gz"
    clipped.parent.mkdir()
    data = (FOREIGN / "node-warc" / "parseMe.warc.gz").read_bytes()
    clipped.write_bytes(data[: len(data) - 30_000])
    warcprox = FOREIGN / "js-wacz" / "lil-projects.warc.gz"
    home = tmp_path / "data"
    (home / "warc").mkdir(parents=True)
    args = ["--data", str(home), "--db", db_url]
    files = [str(warcprox), str(clipped), "--workers", "1", "--progress", "0"]
    assert ingest.main([*files, *args]) == 0
    engine = open_database(db_url, create=False)
    captures = count(engine)
    capsys.readouterr()

    assert main(args) == 0

    out = capsys.readouterr().out.splitlines()
    flagged = [line for line in out if line.startswith("flagged: ")]
    assert sum(f"{warcprox}:" in line and "digest-mismatch" in line for line in flagged) == 8
    assert (
        sum(f"{clipped}:" in line and ": truncated: record cut off" in line for line in flagged)
        == 1
    )
    assert out[-1].endswith(", 9 flagged records: no problems")

    assert main([*args, "--repair"]) == 0
    assert count(engine) == captures

    clipped.rename(clipped.with_name("moved.warc.gz"))
    assert main(args) == 1
    missing = [line for line in capsys.readouterr().out.splitlines() if "is missing" in line]
    assert missing and all("ingested where it lay" in line for line in missing)
    assert main([*args, "--repair"]) == 1
    assert count(engine) == captures  # not ours to give up
    engine.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(m.Capture.id)).all())


def test_repair_takes_the_story_by_its_stored_name(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    from crawler.core.story import parse_story

    lost = archive.written.captures[1]
    with archive.engine.begin() as conn:
        conn.execute(delete(m.Capture).where(m.Capture.warc_record_id == lost.warc_record_id))
    assert archive.run("--repair", "--story", "el-salvador") == 2  # not stored yet
    assert "no story named 'el-salvador'" in capsys.readouterr().err
    Repository(archive.engine).ensure_story(parse_story(STORY_TOML))
    assert archive.run("--repair", "--story", "el-salvador") == 0
    assert "stored 1 captures" in capsys.readouterr().out
    with archive.engine.connect() as conn:
        links = conn.execute(select(m.StoryArticle.relevant)).scalars().all()
    assert links == [True]
