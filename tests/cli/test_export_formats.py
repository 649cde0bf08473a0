"""`newsarchive export` in its three formats: round trips, filters, streaming, other readers."""

from __future__ import annotations

import csv
import gc
import importlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from crawler.cli import clusters as clusters_verb
from crawler.cli import export
from crawler.clustering.signatures import ClusterOptions
from crawler.services.clusters import update_clusters
from crawler.simweb.content import seeds
from storage import export as formats
from storage.db import models as m
from storage.db import queries
from storage.db.engine import open_database
from storage.db.queries import ArticleFilter, ExportRow
from storage.db.repository import Repository
from storage.db.urls import url_hash
from tests.storage.db.factories import OFF_TOPIC, ON_TOPIC, OTHER, STORY, capture, page

from ..services.test_clusters import dated

A = "http://news.example:8080/a"
B = "http://news.example:8080/b"
C = "https://other.example/c"
D = "https://other.example/d"
AWKWARD = (
    'He said "no, never",\nthen left; ünïcode: Ελλάδα, 東京, emoji 🙂, tab\there,\r\n'
    "a CRLF above and a lone \r carriage return."
)
WIRE = "\n".join(seeds()["000"].text.paragraphs)


@pytest.fixture
def archive(db_url: str, tmp_path: Path) -> Iterator[tuple[list[str], Engine]]:
    """Four articles: A (awkward text, relevant, dated 2025-03-01), B (off-topic, dated
    2025-02-10), C (Other Times, undated, first captured 2025-03-01) and D (Other Times, a copy
    of A's wire text, dated 2025-03-02), clustered. Returns the data options and the engine."""
    engine = open_database(db_url)
    repo = Repository(engine)
    story_id = repo.ensure_story(STORY)
    repo.write_batch(
        [capture(A, "ra", offset=10), capture(B, "rb")],
        [
            page(A, "ra", text=WIRE + "\n" + AWKWARD),
            dated(
                page(B, "rb", text="Weather, sunny; “quotes”.", relevance=OFF_TOPIC),
                date(2025, 2, 10),
            ),
            dated(page(C, None, publisher=OTHER), None),
            dated(page(D, None, text=WIRE, publisher=OTHER), date(2025, 3, 2)),
        ],
        story_id,
    )
    update_clusters(engine, ClusterOptions())
    yield ["--data", str(tmp_path / "data"), "--db", db_url], engine
    engine.dispose()


def stored(engine: Engine, **filters: Any) -> list[dict[str, Any]]:
    return [formats.complete(row) for row in queries.article_rows(engine, ArticleFilter(**filters))]


def run_export(options: list[str], fmt: str, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / f"out.{fmt}"
    assert export.main([*options, "--format", fmt, "-o", str(out), *extra]) == 0
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def from_csv(kind: str, cell: str) -> Any:
    """A CSV cell back to the value it stands for, by the column's documented type."""
    if cell == "":
        return None
    if kind == "list<string>":
        return json.loads(cell)
    if kind == "bool":
        return {"true": True, "false": False}[cell]
    if kind == "int64":
        return int(cell)
    if kind == "double":
        return float(cell)
    if kind == "date32":
        return date.fromisoformat(cell)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(cell)
    return cell


def read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        assert tuple(next(reader)) == formats.NAMES
        return [
            {
                name: from_csv(kind, cell)
                for (name, kind, _), cell in zip(formats.COLUMNS, row, strict=True)
            }
            for row in reader
        ]


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


# --- round trips ---------------------------------------------------------------------------------


def test_jsonl_round_trip(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    options, engine = archive
    rows = read_jsonl(run_export(options, "jsonl", tmp_path))
    assert rows == [as_json(row) for row in stored(engine)]
    assert rows[0]["text"].endswith(AWKWARD)
    assert rows[0]["schema_version"] == formats.SCHEMA_VERSION


def test_export_carries_the_relevance_reason(
    archive: tuple[list[str], Engine], tmp_path: Path
) -> None:
    """Why an article is (not) relevant is in every format, as the story judgement says it."""
    options, _ = archive
    jsonl = read_jsonl(run_export(options, "jsonl", tmp_path))
    reasons = {row["url"]: row["relevance_reason"] for row in jsonl}
    assert reasons[A] == ON_TOPIC.reason
    assert reasons[B] == OFF_TOPIC.reason == "no match"
    csv_rows = read_csv(run_export(options, "csv", tmp_path))
    assert {row["url"]: row["relevance_reason"] for row in csv_rows} == reasons


def test_csv_round_trip(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    options, engine = archive
    out = run_export(options, "csv", tmp_path)
    raw = out.read_bytes()
    assert raw.startswith(b"url,publisher,title,") and raw.count(b"\r\n") >= 5
    rows = read_csv(out)
    expected = stored(engine)
    # CSV cannot tell an empty list from null: an empty field is null, '[]' an empty list.
    assert rows == expected
    assert rows[0]["text"].endswith(AWKWARD)


def test_parquet_round_trip(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    options, engine = archive
    out = run_export(options, "parquet", tmp_path)
    table = pq.read_table(out)
    assert (
        table.schema.metadata[b"newsarchive.schema_version"] == str(formats.SCHEMA_VERSION).encode()
    )
    assert table.schema.names == list(formats.NAMES)
    assert str(table.schema.field("published").type) == "string"  # a time or a day, ISO 8601
    assert str(table.schema.field("first_seen").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("authors").type) == "list<element: string>"
    assert str(table.schema.field("word_count").type) == "int64"
    assert table.to_pylist() == stored(engine)


def test_parquet_writes_row_groups_while_streaming(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "x.parquet"
    with out.open("wb") as sink:
        assert formats.write_parquet(synthetic(25), sink, row_group_rows=10) == 25
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    with out.open("wb") as sink:
        assert formats.write_parquet(iter(()), sink) == 0
    assert pq.read_table(out).num_rows == 0


def test_parquet_needs_a_file(
    archive: tuple[list[str], Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    options, _ = archive
    assert export.main([*options, "--format", "parquet"]) == 2
    assert "needs -o FILE" in capsys.readouterr().err


def test_csv_to_standard_output(
    archive: tuple[list[str], Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    options, engine = archive
    assert export.main([*options, "--format", "csv"]) == 0
    reader = csv.reader(io.StringIO(capsys.readouterr().out, newline=""))
    assert len(list(reader)) == 1 + len(stored(engine))


# --- filters -------------------------------------------------------------------------------------


def urls(options: list[str], tmp_path: Path, *extra: str) -> list[str]:
    return [row["url"] for row in read_jsonl(run_export(options, "jsonl", tmp_path, *extra))]


def test_filter_story_and_relevance(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    options, _ = archive
    assert urls(options, tmp_path, "--story", STORY.name) == [A, B, C, D]
    assert urls(options, tmp_path, "--relevant-only") == [A, C, D]


def test_filter_publisher_by_host_or_name(
    archive: tuple[list[str], Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options, _ = archive
    assert urls(options, tmp_path, "--publisher", "other.example") == [C, D]
    assert urls(options, tmp_path, "--publisher", "Daily Example") == [A, B]
    both = ("--publisher", "Daily Example", "--publisher", "other.example")
    assert urls(options, tmp_path, *both) == [A, B, C, D]
    assert export.main([*options, "--publisher", "Nowhere News"]) == 2
    assert "no publisher named 'Nowhere News'" in capsys.readouterr().err


def test_filter_since_until_fall_back_to_the_first_capture(
    archive: tuple[list[str], Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options, _ = archive
    # A is published 2025-03-01, B 2025-02-10, D 2025-03-02; C is undated, first captured
    # 2025-03-01 12:00 UTC.
    assert urls(options, tmp_path, "--since", "2025-03-01") == [A, C, D]
    assert urls(options, tmp_path, "--until", "2025-03-01") == [A, B, C]
    assert urls(options, tmp_path, "--since", "2025-03-02") == [D]
    assert urls(options, tmp_path, "--since", "2025-02-01", "--until", "2025-02-28") == [B]
    with pytest.raises(SystemExit):
        export.main([*options, "--since", "March"])
    assert "not a date" in capsys.readouterr().err


def test_filter_all_versions(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    options, engine = archive
    Repository(engine).write_batch(
        [], [page(C, None, text="A second text.", publisher=OTHER)], None
    )
    rows = read_jsonl(
        run_export(options, "jsonl", tmp_path, "--all-versions", "--publisher", "other.example")
    )
    assert [(r["url"], r["version"]) for r in rows] == [(C, 1), (C, 2), (D, 1)]


# --- cluster fields and the clusters verb --------------------------------------------------------


def test_cluster_fields(archive: tuple[list[str], Engine], tmp_path: Path) -> None:
    options, _ = archive
    rows = {r["url"]: r for r in read_jsonl(run_export(options, "jsonl", tmp_path))}
    fields = {url: (r["cluster_size"], r["is_original"]) for url, r in rows.items()}
    assert fields == {A: (2, True), B: (1, True), C: (1, True), D: (2, False)}
    assert rows[A]["cluster_id"] == rows[D]["cluster_id"] != rows[B]["cluster_id"]


def test_clusters_verb(
    archive: tuple[list[str], Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    options, _ = archive
    assert clusters_verb.main([*options, "--story", STORY.name]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["cluster", "size", "original", "published", "publisher", "url"]
    assert lines[1].split()[1:] == ["2", "*", "2025-03-01", "Daily", "Example", A]
    assert lines[2].split() == ["2025-03-02", "Other", "Times", D]
    assert "0 articles signed" in err
    assert clusters_verb.main([*options, "--format", "json", "--singletons", "--rebuild"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["size"] for c in report["clusters"]] == [2, 1, 1]
    assert report["clusters"][0]["members"][1] == report["clusters"][0]["members"][1] | {
        "url": D,
        "publisher": "Other Times",
        "published": "2025-03-02",
        "is_original": False,
    }
    assert clusters_verb.main([*options, "--story", "nope"]) == 2


# --- other readers -------------------------------------------------------------------------------


def reader(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'newsarchive[dev]')")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duckdb_reads_the_export(
    archive: tuple[list[str], Engine], tmp_path: Path, fmt: str
) -> None:
    duckdb = reader("duckdb")
    options, engine = archive
    out = run_export(options, fmt, tmp_path)
    source = f"read_{fmt}('{out}')"
    rows = duckdb.sql(
        f"SELECT url, text, authors, published, word_count, cluster_size, schema_version "
        f"FROM {source} ORDER BY url"
    ).fetchall()
    expected = sorted(stored(engine), key=lambda r: r["url"])
    assert [r[0] for r in rows] == [r["url"] for r in expected]
    assert [r[1] for r in rows] == [r["text"] for r in expected]
    if fmt == "parquet":
        assert [r[2] for r in rows] == [r["authors"] for r in expected]
        assert [r[3] for r in rows] == [r["published"] for r in expected]
    assert [r[4] for r in rows] == [r["word_count"] for r in expected]
    assert [r[6] for r in rows] == [formats.SCHEMA_VERSION] * len(expected)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_pandas_reads_the_export(
    archive: tuple[list[str], Engine], tmp_path: Path, fmt: str
) -> None:
    pandas = reader("pandas")
    options, engine = archive
    out = run_export(options, fmt, tmp_path)
    frame = pandas.read_parquet(out) if fmt == "parquet" else pandas.read_csv(out)
    expected = stored(engine)
    assert list(frame.columns) == list(formats.NAMES)
    assert list(frame["url"]) == [r["url"] for r in expected]
    assert list(frame["text"]) == [r["text"] for r in expected]
    assert list(frame["cluster_size"]) == [r["cluster_size"] for r in expected]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_polars_reads_the_export(
    archive: tuple[list[str], Engine], tmp_path: Path, fmt: str
) -> None:
    polars = reader("polars")
    options, engine = archive
    out = run_export(options, fmt, tmp_path)
    frame = polars.read_parquet(out) if fmt == "parquet" else polars.read_csv(out)
    expected = stored(engine)
    assert frame.columns == list(formats.NAMES)
    assert frame["url"].to_list() == [r["url"] for r in expected]
    assert frame["text"].to_list() == [r["text"] for r in expected]
    assert frame["is_original"].to_list() == [r["is_original"] for r in expected]
    if fmt == "parquet":
        assert frame["published"].to_list() == [r["published"] for r in expected]
        assert frame["authors"].to_list() == [r["authors"] for r in expected]


# --- memory --------------------------------------------------------------------------------------


def synthetic(count: int) -> Iterator[ExportRow]:
    """Export rows as `article_rows` yields them, each with its own 2 kB text."""
    when = datetime(2025, 3, 1, tzinfo=UTC)
    for i in range(count):
        yield {
            "url": f"https://news.example/{i}", "publisher": "Daily Example", "title": f"T{i}",
            "authors": ["A. Writer"], "published": "2025-03-01T09:00:00+01:00",
            "published_precision": "time", "modified": None, "modified_precision": None,
            "language": "en", "language_source": "declared", "site_name": "Daily",
            "text": f"{i} " + "word " * 400,
            "word_count": 401, "version": 1, "text_sha256": "0" * 64, "extractor": "x",
            "first_seen": when, "last_seen": when, "deleted": False, "deleted_at": None,
            "captured_at": when, "warc_filename": "f", "warc_offset": i, "warc_record_id": "r",
            "story": None, "relevant": None, "relevance_score": None, "matched_terms": None,
            "relevance_reason": None, "change_kinds": None, "stealth": None,
            "cluster_id": i, "is_original": True, "cluster_size": 1,
        }  # fmt: skip


def fill(engine: Engine, count: int) -> None:
    """`count` articles written straight into the tables (the repository is too slow for 20k)."""
    when = datetime(2025, 3, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for start in range(0, count, 1000):
            ids = range(start + 1, min(start + 1000, count) + 1)
            conn.execute(
                insert(m.Url),
                [{"id": i, "url": f"https://n.example/{i}", "url_hash": url_hash(f"https://n.example/{i}"),
                  "first_seen": when} for i in ids],
            )  # fmt: skip
            conn.execute(
                insert(m.ArticleVersion),
                [{"url_id": i, "version": 1, "title": f"T{i}", "authors": ["A"], "published": None,
                  "modified": None, "language": "en", "site_name": None, "description": None,
                  "text": f"{i} " + "word " * 400, "text_sha256": "0" * 64, "word_count": 401,
                  "first_seen": when, "last_seen": when, "extractor": "x"} for i in ids],
            )  # fmt: skip


def export_peak(engine: Engine, fmt: str, sink: Any) -> int:
    """Peak Python memory of exporting the whole database (bytes above the start)."""
    gc.collect()
    tracemalloc.start()
    try:
        rows = queries.article_rows(engine)
        if fmt == "parquet":
            formats.write_parquet(rows, sink, row_group_rows=500)
        else:
            export.write(fmt, rows, sink)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def sized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Engine]]:
    """Two SQLite databases, of 2,000 and of 20,000 articles."""
    engines = []
    for count in (2_000, 20_000):
        engine = open_database(f"sqlite:///{tmp_path_factory.mktemp('sized') / 'n.db'}")
        fill(engine, count)
        engines.append(engine)
    yield engines
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_memory_stays_flat(sized: list[Engine], fmt: str) -> None:
    small, large = (export_peak(engine, fmt, _Discard()) for engine in sized)
    # Ten times the rows (about 40 MB of text) may cost a little more, never ten times as much.
    assert large < small * 1.5 + 512 * 1024, (small, large)


class _Discard:
    """A sink that forgets what is written (a file would too), so only the export is measured."""

    def __init__(self) -> None:
        self._size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        self._size += len(data)
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
