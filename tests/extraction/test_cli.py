"""`newsarchive extract FILE.html`: the article as JSON, or one line saying why not."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from crawler import __version__
from crawler.cli import main as newsarchive
from crawler.cli.extract import main
from crawler.extraction.extract import extractor_name
from tests.extraction.pages import ARTICLE_URL, DATA

KEYS = [
    "url",
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "canonical_url",
    "text",
    "word_count",
    "text_sha256",
    "extractor",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_article_is_printed_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(DATA / "article.html"), "--url", ARTICLE_URL)
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert list(printed) == KEYS
    assert printed["url"] == ARTICLE_URL
    assert printed["title"] == "El Salvador offers to jail deportees from the US for a fee"
    assert printed["authors"] == ["Maria López", "James Whitfield"]
    assert (printed["published"], printed["modified"]) == ("2025-02-04", "2025-02-05")
    assert printed["language"] == "en"
    assert printed["site_name"] == "The Harbour Times"
    assert printed["canonical_url"] == ARTICLE_URL
    assert "El Salvador has offered to take deportees" in printed["text"]
    assert "We use cookies" not in printed["text"]
    assert printed["word_count"] > 300
    assert len(printed["text_sha256"]) == 64
    assert printed["extractor"] == extractor_name()
    assert printed["extractor"].startswith(f"newsarchive {__version__} ")
    assert printed["extractor"].endswith(f"/ trafilatura {trafilatura.__version__}")


def test_without_url_the_page_is_its_file_uri(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "article.html"
    code, out, _ = run(capsys, str(path))
    assert code == 0
    printed = json.loads(out)
    assert printed["url"] == path.resolve().as_uri()
    # the relative <link rel=canonical> would resolve to a file: URL, so og:url is used
    assert printed["canonical_url"] == ARTICLE_URL


def test_the_capture_time_is_the_file_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page saved before the dates it states cannot have been published on them."""
    path = tmp_path / "page.html"
    shutil.copy(DATA / "bom.html", path)
    saved = datetime(2025, 1, 10, tzinfo=UTC).timestamp()
    os.utime(path, (saved, saved))
    code, out, _ = run(capsys, str(path), "--url", "https://wire.example/americas/reaction")
    assert code == 0
    assert json.loads(out)["published"] != "2025-02-05"


def test_not_an_article_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "short.html"
    code, out, err = run(capsys, str(path))
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}: not an article (too-short: ")
    assert err.endswith(" words, need 80)\n") and err.count("\n") == 1


def test_options_reach_the_extraction(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA / "short.html"), "--min-words", "20", "--favor", "recall")
    assert code == 0
    assert json.loads(out)["title"] == "Storm warning issued for coastal towns"
    code, out, _ = run(capsys, str(DATA / "article.html"), "--comments")
    assert code == 0
    assert "Outsourcing prisons" in json.loads(out)["text"]


@pytest.mark.parametrize("name", ["missing.html", "."])
def test_an_unreadable_file_exits_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"newsarchive extract: cannot read {path}: ")


@pytest.mark.parametrize("argv", [["--favor", "fast"], ["--min-words", "-3"], ["--min-words", "x"]])
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(DATA / "article.html"), *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err  # one line, naming the way to help
    assert err.count("\n") == 1 and "see newsarchive extract --help" in err


def test_the_verb_is_reachable_from_newsarchive(capsys: pytest.CaptureFixture[str]) -> None:
    assert newsarchive(["extract", str(DATA / "article.html")]) == 0
    assert json.loads(capsys.readouterr().out)["language"] == "en"
