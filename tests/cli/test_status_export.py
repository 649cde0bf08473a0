"""`newsarchive status` and `newsarchive export`, run in-process on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import export, status
from crawler.cli import main as newsarchive
from crawler.core.outcomes import UrlOutcome
from storage.db import queries
from storage.db.engine import open_database
from storage.db.queries import ExportRow
from storage.db.repository import Repository
from storage.db.runs import finish_run, insert_outcomes, start_run
from tests.storage.db.factories import OFF_TOPIC, OTHER, STORY, at, capture, gone, page

A = "http://news.example:8080/a"
B = "http://news.example:8080/b"
C = "https://other.example/c"


@pytest.fixture
def archive(db_url: str, tmp_path: Path) -> list[str]:
    """A data directory and database with three articles (two relevant) and their WARC files.
    Returns the data options to pass to a verb."""
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    repo.write_batch(
        [
            capture(A, "ra", filename="one.warc.gz"),
            capture(B, "rb", filename="one.warc.gz", offset=500),
            capture(C, "rc", filename="two.warc.gz"),
        ],
        [
            page(A, "ra", text="Dockers strike at the harbour."),
            page(B, "rb", text="Weather: sunny, ünïcode.", relevance=OFF_TOPIC),
            page(C, "rc", publisher=OTHER),
        ],
        story_id,
    )
    engine.dispose()
    (tmp_path / "data" / "warc").mkdir(parents=True)
    (tmp_path / "data" / "warc" / "one.warc.gz").write_bytes(b"x" * 2500)
    return ["--data", str(tmp_path / "data"), "--db", db_url]


def test_status_table(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert newsarchive(["status", *archive]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["publisher", "host", "captures", "articles", "relevant", "WARC",
                              "files", "WARC", "size"]  # fmt: skip
    assert out[1].split() == ["Daily", "Example", "news.example:8080", "2", "2", "1", "1", "2.5",
                              "kB"]  # fmt: skip
    # a publisher's WARC size is its own records' (2 x 1234 B, 1234 B), the total's the files'
    assert out[2].split() == ["Other", "Times", "other.example", "1", "1", "1", "1", "1.2", "kB"]
    assert out[3].split() == ["total", "3", "3", "2", "2", "2.5", "kB"]
    assert out[4] == status.WARC_NOTE
    assert out[6].startswith("1 WARC file is missing from ")
    assert out[6].endswith("warc: two.warc.gz")


def test_status_json(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main([*archive, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["publishers"][0] == {
        "publisher": "Daily Example",
        "host": "news.example:8080",
        "captures": 2,
        "articles": 2,
        "relevant": 1,
        "warc_files": 1,
        "warc_bytes": 2 * 1234,  # its two records, not the file they share with nobody else
        "warc_missing": 0,
    }
    assert report["publishers"][1]["warc_bytes"] == 1234  # its file is missing: its record's
    assert [p["host"] for p in report["publishers"]] == ["news.example:8080", "other.example"]
    assert report["total"] == {
        "captures": 3,
        "articles": 3,
        "relevant": 2,
        "warc_files": 2,
        "warc_bytes": 2500,
        "warc_missing": 1,
    }
    assert report["missing_warc_files"] == ["two.warc.gz"]
    assert report["outcomes"] == {"scope": "last", "stories": []}


def record_runs(archive: list[str]) -> tuple[int, int]:
    """Two crawl runs of the archive's story, the first finished, with their URL outcomes."""
    engine = open_database(archive[-1])
    story_id = Repository(engine).ensure_story(STORY)
    first = start_run(engine, story_id, at(0), "crawler-1", 7)
    second = start_run(engine, story_id, at(60), "crawler-1", 8)
    host = "news.example:8080"
    with engine.begin() as conn:
        insert_outcomes(conn, first, [UrlOutcome(A, "failed", "http-500", "HTTP 500", host, at(1))])
        insert_outcomes(
            conn,
            second,
            [
                UrlOutcome(A, "stored", "article", None, host, at(61)),
                UrlOutcome(B, "stored", "article", None, host, at(61)),
                UrlOutcome(C, "skipped", "robots", None, "other.example", at(61)),
            ],
        )
    finish_run(engine, first, at(2), "finished", {})
    engine.dispose()
    return first, second


def test_status_shows_the_outcomes_of_the_last_crawl(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, second = record_runs(archive)
    assert newsarchive(["status", *archive]) == 0
    out = capsys.readouterr().out
    section = out[out.index("Outcomes of the last crawl") :].splitlines()
    assert (
        section[2]
        == f"story: harbour-strike, run {second}, started 2025-03-01 13:00:00 UTC, not finished"
    )
    assert [line.split() for line in section[3:]] == [
        ["outcome", "reason", "URLs"],
        ["stored", "article", "2"],
        ["skipped", "robots", "1"],
        ["total", "3"],
    ]


def test_status_of_one_run_and_of_all_runs(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = record_runs(archive)
    assert status.main([*archive, "--run", str(first)]) == 0
    out = capsys.readouterr().out
    assert "Outcomes of the crawl run" in out
    assert f"run {first}, started 2025-03-01 12:00:00 UTC, finished after 2 min 0 s" in out
    assert (
        status.main([*archive, "--all-runs", "--story", "harbour-strike", "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)["outcomes"]
    assert report == {
        "scope": "all",
        "stories": [
            {
                "story": "harbour-strike",
                "run": None,
                "runs": 2,
                "counts": [
                    {"outcome": "stored", "reason": "article", "urls": 2},
                    {"outcome": "skipped", "reason": "robots", "urls": 1},
                    {"outcome": "failed", "reason": "http-500", "urls": 1},
                ],
                "total": 4,
            }
        ],
    }
    assert status.main([*archive, "--run", "999"]) == 2
    assert "no crawl run 999 in the database" in capsys.readouterr().err


def test_status_of_an_unknown_story(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main([*archive, "--story", "nope"]) == 2
    assert "no story named 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("verb", [status, export])
def test_no_database_is_an_error_and_creates_none(
    verb: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verb.main(["--data", str(tmp_path / "data"), "--db", db_url]) == 2
    assert "no newsarchive database at" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
    assert not any(tmp_path.rglob("*.db"))


def test_default_database_is_the_one_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEWSARCHIVE_DB", raising=False)
    data = tmp_path / "data"
    assert status.main(["--data", str(data)]) == 2
    assert f"sqlite:///{(data / 'newsarchive.db').resolve()}" in capsys.readouterr().err
    assert not (data / "newsarchive.db").exists()
    open_database(f"sqlite:///{data / 'newsarchive.db'}").dispose()
    assert status.main(["--data", str(data), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["captures"] == 0


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_to_stdout(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert newsarchive(["export", *archive]) == 0
    captured = capsys.readouterr()
    rows = lines(captured.out)
    assert [r["url"] for r in rows] == [A, B, C]
    assert rows[1]["text"] == "Weather: sunny, ünïcode."
    assert "ünïcode" in captured.out  # written as UTF-8, not \u escapes
    assert rows[2]["publisher"] == "Other Times"
    assert rows[0]["warc_record_id"] == "<urn:uuid:ra>"
    assert "3 articles written to standard output" in captured.err


def test_export_filters(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert export.main([*archive, "--relevant-only"]) == 0
    assert [r["url"] for r in lines(capsys.readouterr().out)] == [A, C]
    assert export.main([*archive, "--story", STORY.name, "--format", "jsonl"]) == 0
    assert len(lines(capsys.readouterr().out)) == 3
    assert export.main([*archive, "--story", "nope"]) == 2
    assert "no story named 'nope'" in capsys.readouterr().err


def test_export_to_a_file(archive: list[str], tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    assert export.main([*archive, "-o", str(target)]) == 0
    assert [r["url"] for r in lines(target.read_text(encoding="utf-8"))] == [A, B, C]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.jsonl"]


def test_an_interrupted_export_leaves_the_old_file(
    archive: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("previous export\n")
    real = queries.article_rows

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[ExportRow]:
        rows = real(*args, **kwargs)
        yield next(rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(queries, "article_rows", interrupted)
    assert export.main([*archive, "-o", str(target)]) == 130  # Ctrl-C: no traceback
    assert target.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.jsonl"]


def test_export_into_a_missing_directory(
    archive: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export.main([*archive, "-o", str(tmp_path / "nowhere" / "x.jsonl")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_export_all_versions_round_trip(
    archive: list[str], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    later = at(60)
    repo.write_batch(
        [capture(A, "ra2", fetched_at=later, filename="three.warc.gz")],
        [page(A, "ra2", text="Dockers strike, day two.", fetched_at=later)],
        story_id,
        revisits=[gone(B, fetched_at=later, status=404)],
    )
    engine.dispose()
    target = tmp_path / "versions.jsonl"

    assert export.main([*archive, "--all-versions", "-o", str(target)]) == 0
    assert "4 versions written to" in capsys.readouterr().err
    rows = lines(target.read_text(encoding="utf-8"))
    assert [(r["url"], r["version"], r["warc_filename"]) for r in rows] == [
        (A, 1, "one.warc.gz"),
        (A, 2, "three.warc.gz"),
        (B, 1, "one.warc.gz"),
        (C, 1, "two.warc.gz"),
    ]
    assert rows[0]["text"] == "Dockers strike at the harbour."
    assert rows[1]["text"] == "Dockers strike, day two."
    assert [(r["deleted"], r["deleted_at"]) for r in rows] == [
        (False, None),
        (False, None),
        (True, "2025-03-01T13:00:00+00:00"),
        (False, None),
    ]
    assert rows[1]["relevant"] is rows[0]["relevant"] is True  # the story's judgement, per article

    assert export.main(archive) == 0
    latest = lines(capsys.readouterr().out)
    assert [(r["url"], r["version"]) for r in latest] == [(A, 2), (B, 1), (C, 1)]
    assert all(list(r) == list(rows[0]) for r in [*rows, *latest])
