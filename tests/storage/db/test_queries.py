"""The read side on SQLite and PostgreSQL: the status report and the streamed export."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from crawler.core.story import Source
from storage.db import queries
from storage.db.queries import STREAM_ROWS, UnknownStory
from storage.db.repository import Repository

from .factories import DAILY, EXTRACTOR, OFF_TOPIC, OTHER, STORY, WARC, at, capture, page

A = "http://news.example:8080/2025/strike"
QUIET = Source(name="Quiet Gazette", url="https://quiet.example/")


def write_status_fixture(repo: Repository, story_id: int, warc_dir: Path) -> None:
    other_a = "https://other.example/a"
    repo.write_batch(
        [
            capture("http://news.example:8080/robots.txt", "r0"),
            capture(A, "r1", filename="one.warc.gz"),
            capture(A + "/2", "r2", filename="two.warc.gz"),
            capture(other_a, "r3", filename="two.warc.gz"),
            capture("https://cdn.elsewhere.example/x", "r4", filename="gone.warc.gz"),
        ],
        [
            page(A, "r1"),
            page(A + "/2", "r2", text="Weather today.", relevance=OFF_TOPIC),
            page(other_a, "r3", publisher=OTHER),
        ],
        story_id,
    )
    warc_dir.mkdir(exist_ok=True)
    (warc_dir / WARC).write_bytes(b"x" * 10)
    (warc_dir / "one.warc.gz").write_bytes(b"x" * 100)
    (warc_dir / "two.warc.gz.open").write_bytes(b"x" * 1000)


def test_status_counts_per_publisher_and_total(
    repo: Repository, story_id: int, tmp_path: Path
) -> None:
    write_status_fixture(repo, story_id, tmp_path)
    report = queries.status(repo.engine, warc_dir=tmp_path)
    rows = {r.publisher: (r.host, r.counts) for r in report.publishers}
    assert list(rows) == ["Daily Example", "Other Times", "(no publisher)"]
    daily, other, none = (rows[name][1] for name in rows)
    assert rows["Daily Example"][0] == DAILY.host
    assert (daily.captures, daily.articles, daily.relevant) == (3, 2, 1)
    # a publisher's WARC bytes are its own records', not the size of the files it shares
    assert (daily.warc_files, daily.warc_bytes, daily.warc_missing) == (3, 3 * 1234, 0)
    assert (other.captures, other.articles, other.relevant, other.warc_bytes) == (1, 1, 1, 1234)
    assert (none.captures, none.articles, none.warc_files, none.warc_missing) == (1, 0, 1, 1)
    total = report.total
    assert (total.captures, total.articles, total.relevant) == (5, 3, 2)
    assert (total.warc_files, total.warc_bytes, total.warc_missing) == (4, 1110, 1)
    assert report.missing_warc_files == ("gone.warc.gz",)


def test_status_of_one_story_lists_exactly_its_publishers(
    repo: Repository, story_id: int, tmp_path: Path
) -> None:
    write_status_fixture(repo, story_id, tmp_path)
    lone_id = repo.ensure_story(replace(STORY, name="other-story", sources=(OTHER, QUIET)))
    # An article of Daily Example judged for the story does not make Daily one of its sources;
    # Quiet Gazette is one, though nothing of it was fetched.
    repo.write_batch(
        [],
        [page("https://other.example/b", None, publisher=OTHER), page(f"{A}/3", None)],
        lone_id,
    )
    report = queries.status(repo.engine, "other-story", warc_dir=tmp_path)
    assert [
        (r.publisher, r.host, r.counts.captures, r.counts.articles, r.counts.relevant)
        for r in report.publishers
    ] == [("Other Times", OTHER.host, 1, 1, 1), ("Quiet Gazette", QUIET.host, 0, 0, 0)]
    assert (report.total.captures, report.total.articles, report.total.warc_files) == (1, 1, 1)
    with pytest.raises(UnknownStory):
        queries.status(repo.engine, "nope", warc_dir=tmp_path)


def test_status_of_an_empty_database(repo: Repository, tmp_path: Path) -> None:
    report = queries.status(repo.engine, warc_dir=tmp_path / "absent")
    assert report.publishers == ()
    assert report.total.captures == report.total.warc_files == 0


EXPORT_FIELDS = {
    "url", "publisher", "title", "authors", "published", "modified", "language", "site_name",
    "text", "word_count", "version", "text_sha256", "extractor", "first_seen", "last_seen",
    "change_kinds", "stealth", "deleted", "deleted_at", "captured_at", "warc_filename",
    "warc_offset", "warc_record_id",
    "story", "relevant", "relevance_score", "matched_terms", "relevance_reason", "cluster_id",
    "is_original", "cluster_size",
}  # fmt: skip


def test_export_gives_the_latest_version_with_its_capture(repo: Repository, story_id: int) -> None:
    repo.write_batch([capture(A, "r1", offset=10)], [page(A, "r1")], story_id)
    repo.write_batch(
        [capture(A, "r2", fetched_at=at(5), offset=20)],
        [page(A, "r2", text="Second text.", fetched_at=at(5))],
        story_id,
    )
    [row] = list(queries.iter_articles(repo.engine))
    assert set(row) == EXPORT_FIELDS
    assert row == row | {
        "url": A,
        "publisher": "Daily Example",
        "title": "Dockers strike",
        "authors": ["A. Writer", "B. Reporter"],
        "published": "2025-03-01",
        "modified": None,
        "language": "en",
        "text": "Second text.",
        "version": 2,
        "extractor": EXTRACTOR,
        "first_seen": "2025-03-01T12:05:00+00:00",
        "deleted": False,
        "deleted_at": None,
        "captured_at": "2025-03-01T12:05:00+00:00",
        "warc_filename": WARC,
        "warc_offset": 20,
        "warc_record_id": "<urn:uuid:r2>",
        "story": "harbour-strike",
        "relevant": True,
        "relevance_score": 0.9,
        "matched_terms": ["strike", "harbour"],
        "relevance_reason": "all",
        "cluster_id": None,  # not clustered yet
        "is_original": None,
        "cluster_size": None,
    }


def test_export_filters_by_story_and_relevance(repo: Repository, story_id: int) -> None:
    lone_id = repo.ensure_story(replace(STORY, name="other-story", sources=()))
    b, c = A + "/b", A + "/c"
    repo.write_batch([], [page(A, None), page(b, None, relevance=OFF_TOPIC)], story_id)
    repo.write_batch([], [page(A, None, fetched_at=at(1))], lone_id)
    repo.write_batch([], [page(c, None, relevance=None)], story_id)

    def export(**kwargs: Any) -> list[tuple[str, str | None]]:
        return [(r["url"], r["story"]) for r in queries.iter_articles(repo.engine, **kwargs)]

    assert export() == [(A, "harbour-strike"), (A, "other-story"), (b, "harbour-strike"), (c, None)]
    assert export(story="harbour-strike") == [(A, "harbour-strike"), (b, "harbour-strike")]
    assert export(relevant_only=True) == [(A, "harbour-strike"), (A, "other-story")]
    assert export(story="other-story", relevant_only=True) == [(A, "other-story")]
    with pytest.raises(UnknownStory):
        queries.iter_articles(repo.engine, story="nope")


def test_export_streams(repo: Repository, story_id: int) -> None:
    n = STREAM_ROWS * 2 + 1
    repo.write_batch([], [page(f"{A}/{i}", None, text=f"Text {i}.") for i in range(n)], story_id)
    executed: list[tuple[bool, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            executed.append((bool(context.execution_options.get("stream_results")), cursor))

    event.listen(repo.engine, "after_cursor_execute", seen)
    rows = queries.iter_articles(repo.engine)
    assert executed == []
    first = next(rows)
    assert first["url"].startswith(A)
    [(streaming, cursor)] = executed
    assert streaming
    if repo.engine.dialect.name == "postgresql":
        import psycopg

        assert isinstance(cursor, psycopg.ServerCursor)
    assert sum(1 for _ in rows) == n - 1
