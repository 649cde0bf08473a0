"""The shared state of a distributed crawl, step by step, on a real Redis."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import redis

from crawler.distributed.coordinator import (
    Coordinator,
    Keys,
    clear,
    frontier_info,
    live_workers,
    stories,
)


@pytest.fixture
def client(redis_server: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_server)
    yield connection
    connection.close()


@pytest.fixture
def keys(redis_prefix: str) -> Keys:
    return Keys(redis_prefix, "a story")


def worker(client: redis.Redis, keys: Keys, name: str, timeout: float = 30) -> Coordinator:
    coordinator = Coordinator(client, keys, timeout=timeout, worker_id=f"host-{name}-abc123")
    coordinator.heartbeat()
    return coordinator


def queue(client: redis.Redis, keys: Keys, *items: tuple[bytes, int]) -> None:
    for data, priority in items:
        client.zadd(keys.requests, {data: -priority})


def test_pop_moves_the_request_into_the_workers_inflight_hash(
    client: redis.Redis, keys: Keys
) -> None:
    a = worker(client, keys, "1")
    queue(client, keys, (b"low", 0), (b"high", 5))
    job, data = a.pop() or ("", b"")
    assert data == b"high"
    assert client.zcard(keys.requests) == 1
    assert client.hgetall(keys.inflight(a.worker_id)) == {job.encode(): b"high"}
    a.ack([job])
    assert client.hlen(keys.inflight(a.worker_id)) == 0
    assert a.pop() is not None
    assert a.pop() is None


def test_a_dead_workers_requests_go_back_where_they_were(client: redis.Redis, keys: Keys) -> None:
    dead = worker(client, keys, "1", timeout=0.2)
    survivor = worker(client, keys, "2")
    queue(client, keys, (b"a", 3), (b"b", 1), (b"c", 0))
    dead.pop()
    dead.pop()
    assert survivor.recover_dead() == {}  # still alive
    time.sleep(0.3)
    assert survivor.recover_dead() == {dead.worker_id: 2}
    assert client.zrange(keys.requests, 0, -1, withscores=True) == [
        (b"a", -3.0),
        (b"b", -1.0),
        (b"c", 0.0),
    ]
    assert not client.exists(keys.inflight(dead.worker_id))
    assert client.smembers(keys.workers) == {survivor.worker_id.encode()}
    # a worker presumed dead that heartbeats again is told so, and rejoins
    assert dead.heartbeat() is False
    assert dead.heartbeat() is True


def test_one_worker_seeds_and_a_successor_takes_over_if_it_dies(
    client: redis.Redis, keys: Keys
) -> None:
    first = worker(client, keys, "1", timeout=0.2)
    second = worker(client, keys, "2")
    assert first.claim_seeding() == "seed"
    assert second.claim_seeding() == "wait"
    time.sleep(0.3)  # the seeder stops heartbeating
    assert second.claim_seeding() == "seed"
    second.seeding_done()
    assert first.claim_seeding() == "done"
    assert worker(client, keys, "3").claim_seeding() == "done"


def test_quiet_needs_seeding_done_an_empty_queue_and_nothing_in_flight(
    client: redis.Redis, keys: Keys
) -> None:
    a = worker(client, keys, "1")
    b = worker(client, keys, "2")
    assert not a.quiet()  # nothing seeded yet
    assert a.claim_seeding() == "seed"
    queue(client, keys, (b"x", 0))
    a.seeding_done()
    assert not a.quiet()
    job, _ = b.pop() or ("", b"")
    assert not a.quiet()  # b has it in flight
    b.ack([job])
    assert a.quiet()


def test_the_last_worker_out_of_a_finished_run_deletes_its_keys(
    client: redis.Redis, keys: Keys
) -> None:
    a = worker(client, keys, "1")
    b = worker(client, keys, "2")
    a.claim_seeding()
    a.seeding_done()
    client.sadd(keys.dupefilter, "fingerprint")
    assert a.leave(finished=True) is False  # b is still there
    assert client.exists(keys.dupefilter)
    assert b.leave(finished=True) is True
    assert list(client.scan_iter(match=f"{keys.base}:*")) == []


def test_an_interrupted_worker_puts_its_requests_back_and_the_run_stays(
    client: redis.Redis, keys: Keys
) -> None:
    a = worker(client, keys, "1")
    queue(client, keys, (b"x", 0))
    client.sadd(keys.dupefilter, "fingerprint")
    a.pop()
    assert a.leave(finished=False) is False
    assert client.zrange(keys.requests, 0, -1) == [b"x"]
    assert client.exists(keys.dupefilter)
    assert live_workers(client, keys) == []


def test_frontier_info_lists_stories_workers_and_sizes(client: redis.Redis, keys: Keys) -> None:
    a = worker(client, keys, "41")
    a.heartbeat(pages=7)
    queue(client, keys, (b"x", 0), (b"y", 0))
    a.pop()
    client.sadd(keys.dupefilter, "f1", "f2", "f3")
    other = Keys(keys.prefix, "other:story*")
    client.sadd(other.dupefilter, "f")
    assert stories(client, keys.prefix) == ["a story", "other:story*"]
    info = frontier_info(client, keys)
    assert (info.queued, info.seen, info.seed) == (1, 3, None)
    assert info.dupefilter_bytes is not None and info.dupefilter_bytes > 0
    (shown,) = info.workers
    assert (shown.alive, shown.pid, shown.pages, shown.inflight) == (True, os.getpid(), 7, 1)
    client.delete(keys.worker(a.worker_id))  # its heartbeat expires
    (dead,) = frontier_info(client, keys).workers
    assert (dead.alive, dead.host, dead.pid, dead.inflight) == (False, "host", 41, 1)
    assert clear(client, keys) >= 4
    assert stories(client, keys.prefix) == ["other:story*"]
