"""`newsarchive workers` and the distributed options of `newsarchive crawl`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from crawler.cli import crawl, workers
from crawler.distributed.coordinator import Coordinator, Keys
from tests.support import unreachable_story

STORY = unreachable_story("workers-story")


@pytest.fixture
def crawl_keys(redis_server: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Keys:
    monkeypatch.setenv("NEWSARCHIVE_REDIS_PREFIX", redis_prefix)
    monkeypatch.delenv("NEWSARCHIVE_REDIS", raising=False)
    return Keys(redis_prefix, "workers-story")


def test_workers_shows_each_worker_and_the_frontier(
    crawl_keys: Keys,
    client: redis.Redis,
    redis_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = Coordinator(client, crawl_keys, timeout=30, worker_id="box-4242-a1b2c3")
    worker.heartbeat(pages=12)
    client.zadd(crawl_keys.requests, {b"r1": 0, b"r2": 0})
    client.sadd(crawl_keys.dupefilter, "f1", "f2", "f3")
    assert workers.main(["--redis", redis_server]) == 0
    out = capsys.readouterr().out
    assert "story 'workers-story': 2 requests queued, dupefilter 3 fingerprints" in out
    assert "box-4242-a1b2c3" in out and "alive" in out
    args = ["--redis", redis_server, "--story", "workers-story", "--format", "json"]
    assert workers.main(args) == 0
    (info,) = json.loads(capsys.readouterr().out)
    assert (info["queued"], info["seen"]) == (2, 3)
    (shown,) = info["workers"]
    assert (shown["pages"], shown["inflight"], shown["alive"]) == (12, 0, True)


def test_clear_is_refused_while_a_worker_lives_then_deletes_every_key(
    crawl_keys: Keys,
    client: redis.Redis,
    redis_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = Coordinator(client, crawl_keys, timeout=30)
    worker.heartbeat()
    client.sadd(crawl_keys.dupefilter, "f1")
    args = ["--redis", redis_server, "--story", "workers-story", "--clear"]
    assert workers.main(args) == 1
    assert "are alive" in capsys.readouterr().err
    client.delete(crawl_keys.worker(worker.worker_id))  # it died
    assert workers.main(args) == 0
    assert list(client.scan_iter(match=f"{crawl_keys.base}:*")) == []


def test_workers_needs_a_reachable_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEWSARCHIVE_REDIS", raising=False)
    assert workers.main([]) == 2
    # as for crawl --redis: a server that does not answer is a mistake in what was asked
    assert workers.main(["--redis", "redis://:secret@127.0.0.1:9/0"]) == 2
    err = capsys.readouterr().err
    assert "cannot use Redis at redis://:***@127.0.0.1:9/0" in err
    assert "secret" not in err


def test_crawl_refuses_an_unreachable_redis_and_a_flush_interval_of_zero(
    crawl_keys: Keys, redis_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.toml"
    story.write_text(STORY)
    data = ["--data", str(tmp_path / "data")]
    assert crawl.main([str(story), *data, "--redis", "redis://127.0.0.1:9/0"]) == 2
    assert "cannot use Redis" in capsys.readouterr().err
    args = [str(story), *data, "--redis", redis_server, "-s", "DB_FLUSH_INTERVAL=0"]
    assert crawl.main(args) == 2
    assert "needs DB_FLUSH_INTERVAL above 0" in capsys.readouterr().err


def test_workers_shows_a_finished_run_nobody_cleaned_and_when_it_expires(
    crawl_keys: Keys,
    client: redis.Redis,
    redis_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dead = Coordinator(client, crawl_keys, timeout=30, ttl=2 * 86400, worker_id="box-7-a1b2c3")
    dead.join()
    dead.claim_seeding()
    dead.seen("f1")
    dead.seeding_done()
    client.delete(crawl_keys.worker(dead.worker_id))  # killed while idle: its heartbeat expires
    args = ["--redis", redis_server, "--story", "workers-story"]
    assert workers.main(args) == 0
    out = capsys.readouterr().out
    assert "run finished but not cleaned up (its workers died before the last could leave)" in out
    assert "the next crawl of the story deletes it and starts a new run" in out
    assert "its keys expire in 1 d 23 h 59 min unless a worker heartbeats" in out
    assert "box-7-a1b2c3" in out and "dead" in out
    assert workers.main([*args, "--format", "json"]) == 0
    (info,) = json.loads(capsys.readouterr().out)
    assert info["state"] == "finished"
    assert 2 * 86400 - 60 < info["expires_in"] <= 2 * 86400
    # with a live worker it is ending; a run that left keys without expiry says so
    Coordinator(client, crawl_keys, timeout=30).heartbeat()
    client.persist(crawl_keys.dupefilter)
    assert workers.main(args) == 0
    out = capsys.readouterr().out
    assert "run ending: nothing left to fetch, its workers are about to stop; its keys never" in out


def test_expiry_reads_in_days_hours_and_minutes() -> None:
    week = "its keys expire in 7 d 0 h 0 min unless a worker heartbeats"
    assert workers.expiry(7 * 86400) == week
    assert workers.expiry(3600 + 125) == "its keys expire in 1 h 2 min unless a worker heartbeats"
    assert workers.expiry(20) == "its keys expire in under a minute unless a worker heartbeats"
