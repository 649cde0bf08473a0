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
    "published_precision",
    "modified",
    "modified_precision",
    "language",
    "language_source",
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
    assert (printed["published"], printed["modified"]) == (
        "2025-02-04T09:12:00+00:00",
        "2025-02-05T18:30:00+00:00",
    )
    assert (printed["published_precision"], printed["modified_precision"]) == ("time", "time")
    assert printed["language_source"] == "declared"
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


def test_without_url_the_page_is_the_url_it_declares_else_its_file_uri(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = DATA / "article.html"
    code, out, _ = run(capsys, str(path))
    assert code == 0
    printed = json.loads(out)
    # the <link rel=canonical> is relative, so og:url names the page
    assert printed["url"] == printed["canonical_url"] == ARTICLE_URL
    path = DATA / "short.html"  # names no URL of its own
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert json.loads(out)["url"] == path.resolve().as_uri()


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
    path = DATA / "short-undeclared.html"
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


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.html", "cannot read {path}: "), (".", "several files or a directory: give --jsonl")],
)
def test_an_unreadable_file_exits_2(
    name: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith("newsarchive extract: " + message.format(path=path))


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


PAGES = Path(__file__).parents[1] / "data" / "pages"


def _folder(tmp_path: Path) -> Path:
    """Saved pages: the test pages, a real brief gzipped in a subfolder, and a damaged file."""
    folder = tmp_path / "saved"
    (folder / "sub").mkdir(parents=True)
    for name in ("article.html", "section.html", "short.html", "bom.html"):
        shutil.copy(DATA / name, folder / name)
    shutil.copy(PAGES / "feuerwehrverband.de-vorbereitungstagung.html.gz", folder / "sub")
    (folder / "sub" / "broken.html.gz").write_bytes(b"not gzip at all")
    (folder / "notes.txt").write_text("not a page")
    return folder


def test_jsonl_extracts_a_folder_in_a_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path)
    code, out, err = run(capsys, str(folder), "--jsonl", "--workers", "2")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    names = [Path(line["file"]).name for line in lines]
    assert names == [
        "article.html",
        "bom.html",
        "section.html",
        "short.html",
        "broken.html.gz",
        "feuerwehrverband.de-vorbereitungstagung.html.gz",
    ]  # sorted, recursive, only pages
    assert all(list(line) == ["file", "reason", *KEYS] for line in lines)
    by_name = dict(zip(names, lines, strict=True))
    assert by_name["article.html"]["reason"] is None
    assert by_name["article.html"]["url"] == ARTICLE_URL  # declared by the page
    assert by_name["section.html"]["reason"].startswith("too-short")
    assert by_name["section.html"]["text"] is None
    assert by_name["broken.html.gz"]["reason"].startswith("error: cannot read")
    brief = by_name["feuerwehrverband.de-vorbereitungstagung.html.gz"]
    assert brief["reason"] is None and "Faktor 112" in brief["text"]
    assert brief["url"].startswith("https://www.feuerwehrverband.de/")
    assert err.splitlines()[-1] == (
        "newsarchive extract: 6 files: 4 articles, 1 not articles, 1 unreadable; "
        "written to standard output"
    )
    # the pool's text is the one of extracting the file alone
    code, single, _ = run(capsys, str(folder / "article.html"))
    assert code == 0
    assert json.loads(single) == {k: v for k, v in by_name["article.html"].items() if k in KEYS}


def test_jsonl_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    target = tmp_path / "out.jsonl"
    files = [str(folder / "short.html"), str(folder / "sub")]
    code, out, err = run(capsys, *files, "--jsonl", "--workers", "1", "-o", str(target))
    assert (code, out) == (0, "")
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [Path(line["file"]).name for line in lines] == [
        "short.html",
        "broken.html.gz",
        "feuerwehrverband.de-vorbereitungstagung.html.gz",
    ]
    assert f"written to {target}" in err
