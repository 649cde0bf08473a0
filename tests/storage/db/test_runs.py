"""Crawl runs and their URL outcomes: written once per URL and run, read back by story and run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from crawler.core.outcomes import Outcome, UrlOutcome
from storage.db import models as m
from storage.db import queries
from storage.db.queries import OutcomeCount, UnknownRun, UnknownStory
from storage.db.repository import Repository
from storage.db.runs import finish_run, insert_outcomes, json_stats, start_run

from .factories import DAILY, OTHER, STORY, at, capture

A = "http://news.example:8080/a"
B = "http://news.example:8080/b"
C = "https://other.example/c"


def outcome(url: str, kind: Outcome, reason: str, source: str | None = DAILY.host) -> UrlOutcome:
    return UrlOutcome(url, kind, reason, None, source, at(1))


def test_one_outcome_per_url_and_run_the_first_one_kept(engine: Engine, story_id: int) -> None:
    run = start_run(engine, story_id, at(0), "host-1", 42)
    with engine.begin() as conn:
        assert insert_outcomes(conn, run, [outcome(A, "stored", "article")]) == 1
        again = [outcome(A, "skipped", "duplicate"), outcome(C, "failed", "http-500", OTHER.host)]
        assert insert_outcomes(conn, run, again) == 1
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.UrlOutcome.url, m.UrlOutcome.reason, m.Publisher.host)
            .join(m.Publisher, m.Publisher.id == m.UrlOutcome.publisher_id)
            .order_by(m.UrlOutcome.url)
        ).all()
    assert [tuple(r) for r in rows] == [(A, "article", DAILY.host), (C, "http-500", OTHER.host)]


def test_outcomes_go_in_the_same_transaction_as_a_batch(repo: Repository, story_id: int) -> None:
    run = start_run(repo.engine, story_id, at(0), "host-1", 42)
    result = repo.write_batch(
        [capture(A, "ra")], [], story_id, outcomes=[outcome(A, "archived", "feed")], run_id=run
    )
    assert result.outcomes == 1
    with pytest.raises(ValueError, match="crawl run"):
        repo.write_batch([], [], story_id, outcomes=[outcome(B, "archived", "feed")])


def test_finishing_a_run_keeps_its_reason_and_json_safe_stats(
    engine: Engine, story_id: int
) -> None:
    run = start_run(engine, story_id, at(0), "host-1", 42)
    finish_run(engine, run, at(5), "finished", {"start_time": at(0), "outcome/article": 3})
    with engine.connect() as conn:
        row = conn.execute(
            select(
                m.CrawlRun.host,
                m.CrawlRun.pid,
                m.CrawlRun.finish_reason,
                m.CrawlRun.finished_at,
                m.CrawlRun.stats,
            ).where(m.CrawlRun.id == run)
        ).one()
    assert tuple(row) == (
        "host-1",
        42,
        "finished",
        at(5),
        {"start_time": at(0).isoformat(), "outcome/article": 3},
    )


def test_json_stats_leaves_plain_values_alone() -> None:
    moment = datetime(2025, 2, 4, tzinfo=UTC)
    assert json_stats({"a": 1, "b": "x", "c": None, "d": 1.5, "e": moment, "f": {1}}) == {
        "a": 1,
        "b": "x",
        "c": None,
        "d": 1.5,
        "e": "2025-02-04T00:00:00+00:00",
        "f": "{1}",
    }


def test_outcome_counts_of_the_last_run_one_run_and_all_runs(engine: Engine, story_id: int) -> None:
    first = start_run(engine, story_id, at(0), "h", 1)
    second = start_run(engine, story_id, at(10), "h", 2)
    with engine.begin() as conn:
        insert_outcomes(
            conn,
            first,
            [outcome(A, "failed", "http-500"), outcome(B, "skipped", "robots")],
        )
        insert_outcomes(
            conn,
            second,
            [
                outcome(A, "stored", "article"),
                outcome(B, "skipped", "robots"),
                outcome(C, "stored", "article", OTHER.host),
            ],
        )
    finish_run(engine, first, at(5), "shutdown", {})

    (last,) = queries.outcomes(engine)
    assert last.story == STORY.name and last.runs == 1
    assert last.run is not None and last.run.id == second and last.run.finished_at is None
    assert last.counts == (
        OutcomeCount("stored", "article", 2),
        OutcomeCount("skipped", "robots", 1),
    )
    assert last.total == 3

    (one,) = queries.outcomes(engine, STORY.name, run_id=first)
    assert one.run is not None and one.run.finish_reason == "shutdown"
    assert [(c.reason, c.urls) for c in one.counts] == [("robots", 1), ("http-500", 1)]

    (every,) = queries.outcomes(engine, all_runs=True)
    assert every.run is None and every.runs == 2
    assert [(c.outcome, c.reason, c.urls) for c in every.counts] == [
        ("stored", "article", 2),
        ("skipped", "robots", 2),
        ("failed", "http-500", 1),
    ]


def test_unknown_stories_and_runs_are_refused(engine: Engine, repo: Repository) -> None:
    assert queries.outcomes(engine) == []
    with pytest.raises(UnknownStory):
        queries.outcomes(engine, "nope")
    with pytest.raises(UnknownRun, match="no crawl run 7"):
        queries.outcomes(engine, run_id=7)
    story_id = repo.ensure_story(STORY)
    run = start_run(engine, story_id, at(0), "h", 1)
    other = repo.ensure_story(type(STORY)(name="other", title="Other", sources=(OTHER,)))
    assert other != story_id
    with pytest.raises(UnknownRun, match="of story 'other'"):
        queries.outcomes(engine, "other", run_id=run)
