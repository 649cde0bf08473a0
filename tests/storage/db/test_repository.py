"""The repository on SQLite and PostgreSQL: stories, batches, versions, aliases, story links."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from storage.db import models as m
from storage.db import queries
from storage.db.repository import Repository
from storage.db.urls import url_hash

from .factories import DAILY, OFF_TOPIC, OTHER, STORY, at, capture, page, revisit_capture

A = "http://news.example:8080/2025/strike"
B = "http://news.example:8080/2025/other"


def versions(engine: Engine, url: str = A) -> list[dict[str, Any]]:
    v = m.ArticleVersion
    stmt = (
        select(v.version, v.text_sha256, v.first_seen, v.last_seen, v.capture_id, v.text)
        .join(m.Url, m.Url.id == v.url_id)
        .where(m.Url.url_hash == url_hash(url))
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


def story_sources(engine: Engine) -> set[tuple[str, str]]:
    """(story name, publisher host) of every story_sources row."""
    stmt = (
        select(m.Story.name, m.Publisher.host)
        .join(m.StorySource, m.StorySource.story_id == m.Story.id)
        .join(m.Publisher, m.Publisher.id == m.StorySource.publisher_id)
    )
    with engine.connect() as conn:
        return {(name, host) for name, host in conn.execute(stmt)}


def test_ensure_story_records_the_story_its_publishers_and_their_links(repo: Repository) -> None:
    story_id = repo.ensure_story(STORY)
    assert story_sources(repo.engine) == {(STORY.name, DAILY.host), (STORY.name, OTHER.host)}
    renamed = replace(STORY, title="Renamed", sources=(replace(DAILY, name="Daily"), OTHER))
    assert repo.ensure_story(renamed) == story_id
    with repo.engine.connect() as conn:
        assert conn.execute(select(m.Story.title)).scalar_one() == "Renamed"
        publishers = conn.execute(select(m.Publisher.host, m.Publisher.name)).all()
    assert sorted(publishers) == [(DAILY.host, "Daily"), (OTHER.host, OTHER.name)]
    assert story_sources(repo.engine) == {(STORY.name, DAILY.host), (STORY.name, OTHER.host)}


def test_a_source_dropped_from_the_story_file_is_unlinked(repo: Repository) -> None:
    repo.ensure_story(STORY)
    repo.ensure_story(replace(STORY, name="lone", sources=(OTHER,)))
    repo.ensure_story(replace(STORY, sources=(DAILY,)))
    assert story_sources(repo.engine) == {(STORY.name, DAILY.host), ("lone", OTHER.host)}
    repo.ensure_story(replace(STORY, sources=()))
    assert story_sources(repo.engine) == {("lone", OTHER.host)}
    assert count(repo.engine, m.Publisher) == 2


def test_same_text_bumps_last_seen_changed_text_makes_version_2(
    repo: Repository, story_id: int
) -> None:
    first = repo.write_batch([capture(A, "r1")], [page(A, "r1")], story_id)
    assert (first.captures, first.pages, first.new_versions, first.unchanged_versions) == (
        1,
        1,
        1,
        0,
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
    """An earlier capture of the same text stored later (a web archive's, by backfill) widens
    the version back to it; last seen stays."""
    repo.write_batch([], [page(A, None, fetched_at=at(30))], story_id)
    repo.write_batch([], [page(A, None, fetched_at=at(10))], story_id)
    [v1] = versions(repo.engine)
    assert (v1["first_seen"], v1["last_seen"], v1["capture_id"]) == (at(10), at(30), None)


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


def test_a_100_kb_url_is_stored_and_found_again(repo: Repository, story_id: int) -> None:
    # Hex digits do not compress: PostgreSQL refused such a URL in a unique index on its text.
    long = f"{A}/" + "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(1600))
    assert len(long) > 100_000
    first = repo.write_batch([capture(long, "r1")], [page(long, "r1")], story_id)
    again = repo.write_batch(
        [capture(long, "r2", fetched_at=at(5))], [page(long, "r2", fetched_at=at(5))], story_id
    )
    assert (first.new_versions, again.new_versions, again.unchanged_versions) == (1, 0, 1)
    assert count(repo.engine, m.Url) == 1
    [v1] = versions(repo.engine, long)
    assert v1["last_seen"] == at(5)
    assert [row["url"] for row in queries.iter_articles(repo.engine)] == [long]


def stored_validators(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    c = m.Capture
    with engine.connect() as conn:
        return {
            record_id: (etag, last_modified)
            for record_id, etag, last_modified in conn.execute(
                select(c.warc_record_id, c.etag, c.last_modified)
            )
        }


def test_a_304_takes_the_validators_it_omits_from_the_previous_capture(
    repo: Repository, story_id: int
) -> None:
    """RFC 9110 §15.4.5: a 304 need not repeat the validators; whichever door stores it (the
    crawl, recovery, ingest), its capture gets the previous capture's."""
    first = capture(A, "one", etag='"v1"', last_modified="Mon, 03 Feb 2025 04:00:00 GMT")
    repo.write_batch([first], [], story_id)
    same_batch = [
        revisit_capture(A, "two", "one", fetched_at=at(1), etag='W/"v2"'),
        revisit_capture(A, "three", "one", fetched_at=at(2)),
    ]
    repo.write_batch(list(reversed(same_batch)), [], story_id)  # order in the batch is no matter
    repo.write_batch([revisit_capture(B, "four", "none", fetched_at=at(3))], [], story_id)

    assert stored_validators(repo.engine) == {
        "<urn:uuid:one>": ('"v1"', "Mon, 03 Feb 2025 04:00:00 GMT"),
        "<urn:uuid:two>": ('W/"v2"', "Mon, 03 Feb 2025 04:00:00 GMT"),
        "<urn:uuid:three>": ('W/"v2"', "Mon, 03 Feb 2025 04:00:00 GMT"),
        "<urn:uuid:four>": (None, None),  # nothing earlier to take them from
    }


def test_capture_flags_and_declared_length_are_stored(repo: Repository, story_id: int) -> None:
    flagged = replace(
        capture(A, "cut"), flags=("digest-mismatch", "truncated"), declared_length=88_000
    )
    repo.write_batch([flagged, capture(B, "sound")], [], story_id)
    c = m.Capture
    with repo.engine.connect() as conn:
        rows = dict(
            (record_id, (flags, declared))
            for record_id, flags, declared in conn.execute(
                select(c.warc_record_id, c.flags, c.declared_length)
            )
        )
    assert rows == {
        "<urn:uuid:cut>": ("digest-mismatch,truncated", 88_000),
        "<urn:uuid:sound>": (None, None),
    }


def test_published_forms_are_aliases_of_the_normalised_url(repo: Repository, story_id: int) -> None:
    """From a capture's target URI (whichever door archived it) and from discovery."""
    from crawler.core.urls import PublishedForm

    plain = "http://news.example:8080/a/"
    feed, home = plain + "?utm_source=RSS_Feed&utm_medium=RSS", plain + "?utm_medium=RSS"
    repo.write_batch([capture(feed, "r1")], [page(feed, "r1", final_url=feed)], story_id)
    repo.write_batch([], [], story_id, forms=[PublishedForm(home, plain, at(5))])
    repo.write_batch([], [], story_id, forms=[PublishedForm(home, plain, at(9))])
    with repo.engine.connect() as conn:
        rows = conn.execute(
            select(m.UrlForm.form, m.Url.url, m.UrlForm.first_seen, m.UrlForm.last_seen).join(m.Url)
        ).all()
        urls = conn.execute(select(m.Url.url)).scalars().all()
    assert sorted((form, url) for form, url, _, _ in rows) == sorted([(feed, plain), (home, plain)])
    assert [(first, last) for form, _, first, last in rows if form == home] == [(at(5), at(9))]
    assert urls == [plain]  # the identity is one row: the forms are not URLs of their own


def test_batch_inserts_are_compiled_once_whatever_the_batch_size(
    repo: Repository, story_id: int
) -> None:
    """The batch's inserts run as executemany on one cached statement: a multi-row VALUES
    compiled for each batch cost half of the crawling process's database time (issue 15)."""
    from sqlalchemy import event

    compiled: dict[str, list[object]] = {}

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if statement.startswith("INSERT INTO"):
            table = statement.split()[2]
            compiled.setdefault(table, []).append(context.compiled)

    event.listen(repo.engine, "before_cursor_execute", seen)
    try:
        for start, size in ((0, 2), (2, 5)):
            urls = [f"http://news.example:8080/many/{n}" for n in range(start, start + size)]
            repo.write_batch(
                [capture(u, f"many{n}") for n, u in enumerate(urls, start)],
                [page(u, f"many{n}") for n, u in enumerate(urls, start)],
                story_id,
            )
    finally:
        event.remove(repo.engine, "before_cursor_execute", seen)
    for table in ("urls", "article_versions", "story_articles", "extractions", "captures"):
        assert table in compiled, table
        first = compiled[table][0]
        assert all(c is first for c in compiled[table]), table
