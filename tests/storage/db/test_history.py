"""Version history on SQLite and PostgreSQL: versions, the revisit schedule, revisit records,
deleted articles, and reading an article's versions back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crawler.core.capture import Capture
from crawler.core.revisit import RevisitPolicy
from storage.db import models as m
from storage.db import queries
from storage.db.queries import UnknownUrl
from storage.db.records import BatchResult, PageRecord, RevisitRecord
from storage.db.repository import Repository
from storage.db.urls import url_hash

from .factories import T0, WARC, at, capture, gone, page, revisit_capture, unchanged

A = "http://news.example:8080/2025/strike"
ALIAS = "http://news.example:8080/s/123"
HOUR = timedelta(hours=1)
DOUBLING = RevisitPolicy(first=HOUR, factor=2, max=timedelta(days=1), age_factor=0)
"""1 h after a change, then 2 h, 4 h … : due times that are easy to check."""


def schedule(engine: Engine, url: str = A) -> dict[str, Any]:
    s = m.ArticleSchedule
    fetch = m.Url.__table__.alias("fetch")
    stmt = (
        select(
            fetch.c.url.label("fetch_url"),
            s.first_seen,
            s.last_fetched,
            s.unchanged_count,
            s.next_due_at,
            s.gone_at,
            s.gone_status,
        )
        .join(m.Url, m.Url.id == s.url_id)
        .join(fetch, fetch.c.id == s.fetch_url_id)
        .where(m.Url.url_hash == url_hash(url))
    )
    with engine.connect() as conn:
        return dict(conn.execute(stmt).one()._mapping)


def last_seen(engine: Engine) -> list[tuple[int, datetime]]:
    v = m.ArticleVersion
    with engine.connect() as conn:
        rows = conn.execute(select(v.version, v.last_seen).order_by(v.id))
        return [(number, seen) for number, seen in rows]


def test_versions_schedule_revisits_and_deletion_across_batches(
    repo: Repository, story_id: int
) -> None:
    def write(
        captures: list[Capture], pages: list[PageRecord], revisits: Sequence[RevisitRecord] = ()
    ) -> BatchResult:
        return repo.write_batch(captures, pages, story_id, revisits=revisits, policy=DOUBLING)

    # Batch 1: first seen, through a redirect. Version 1; due an hour later.
    first = write(
        [capture(ALIAS, "r0", status=301, location=A), capture(A, "r1")],
        [page(ALIAS, "r1", final_url=A, aliases=(ALIAS,))],
    )
    assert (first.new_versions, first.unchanged_versions) == (1, 0)
    assert schedule(repo.engine) == {
        "fetch_url": A,
        "first_seen": at(0),
        "last_fetched": at(0),
        "unchanged_count": 0,
        "next_due_at": at(60),
        "gone_at": None,
        "gone_status": None,
    }

    # Batch 2: fetched when due; the text hash is the same (say only a timestamp line changed).
    second = write([capture(A, "r2", fetched_at=at(60))], [page(A, "r2", fetched_at=at(60))])
    assert (second.new_versions, second.unchanged_versions) == (0, 1)
    assert last_seen(repo.engine) == [(1, at(60))]
    row = schedule(repo.engine)
    assert row == row | {
        "last_fetched": at(60),
        "unchanged_count": 1,
        "next_due_at": at(60 + 120),
    }

    # Batch 3: the text changed. Version 2; the count starts again.
    third = write(
        [capture(A, "r3", fetched_at=at(180))],
        [page(A, "r3", text="The strike ended today.", fetched_at=at(180))],
    )
    assert (third.new_versions, third.unchanged_versions) == (1, 0)
    assert last_seen(repo.engine) == [(1, at(60)), (2, at(180))]
    row = schedule(repo.engine)
    assert (row["unchanged_count"], row["next_due_at"]) == (0, at(180 + 60))

    # A revisit that found it unchanged (304): no page, but version 2 was seen again.
    revisit = write(
        [revisit_capture(A, "r4", "r3", fetched_at=at(240))],
        [],
        revisits=[unchanged(A, fetched_at=at(240))],
    )
    assert (revisit.revisits_unchanged, revisit.revisits_gone, revisit.new_versions) == (1, 0, 0)
    assert last_seen(repo.engine) == [(1, at(60)), (2, at(240))]
    row = schedule(repo.engine)
    assert (row["unchanged_count"], row["next_due_at"]) == (1, at(240 + 120))

    # A revisit of the alias answered 410: deleted, and no longer due.
    deleted = write(
        [capture(ALIAS, "r5", status=410, fetched_at=at(360))],
        [],
        revisits=[gone(ALIAS, fetched_at=at(360))],
    )
    assert (deleted.revisits_unchanged, deleted.revisits_gone) == (0, 1)
    row = schedule(repo.engine)
    assert row == row | {
        "last_fetched": at(360),
        "next_due_at": None,
        "gone_at": at(360),
        "gone_status": 410,
    }
    [row] = queries.iter_articles(repo.engine)
    assert (row["version"], row["deleted"], row["deleted_at"]) == (
        2,
        True,
        "2025-03-01T18:00:00+00:00",
    )


def test_a_page_found_again_after_it_was_gone_is_back(repo: Repository, story_id: int) -> None:
    repo.write_batch([], [page(A, None)], story_id, policy=DOUBLING)
    repo.write_batch([], [], story_id, revisits=[gone(A, fetched_at=at(60), status=404)])
    repo.write_batch([], [page(A, None, fetched_at=at(90))], story_id, policy=DOUBLING)
    row = schedule(repo.engine)
    assert row == row | {
        "gone_at": None,
        "gone_status": None,
        "unchanged_count": 1,
        "next_due_at": at(90 + 120),
    }
    [row] = queries.iter_articles(repo.engine)
    assert (row["deleted"], row["deleted_at"]) == (False, None)


def test_the_schedule_follows_the_newest_fetch(repo: Repository, story_id: int) -> None:
    repo.write_batch([], [page(A, None, fetched_at=at(30))], story_id, policy=DOUBLING)
    repo.write_batch([], [page(A, None, fetched_at=at(10))], story_id, policy=DOUBLING)
    row = schedule(repo.engine)
    assert (row["last_fetched"], row["unchanged_count"]) == (at(30), 0)


def test_the_policy_stops_revisiting(repo: Repository, story_id: int) -> None:
    short = RevisitPolicy(first=HOUR, stop_after=2 * HOUR)
    repo.write_batch([], [page(A, None)], story_id, policy=short)
    assert schedule(repo.engine)["next_due_at"] == at(60)
    repo.write_batch([], [page(A, None, fetched_at=at(60))], story_id, policy=short)
    assert schedule(repo.engine)["next_due_at"] is None  # 1 h + 2 h is past the 2 h


def test_a_fetch_url_that_brings_no_article_still_counts_as_a_fetch(
    repo: Repository, story_id: int
) -> None:
    repo.write_batch([], [page(A, None)], story_id, policy=DOUBLING)
    result = repo.write_batch(
        [], [page(A, None, text=None, fetched_at=at(60))], story_id, policy=DOUBLING
    )
    assert (result.new_versions, result.unchanged_versions) == (0, 0)
    row = schedule(repo.engine)
    assert (row["unchanged_count"], row["next_due_at"]) == (1, at(60 + 120))


def test_a_new_version_moves_the_fetch_url_to_the_url_that_served_it(
    repo: Repository, story_id: int
) -> None:
    moved = "http://news.example:8080/2025/strike-updated"
    repo.write_batch([], [page(A, None)], story_id)
    repo.write_batch(
        [],
        [page(A, None, final_url=moved, canonical=A, text="Updated.", fetched_at=at(5))],
        story_id,
    )
    assert schedule(repo.engine)["fetch_url"] == moved


def test_revisits_of_unknown_urls_are_dropped(repo: Repository, story_id: int) -> None:
    result = repo.write_batch(
        [], [], story_id, revisits=[unchanged(A, fetched_at=T0), gone(ALIAS, fetched_at=T0)]
    )
    assert (result.revisits_unchanged, result.revisits_gone) == (0, 0)
    with repo.engine.connect() as conn:
        assert conn.execute(select(m.ArticleSchedule)).all() == []


def test_revisit_captures_point_at_the_capture_that_holds_the_body(
    repo: Repository, story_id: int
) -> None:
    b = "http://news.example:8080/b"
    repo.write_batch([capture(A, "a1", etag='"1"')], [], story_id)
    # The revisit of b comes before its body in the batch; c's body is in no database.
    result = repo.write_batch(
        [
            revisit_capture(A, "a2", "a1", fetched_at=at(5), etag='"1"'),
            revisit_capture(b, "b2", "b1", fetched_at=at(5), status=200),
            capture(b, "b1"),
            revisit_capture(b, "c2", "elsewhere", fetched_at=at(6)),
        ],
        [],
        story_id,
    )
    assert (result.captures, result.duplicate_captures) == (4, 0)
    c = m.Capture
    body = m.Capture.__table__.alias("body")
    with repo.engine.connect() as conn:
        rows = conn.execute(
            select(
                c.warc_record_id,
                c.record_type,
                c.revisit_profile,
                c.refers_to,
                body.c.warc_record_id,
                c.etag,
            )
            .outerjoin(body, body.c.id == c.revisit_of_id)
            .order_by(c.warc_record_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("<urn:uuid:a1>", "response", None, None, None, '"1"'),
        ("<urn:uuid:a2>", "revisit", "server-not-modified", "<urn:uuid:a1>", "<urn:uuid:a1>",
         '"1"'),
        ("<urn:uuid:b1>", "response", None, None, None, None),
        ("<urn:uuid:b2>", "revisit", "identical-payload-digest", "<urn:uuid:b1>",
         "<urn:uuid:b1>", None),
        ("<urn:uuid:c2>", "revisit", "server-not-modified", "<urn:uuid:elsewhere>", None, None),
    ]  # fmt: skip


def test_versions_by_url_or_alias(repo: Repository, story_id: int) -> None:
    repo.write_batch(
        [capture(ALIAS, "r0", status=301, location=A), capture(A, "r1", offset=100)],
        [page(ALIAS, "r1", final_url=A, aliases=(ALIAS,))],
        story_id,
    )
    repo.write_batch(
        [], [page(A, None, text="The strike ended today.", fetched_at=at(60))], story_id
    )
    repo.write_batch([], [], story_id, revisits=[gone(A, fetched_at=at(120))])
    by_alias = queries.versions(repo.engine, "http://NEWS.example:8080/s/123?utm_source=x")
    assert by_alias == queries.versions(repo.engine, A)
    assert (by_alias.url, by_alias.deleted, by_alias.deleted_at) == (A, True, at(120))
    one, two = by_alias.versions
    assert (one.number, one.first_seen, one.last_seen) == (1, at(0), at(0))
    assert (one.captured_at, one.warc_filename, one.warc_offset, one.warc_record_id) == (
        at(0),
        WARC,
        100,
        "<urn:uuid:r1>",
    )
    assert (two.number, two.text, two.captured_at, two.warc_record_id) == (
        2,
        "The strike ended today.",
        None,
        None,
    )
    assert two.text_sha256 != one.text_sha256


def test_versions_of_a_url_that_is_no_article_or_unknown(repo: Repository, story_id: int) -> None:
    section = "http://news.example:8080/section/"
    repo.write_batch([capture(section, "r1")], [page(section, "r1", text=None)], story_id)
    assert queries.versions(repo.engine, section) == queries.ArticleHistory(section, [], None)
    with pytest.raises(UnknownUrl) as raised:
        queries.versions(repo.engine, "http://NEWS.example:8080/nope")
    assert str(raised.value) == "no URL http://news.example:8080/nope in the database"
