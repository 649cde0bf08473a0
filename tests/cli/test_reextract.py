"""`newsarchive diff --extractions` (two extractions of one capture) and the options of
`newsarchive reextract`; the verb's runs over a real archive are in tests/integration."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.cli import diff, ingest, reextract, verify
from crawler.cli import main as newsarchive
from crawler.cli.common import CliError
from crawler.cli.options import extract_options
from crawler.extraction.options import ExtractOptions
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.reextract import Reextracted
from storage.db.repository import Repository
from tests.storage.db.factories import DAILY, EXTRACTOR, OPTIONS, STORY, at, capture, page

A = "http://news.example:8080/2025/strike"
B = "http://news.example:8080/2025/other"
TEXT_1 = "The dockers went on strike at the harbour.\nThe port is closed."
TEXT_2 = "The dockers went on strike at the harbour.\nThe port is closed.\nReaders: well done."
NEW_OPTIONS = ExtractOptions(include_comments=True).digest


@pytest.fixture
def archive(db_url: str, tmp_path: Path) -> list[str]:
    """A captured twice (r1, r2) by the crawl; r2 extracted again with comments. B captured
    once and never extracted again."""
    repo = Repository(open_database(db_url))
    story_id = repo.ensure_story(STORY)
    for n in (1, 2):
        repo.write_batch(
            [capture(A, f"r{n}", fetched_at=at(n))],
            [page(A, f"r{n}", text=TEXT_1, fetched_at=at(n))],
            story_id,
        )
    repo.write_batch([capture(B, "rb")], [page(B, "rb")], story_id)
    with repo.engine.connect() as conn:
        r2 = conn.execute(
            select(m.Capture.id).where(m.Capture.warc_record_id == "<urn:uuid:r2>")
        ).scalar_one()
    made = page(A, "r2", text=TEXT_2).extraction
    assert made is not None
    repo.write_reextracted(
        [
            Reextracted(
                r2, A, DAILY.host, at(2), dataclasses.replace(made, options_digest=NEW_OPTIONS)
            )
        ]
    )
    repo.engine.dispose()
    return ["--data", str(tmp_path / "data"), "--db", db_url]


def test_diff_of_the_two_latest_extractions_of_the_latest_capture(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert newsarchive(["diff", A, "--extractions", *archive]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == A
    assert lines[1].startswith("capture ") and "<urn:uuid:r2>" in lines[1]
    assert lines[1].endswith("(fetched 2025-03-01 12:02:00 UTC)")
    assert lines[2].startswith(f"from: {EXTRACTOR}, options {OPTIONS}, extracted ")
    assert lines[2].endswith(": version 1")
    assert lines[3].startswith(f"to:   {EXTRACTOR}, options {NEW_OPTIONS}, extracted ")
    assert lines[3].endswith(": version 2")
    assert lines[4:] == [
        "3 words added, 0 removed",
        "",
        "title (unchanged): Dockers strike",
        "text:",
        "The dockers went on strike at the harbour.",
        "The port is closed.{+",
        "Readers: well done.+}",
    ]


def test_diff_of_extractions_as_json_and_of_a_chosen_capture(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        diff.main([A, "--extractions", "--capture", "urn:uuid:r2", "--format", "json", *archive])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["url", "capture", "from", "to", "title", "text"]
    assert out["capture"]["warc_record_id"] == "<urn:uuid:r2>"
    assert (out["from"]["options_digest"], out["to"]["options_digest"]) == (OPTIONS, NEW_OPTIONS)
    assert (out["from"]["version"], out["to"]["version"], out["to"]["reason"]) == (1, 2, None)
    assert (out["text"]["words_added"], out["text"]["words_removed"]) == (3, 0)

    capture_id = out["capture"]["id"]
    assert diff.main([A, "--extractions", "--capture", str(capture_id - 1), *archive]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"newsarchive diff: capture {capture_id - 1} has only one recorded extraction: nothing "
        "to compare (run `newsarchive reextract` with other options first)\n"
    )


def test_diff_of_extractions_errors(archive: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert diff.main([A, "--extractions", "--capture", "<urn:uuid:nope>", *archive]) == 2
    assert (
        capsys.readouterr().err == "newsarchive diff: no capture <urn:uuid:nope> in the database\n"
    )
    assert diff.main(["http://news.example:8080/nope", "--extractions", *archive]) == 2
    assert "no URL http://news.example:8080/nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        diff.main([A, "--capture", "1", *archive])
    with pytest.raises(SystemExit):
        diff.main([A, "--extractions", "--to", "2", *archive])


@pytest.mark.parametrize("verb", ["reextract", "ingest", "verify"])
def test_extraction_options_come_from_settings_then_flags(tmp_path: Path, verb: str) -> None:
    """Every verb that extracts resolves its options one way, as the crawl does."""
    parsers = {
        "reextract": (reextract.build_parser, []),
        "ingest": (ingest._parser, ["some.warc.gz"]),
        "verify": (verify.build_parser, []),
    }
    build, required = parsers[verb]

    def options(*argv: str) -> tuple[ExtractOptions, int]:
        args = build().parse_args([*required, "--data", str(tmp_path), *argv])
        return extract_options(
            args, getattr(args, "workers", None) if verb == "reextract" else None
        )

    assert options() == (ExtractOptions(), 0)
    recall = ExtractOptions(favor="recall")
    assert options("-s", "EXTRACT_FAVOR=recall")[0] == options("--favor", "recall")[0] == recall
    assert options("-s", "EXTRACT_FAVOR=recall", "--favor", "precision")[0].favor == "precision"
    assert options("--comments", "--no-tables", "--min-words", "5")[0] == ExtractOptions(
        include_comments=True, include_tables=False, min_words=5
    )
    if verb == "reextract":
        assert options("-s", "EXTRACT_WORKERS=3")[1] == options("--workers", "3")[1] == 3
    with pytest.raises(CliError, match="min_words must be 0 or more"):
        options("--min-words", "-1")
    with pytest.raises(CliError, match="-s takes NAME=VALUE"):
        options("-s", "EXTRACT_FAVOR")


def test_reextract_needs_a_database(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reextract.main(["--data", str(tmp_path), "--db", db_url]) == 2
    assert "no newsarchive database at" in capsys.readouterr().err


def test_reextract_of_an_unknown_story(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert reextract.main(["--story", "nope", "--progress", "0", *archive]) == 2
    assert "no story named 'nope' in the database" in capsys.readouterr().err


def test_a_run_with_nothing_to_do_says_so_in_one_line() -> None:
    from crawler.cli.reextract import report
    from crawler.services.reextract import Summary

    line = report(Summary())
    assert line.startswith("nothing to re-extract: ") and line.count("\n") == 1
    assert "--all" in line
    assert "no capture was chosen" in report(Summary(), forced=True)
    table = report(Summary(total=3, read=3))
    assert "captures read:" in table and "errors:" in table
    missing = report(Summary(missing_files={"a.warc.gz": 2}))  # something to tell: the table
    assert "missing WARC file a.warc.gz: 2 captures skipped" in missing
