"""The repository on SQLite and PostgreSQL: batches, versions, aliases, story links, reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError

from storage.db import models as m
from storage.db.repository import STREAM_ROWS, Repository, UnknownStory

from .factories import (
    DAILY,
    EXTRACTOR,
    OFF_TOPIC,
    OTHER,
    STORY,
    WARC,
    at,
    capture,
    page,
)

A = "http://news.example:8080/2025/strike"


@pytest.fixture
def story_id(repo: Repository) -> int:
    repo.ensure_publishers(STORY.sources)
    return repo.ensure_story(STORY)


def versions(engine: Engine, url: str = A) -> list[dict[str, Any]]:
    v = m.ArticleVersion
    stmt = (
        select(v.version, v.text_sha256, v.first_seen, v.last_seen, v.capture_id, v.text)
        .join(m.Url, m.Url.id == v.url_id)
        .where(m.Url.url == url)
        .order_by(v.version)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def urls(engine: Engine) -> dict[str, tuple[str | None, str | None, str | None]]:
    """url -> (canonical url, publisher host, discovered_via)."""
    canonical = m.Url.__table__.alias("canonical")
    stmt = (
        select(m.Url.url, canonical.c.url, m.Publisher.host, m.Url.discovered_via)
        .outerjoin(canonical, canonical.c.id == m.Url.canonical_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.Url.publisher_id)
    )
    with engine.connect() as conn:
        return {row[0]: (row[1], row[2], row[3]) for row in conn.execute(stmt)}


def count(engine: Engine, model: type[m.Base]) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_ensure_story_and_publishers_are_idempotent_and_update(repo: Repository) -> None:
    hosts = repo.ensure_publishers(STORY.sources)
    assert set(hosts) == {"news.example:8080", "other.example"}
    story_id = repo.ensure_story(STORY)
    renamed = type(STORY)(name=STORY.name, title="Renamed", sources=STORY.sources)
    assert repo.ensure_story(renamed) == story_id
    assert repo.ensure_publishers(STORY.sources) == hosts
    with repo.engine.connect() as conn:
        assert conn.execute(select(m.Story.title)).scalar_one() == "Renamed"
    assert repo.ensure_publishers([]) == {}


def test_same_text_bumps_last_seen_changed_text_makes_version_2(
    repo: Repository, story_id: int
) -> None:
    first = repo.write_batch([capture(A, "r1")], [page(A, "r1")], story_id)
    assert (first.captures, first.pages, first.new_versions, first.unchanged_versions) == (
        1, 1, 1, 0,
    )
    second = repo.write_batch(
        [capture(A, "r2", fetched_at=at(60))], [page(A, "r2", fetched_at=at(60))], story_id
    )
    assert (second.new_versions, second.unchanged_versions) == (0, 1)
    [v1] = versions(repo.engine)
    assert (v1["version"], v1["first_seen"], v1["last_seen"]) == (1, at(0), at(60))

    third = repo.write_batch(
        [capture(A, "r3", fetched_at=at(120))],
        [page(A, "r3", text="The strike ended today.", fetched_at=at(120))],
        story_id,
    )
    assert (third.new_versions, third.unchanged_versions) == (1, 0)
    old, new = versions(repo.engine)
    assert old["last_seen"] == at(60)
    assert (new["version"], new["first_seen"]) == (2, at(120))
    assert new["text"] == "The strike ended today."
    with repo.engine.connect() as conn:
        capture_id = conn.execute(
            select(m.Capture.id).where(m.Capture.warc_record_id == "<urn:uuid:r3>")
        ).scalar_one()
    assert new["capture_id"] == capture_id


def test_versions_within_one_batch(repo: Repository, story_id: int) -> None:
    result = repo.write_batch(
        [capture(A, "r1"), capture(A, "r2", fetched_at=at(5)), capture(A, "r3", fetched_at=at(9))],
        [
            page(A, "r1"),
            page(A, "r2", fetched_at=at(5)),
            page(A, "r3", text="Changed.", fetched_at=at(9)),
        ],
        story_id,
    )
    assert (result.new_versions, result.unchanged_versions) == (2, 1)
    v1, v2 = versions(repo.engine)
    assert (v1["version"], v1["last_seen"], v2["version"], v2["first_seen"]) == (1, at(5), 2, at(9))


def test_last_seen_never_moves_back(repo: Repository, story_id: int) -> None:
    repo.write_batch([], [page(A, None, fetched_at=at(30))], story_id)
    repo.write_batch([], [page(A, None, fetched_at=at(10))], story_id)
    [v1] = versions(repo.engine)
    assert (v1["first_seen"], v1["last_seen"], v1["capture_id"]) == (at(30), at(30), None)


def test_redirects_tracking_variants_and_canonical_are_aliases(
    repo: Repository, story_id: int
) -> None:
    requested = "http://NEWS.example:8080/s/123?utm_source=feed"
    final = "http://news.example:8080/2025/strike?page=1"
    canonical = "http://news.example:8080/2025/strike"
    repo.write_batch(
        [
            capture(requested, "r0", status=301, location=final),
            capture(final, "r1", fetched_at=at(1)),
        ],
        [
            page(
                requested,
                "r1",
                final_url=final,
                aliases=(requested,),
                canonical=canonical + "#top",
                fetched_at=at(1),
                discovered_via="feed",
            )
        ],
        story_id,
    )
    host = DAILY.host
    assert urls(repo.engine) == {
        "http://news.example:8080/s/123": (canonical, host, "feed"),
        final: (canonical, host, "feed"),
        canonical: (None, host, "feed"),
    }
    assert [v["version"] for v in versions(repo.engine, canonical)] == [1]


def test_canonical_on_another_host_is_ignored(repo: Repository, story_id: int) -> None:
    repo.write_batch(
        [capture(A, "r1")],
        [page(A, "r1", canonical="https://other.example/stolen")],
        story_id,
    )
    assert "https://other.example/stolen" not in urls(repo.engine)
    assert len(versions(repo.engine, A)) == 1


def test_a_later_page_can_make_an_alias_canonical_again(repo: Repository, story_id: int) -> None:
    b = "http://news.example:8080/b"
    repo.write_batch([], [page(A, None, canonical=b)], story_id)
    assert urls(repo.engine)[A][0] == b
    repo.write_batch([], [page(A, None, text="Now its own article.", fetched_at=at(5))], story_id)
    assert urls(repo.engine)[A][0] is None
    assert urls(repo.engine)[b][0] is None


def test_capture_urls_get_publishers_by_host(repo: Repository, story_id: int) -> None:
    repo.write_batch(
        [
            capture("http://news.example:8080/robots.txt", "r1"),
            capture("https://other.example/feed.xml", "r2"),
            capture("https://cdn.elsewhere.example/x", "r3"),
        ],
        [],
        story_id,
    )
    assert urls(repo.engine) == {
        "http://news.example:8080/robots.txt": (None, DAILY.host, None),
        "https://other.example/feed.xml": (None, OTHER.host, None),
        "https://cdn.elsewhere.example/x": (None, None, None),
    }


def test_duplicate_captures_are_ignored(repo: Repository, story_id: int) -> None:
    first = repo.write_batch([capture(A, "r1"), capture(A, "r1")], [], story_id)
    again = repo.write_batch([capture(A, "r1"), capture(A, "r2")], [], story_id)
    assert (first.captures, first.duplicate_captures) == (1, 1)
    assert (again.captures, again.duplicate_captures) == (1, 1)
    assert count(repo.engine, m.Capture) == 2


def test_pages_that_are_not_articles_only_record_urls(repo: Repository, story_id: int) -> None:
    section = "http://news.example:8080/section/"
    result = repo.write_batch([capture(section, "r1")], [page(section, "r1", text=None)], story_id)
    assert (result.pages, result.new_versions, result.story_links) == (1, 0, 0)
    assert urls(repo.engine) == {section: (None, DAILY.host, "link")}
    assert count(repo.engine, m.ArticleVersion) == 0
    assert count(repo.engine, m.StoryArticle) == 0


def test_story_link_is_upserted_with_the_judged_version(repo: Repository, story_id: int) -> None:
    repo.write_batch([capture(A, "r1")], [page(A, "r1", relevance=OFF_TOPIC)], story_id)
    repo.write_batch(
        [capture(A, "r2", fetched_at=at(5))],
        [page(A, "r2", text="Strike at the harbour, day two.", fetched_at=at(5))],
        story_id,
    )
    link, version = m.StoryArticle, m.ArticleVersion
    with repo.engine.connect() as conn:
        rows = conn.execute(
            select(link.relevant, link.relevance_score, link.matched_terms, version.version).join(
                version, version.id == link.version_id
            )
        ).all()
    assert [tuple(r) for r in rows] == [(True, 0.9, ["strike", "harbour"], 2)]


def test_without_a_story_no_links_are_written(repo: Repository) -> None:
    result = repo.write_batch([capture(A, "r1")], [page(A, "r1")], None)
    assert (result.new_versions, result.story_links) == (1, 0)
    assert count(repo.engine, m.StoryArticle) == 0


def test_a_failing_batch_writes_nothing(repo: Repository, story_id: int) -> None:
    # The story link, written last, names a story that does not exist.
    with pytest.raises(IntegrityError):
        repo.write_batch([capture(A, "r1")], [page(A, "r1")], story_id + 1)
    assert count(repo.engine, m.Capture) == count(repo.engine, m.Url) == 0
    assert count(repo.engine, m.ArticleVersion) == 0


def test_large_batches_are_split_into_statements(repo: Repository, story_id: int) -> None:
    n = 1200
    pages = [page(f"{A}/{i}", f"r{i}", text=f"Story number {i}.") for i in range(n)]
    caps = [capture(f"{A}/{i}", f"r{i}") for i in range(n)]
    result = repo.write_batch(caps, pages, story_id)
    assert (result.captures, result.new_versions, result.story_links) == (n, n, n)


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
    report = repo.status(warc_dir=tmp_path)
    rows = {r.publisher: (r.host, r.counts) for r in report.publishers}
    assert list(rows) == ["Daily Example", "Other Times", "(no publisher)"]
    daily, other, none = (rows[name][1] for name in rows)
    assert rows["Daily Example"][0] == DAILY.host
    assert (daily.captures, daily.articles, daily.relevant) == (3, 2, 1)
    assert (daily.warc_files, daily.warc_bytes, daily.warc_missing) == (3, 1110, 0)
    assert (other.captures, other.articles, other.relevant, other.warc_bytes) == (1, 1, 1, 1000)
    assert (none.captures, none.articles, none.warc_files, none.warc_missing) == (1, 0, 1, 1)
    total = report.total
    assert (total.captures, total.articles, total.relevant) == (5, 3, 2)
    assert (total.warc_files, total.warc_bytes, total.warc_missing) == (4, 1110, 1)
    assert report.missing_warc_files == ("gone.warc.gz",)


def test_status_of_one_story(repo: Repository, story_id: int, tmp_path: Path) -> None:
    write_status_fixture(repo, story_id, tmp_path)
    lone = type(STORY)(name="other-story", title="Other", sources=(OTHER,))
    lone_id = repo.ensure_story(lone)
    repo.write_batch([], [page("https://other.example/b", None, publisher=OTHER)], lone_id)

    report = repo.status("other-story", warc_dir=tmp_path)
    assert [(r.publisher, r.counts.articles, r.counts.relevant) for r in report.publishers] == [
        ("Other Times", 1, 1)
    ]
    assert report.total.captures == 1
    with pytest.raises(UnknownStory):
        repo.status("nope", warc_dir=tmp_path)


def test_status_of_an_empty_database(repo: Repository, tmp_path: Path) -> None:
    report = repo.status(warc_dir=tmp_path / "absent")
    assert report.publishers == ()
    assert report.total.captures == report.total.warc_files == 0


EXPORT_FIELDS = {
    "url", "publisher", "title", "authors", "published", "modified", "language", "site_name",
    "text", "word_count", "version", "text_sha256", "extractor", "first_seen", "last_seen",
    "captured_at", "warc_filename", "warc_offset", "warc_record_id", "story", "relevant",
    "relevance_score", "matched_terms",
}  # fmt: skip


def test_export_gives_the_latest_version_with_its_capture(
    repo: Repository, story_id: int
) -> None:
    repo.write_batch([capture(A, "r1", offset=10)], [page(A, "r1")], story_id)
    repo.write_batch(
        [capture(A, "r2", fetched_at=at(5), offset=20)],
        [page(A, "r2", text="Second text.", fetched_at=at(5))],
        story_id,
    )
    [row] = list(repo.iter_articles())
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
        "captured_at": "2025-03-01T12:05:00+00:00",
        "warc_filename": WARC,
        "warc_offset": 20,
        "warc_record_id": "<urn:uuid:r2>",
        "story": "harbour-strike",
        "relevant": True,
        "relevance_score": 0.9,
        "matched_terms": ["strike", "harbour"],
    }


def test_export_filters_by_story_and_relevance(repo: Repository, story_id: int) -> None:
    lone_id = repo.ensure_story(type(STORY)(name="other-story", title="O", sources=()))
    b, c = A + "/b", A + "/c"
    repo.write_batch([], [page(A, None), page(b, None, relevance=OFF_TOPIC)], story_id)
    repo.write_batch([], [page(A, None, fetched_at=at(1))], lone_id)
    repo.write_batch([], [page(c, None, relevance=None)], story_id)

    def export(**kwargs: Any) -> list[tuple[str, str | None]]:
        return [(r["url"], r["story"]) for r in repo.iter_articles(**kwargs)]

    assert export() == [(A, "harbour-strike"), (A, "other-story"), (b, "harbour-strike"), (c, None)]
    assert export(story="harbour-strike") == [(A, "harbour-strike"), (b, "harbour-strike")]
    assert export(relevant_only=True) == [(A, "harbour-strike"), (A, "other-story")]
    assert export(story="other-story", relevant_only=True) == [(A, "other-story")]
    with pytest.raises(UnknownStory):
        repo.iter_articles(story="nope")


def test_export_streams(repo: Repository, story_id: int) -> None:
    n = STREAM_ROWS * 2 + 1
    repo.write_batch([], [page(f"{A}/{i}", None, text=f"Text {i}.") for i in range(n)], story_id)
    executed: list[tuple[bool, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            executed.append((bool(context.execution_options.get("stream_results")), cursor))

    event.listen(repo.engine, "after_cursor_execute", seen)
    rows = repo.iter_articles()
    assert executed == []
    first = next(rows)
    assert first["url"].startswith(A)
    [(streaming, cursor)] = executed
    assert streaming
    if repo.engine.dialect.name == "postgresql":
        import psycopg

        assert isinstance(cursor, psycopg.ServerCursor)
    assert sum(1 for _ in rows) == n - 1
