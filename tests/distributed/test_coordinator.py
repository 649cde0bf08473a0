"""The shared state of a distributed crawl, step by step, on a real Redis."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from crawler.distributed.coordinator import Coordinator, Keys, look
from crawler.distributed.runs import clear, frontier_info, live_workers, stories


@pytest.fixture
def keys(redis_prefix: str) -> Keys:
    return Keys(redis_prefix, "a story")


def worker(client: redis.Redis, keys: Keys, name: str, timeout: float = 30) -> Coordinator:
    coordinator = Coordinator(client, keys, timeout=timeout, worker_id=f"host-{name}-abc123")
    coordinator.heartbeat()
    return coordinator


def stop_heartbeating(client: redis.Redis, keys: Keys, coordinator: Coordinator) -> None:
    """What the expiry of a dead worker's heartbeat does, at once: a short `timeout` waited out
    with a sleep could also run out between a heartbeat and the check that the worker is alive
    on a loaded machine (the expiry itself is tested in
    `test_a_heartbeat_expires_after_the_timeout_and_every_run_key_after_the_ttl`)."""
    client.delete(keys.worker(coordinator.worker_id))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll until `condition` holds: Redis expires keys in its own time, a sleep of a fixed
    length can be too short for it on a slow machine."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


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
    dead = worker(client, keys, "1")
    survivor = worker(client, keys, "2")
    queue(client, keys, (b"a", 3), (b"b", 1), (b"c", 0))
    dead.pop()
    dead.pop()
    assert survivor.recover_dead() == {}  # still alive
    stop_heartbeating(client, keys, dead)
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
    first = worker(client, keys, "1")
    second = worker(client, keys, "2")
    assert first.claim_seeding() == "seed"
    assert second.claim_seeding() == "wait"
    stop_heartbeating(client, keys, first)  # the seeder dies
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


def joiner(client: redis.Redis, keys: Keys, name: str, **options: float) -> Coordinator:
    options.setdefault("timeout", 30)
    return Coordinator(client, keys, worker_id=f"host-{name}-abc123", **options)


def run_keys(client: redis.Redis, keys: Keys) -> list[str]:
    return sorted(raw.decode() for raw in client.scan_iter(match=f"{keys.base}:*"))


def test_join_says_whether_the_run_is_new_or_running(client: redis.Redis, keys: Keys) -> None:
    first = joiner(client, keys, "1").join()
    assert (first.state, first.alive) == ("new", 0)
    second = joiner(client, keys, "2").join()
    assert (second.state, second.alive) == ("running", 1)
    assert set(live_workers(client, keys)) == {"host-1-abc123", "host-2-abc123"}


def test_a_finished_run_whose_workers_died_is_deleted_by_the_next_worker(
    client: redis.Redis, keys: Keys
) -> None:
    """The issue: both workers killed while idle leave seed=done and a full dupefilter; the
    next worker must not join that run (its start requests would all be dropped as seen)."""
    dead = [joiner(client, keys, str(n), timeout=0.2) for n in (1, 2)]
    for worker_ in dead:
        worker_.join()
    assert dead[0].claim_seeding() == "seed"
    client.sadd(keys.dupefilter, "f1", "f2", "f3")
    queue(client, keys, (b"x", 0))
    job, _ = dead[1].pop() or ("", b"")
    dead[1].ack([job])
    dead[0].seeding_done()
    time.sleep(0.3)  # both stop heartbeating: killed while idle
    assert look(client, keys).state == "finished"
    assert look(client, keys).state == "finished"  # looking changes nothing
    found = joiner(client, keys, "3").join()
    assert (found.state, found.seen, found.queued, found.inflight) == ("finished", 3, 0, 0)
    assert not client.exists(keys.dupefilter, keys.seed, keys.jobs)
    assert client.smembers(keys.workers) == {b"host-3-abc123"}
    assert run_keys(client, keys) == sorted([keys.workers, keys.worker("host-3-abc123")])
    assert joiner(client, keys, "3").claim_seeding() == "seed"  # it seeds the new run


def test_a_run_whose_dead_workers_left_work_is_resumed_not_deleted(
    client: redis.Redis, keys: Keys
) -> None:
    dead = joiner(client, keys, "1", timeout=0.2)
    dead.join()
    dead.claim_seeding()
    dead.seeding_done()
    client.sadd(keys.dupefilter, "f1", "f2")
    queue(client, keys, (b"x", 0))
    dead.pop()  # in flight when it died, queue empty
    time.sleep(0.3)
    assert look(client, keys).state == "interrupted"
    survivor = joiner(client, keys, "2")
    found = survivor.join()
    assert (found.state, found.seen, found.queued, found.inflight) == ("interrupted", 2, 0, 1)
    assert client.scard(keys.dupefilter) == 2
    assert survivor.recover_dead() == {dead.worker_id: 1}
    assert survivor.claim_seeding() == "done"  # resumed: not seeded again


def test_a_worker_joining_a_live_idle_run_finds_it_ending(client: redis.Redis, keys: Keys) -> None:
    live = joiner(client, keys, "1")
    live.join()
    live.claim_seeding()
    live.seeding_done()
    client.sadd(keys.dupefilter, "f1")
    found = joiner(client, keys, "2").join()
    assert (found.state, found.seen, found.alive) == ("ending", 1, 1)
    assert client.exists(keys.dupefilter)  # a live run is never deleted


def test_the_remains_of_a_partly_expired_run_are_deleted(client: redis.Redis, keys: Keys) -> None:
    client.sadd(keys.dupefilter, "f1")  # the seed key expired first: nothing says it was seeded
    client.zadd(keys.requests, {b"x": 0})
    assert look(client, keys).state == "expired"
    assert joiner(client, keys, "1").join().state == "expired"
    assert not client.exists(keys.dupefilter, keys.requests)


def test_workers_joining_a_finished_run_at_once_clean_it_once_and_one_seeds(
    redis_server: str, keys: Keys
) -> None:
    setup = redis.Redis.from_url(redis_server)
    dead = joiner(setup, keys, "0", timeout=0.1)
    dead.join()
    dead.claim_seeding()
    dead.seeding_done()
    setup.sadd(keys.dupefilter, "f1")
    time.sleep(0.2)
    clients = [redis.Redis.from_url(redis_server) for _ in range(8)]
    workers_ = [joiner(c, keys, str(n + 1)) for n, c in enumerate(clients)]
    barrier = threading.Barrier(len(workers_))

    def start(worker_: Coordinator) -> tuple[str, str]:
        barrier.wait()
        state = worker_.join().state
        return state, worker_.claim_seeding()

    with ThreadPoolExecutor(len(workers_)) as pool:
        results = list(pool.map(start, workers_))
    for c in [setup, *clients]:
        c.close()
    states = sorted(state for state, _ in results)
    assert states == ["finished"] + ["running"] * 7, results
    assert sorted(role for _, role in results) == ["seed"] + ["wait"] * 7, results


def start_run(a: Coordinator) -> None:
    """`a` joins, seeds two requests, has one in flight and sees a fingerprint: every key of
    a run exists."""
    a.join()
    a.claim_seeding()
    a.push(b"r1", 0)
    a.push(b"r2", 1)
    assert a.seen("fingerprint") is False
    assert a.seen("fingerprint") is True
    a.pop()
    a.seeding_done()


def test_a_heartbeat_renews_the_expiry_of_every_key_of_the_run(
    client: redis.Redis, keys: Keys
) -> None:
    """Renewal is checked by the keys' time to live, not by outliving a short one with sleeps:
    a sleep stretched by a loaded machine would let the keys expire between two heartbeats."""
    a = joiner(client, keys, "1", timeout=30, ttl=60)
    start_run(a)
    names = run_keys(client, keys)
    assert names == sorted([*keys.shared, keys.worker(a.worker_id), keys.inflight(a.worker_id)]), (
        names
    )
    for name in names:
        ttl = 30_000 if name == keys.worker(a.worker_id) else 60_000
        assert 0 < client.pttl(name) <= ttl, name
        client.pexpire(name, 5_000)  # as if most of it had passed
    assert a.heartbeat()
    for name in names:
        assert client.pttl(name) > 5_000, name
    assert run_keys(client, keys) == names


def test_a_heartbeat_expires_after_the_timeout_and_every_run_key_after_the_ttl(
    client: redis.Redis, keys: Keys
) -> None:
    """The expiries themselves, on Redis's clock: waited for with a generous deadline, never
    with a sleep that must be long enough."""
    a = joiner(client, keys, "1", timeout=0.2, ttl=0.6)
    start_run(a)  # its heartbeat may expire already here on a loaded machine: that is the test
    wait_for(lambda: not client.exists(keys.worker(a.worker_id)), "the heartbeat to expire")
    # then abandoned: nothing of the run is left
    wait_for(lambda: run_keys(client, keys) == [], "every key of the run to expire")
    assert a.heartbeat() is False  # presumed dead


def test_requeued_requests_keep_an_expiry(client: redis.Redis, keys: Keys) -> None:
    dead = joiner(client, keys, "1", timeout=0.1)
    dead.join()
    dead.claim_seeding()
    dead.push(b"r1", 0)
    dead.pop()  # the queue empties: Redis deletes the key
    assert not client.exists(keys.requests)
    time.sleep(0.2)
    survivor = joiner(client, keys, "2")
    survivor.join()
    assert survivor.recover_dead() == {dead.worker_id: 1}
    assert client.pttl(keys.requests) > 0
    survivor.pop()
    assert survivor.leave(finished=False) is False
    assert client.pttl(keys.requests) > 0
