"""CSV formula injection: a page's title or text can start like a spreadsheet formula. The CSV
export writes such cells so that a spreadsheet shows them as text (OWASP: a leading single
quote), unless --csv-raw asks for the stored values; other formats are never touched. The
format of `-o FILE` follows its suffix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from crawler.cli import export
from storage import export as formats
from storage.db.engine import open_database
from storage.db.repository import Repository
from tests.storage.db.factories import STORY, capture, page

HOSTILE = {
    "http://news.example:8080/a": '=HYPERLINK("http://evil.example/","click")',
    "http://news.example:8080/b": "+1+cmd|' /C calc'!A0",
    "http://news.example:8080/c": "-2+3",
    "http://news.example:8080/d": "@SUM(1+1)*cmd|' /C calc'!A0",
    "http://news.example:8080/e": "\t=1+1",
    "http://news.example:8080/f": "\r=1+1",
    "http://news.example:8080/g": "An ordinary title = fine",
}


@pytest.fixture
def archive(tmp_path: Path) -> list[str]:
    """Articles whose titles (and texts) start like formulas, and one that does not."""
    url = f"sqlite:///{tmp_path / 'newsarchive.db'}"
    engine = open_database(url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    records = [f"r{i}" for i in range(len(HOSTILE))]
    repo.write_batch(
        [capture(u, r) for u, r in zip(HOSTILE, records, strict=True)],
        [
            page(u, r, title=title, text=f"{title} and some words after it")
            for (u, title), r in zip(HOSTILE.items(), records, strict=True)
        ],
        story_id,
    )
    engine.dispose()
    return ["--data", str(tmp_path), "--db", url]


def titles(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["url"]: row["title"] for row in csv.DictReader(f)}


def test_cells_that_start_like_a_formula_get_a_leading_quote(
    archive: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "articles.csv"  # the format follows the suffix
    assert export.main([*archive, "-o", str(out)]) == 0
    written = titles(out)
    for url, title in HOSTILE.items():
        expected = title if url.endswith("/g") else "'" + title
        assert written[url] == expected
    with out.open(newline="", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert all(t.startswith("'") for t in texts if not t.startswith("An ordinary"))


def test_csv_raw_writes_the_stored_values(archive: list[str], tmp_path: Path) -> None:
    out = tmp_path / "raw.csv"
    assert export.main([*archive, "-o", str(out), "--csv-raw"]) == 0
    assert titles(out) == HOSTILE


def test_json_lines_are_never_touched(
    archive: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export.main(archive) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {line["url"]: line["title"] for line in lines} == HOSTILE


def test_neutralised_follows_owasp() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert formats.neutralised(start + "x") == "'" + start + "x"
    assert formats.neutralised("x=1") == "x=1"
    assert formats.neutralised("") == ""
    stream = io.StringIO(newline="")
    row = {name: None for name in formats.NAMES[:-1]} | {"url": "u", "title": "=1", "authors": []}
    formats.write_csv([row], stream)
    assert stream.getvalue().splitlines()[1].startswith("u,,'=1,[],")


@pytest.mark.parametrize(
    ("name", "magic"), [("x.parquet", b"PAR1"), ("x.csv", b"url,"), ("x.ndjson", b'{"url"')]
)
def test_the_format_follows_the_suffix(
    archive: list[str], tmp_path: Path, name: str, magic: bytes
) -> None:
    pytest.importorskip("pyarrow")
    out = tmp_path / name
    assert export.main([*archive, "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "x.parquet", "--format", "jsonl"], "--format jsonl does not match -o x.parquet"),
        (["-o", "x.csv.gz"], "the export is not compressed"),
        (["-o", "x.xlsx"], "give --format to write that file anyway"),
        (["--format", "jsonl", "--csv-raw"], "--csv-raw is for CSV"),
    ],
)
def test_a_format_that_contradicts_the_file_name_is_an_error(
    archive: list[str], tmp_path: Path, argv: list[str], message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    assert export.main([*archive, *argv]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newsarchive.db"]


def test_an_unknown_suffix_with_a_format_is_written(archive: list[str], tmp_path: Path) -> None:
    out = tmp_path / "articles.txt"
    assert export.main([*archive, "-o", str(out), "--format", "jsonl"]) == 0
    assert len(out.read_text().splitlines()) == len(HOSTILE)
