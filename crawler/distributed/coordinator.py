"""The shared state of a distributed crawl in Redis, and the few atomic steps on it.

No Scrapy here: the scheduler (`crawler.distributed.scheduler`), the seeding middleware and the
`newsarchive workers` verb drive it. Every key of one story's crawl starts with
`<prefix>:<story name>:` (`Keys`), so several stories, or several tests, share one Redis without
meeting. Multi-key steps are Lua scripts (`crawler.distributed.scripts`), so they are atomic: a
request is always in the queue or in exactly one worker's in-flight hash, never in neither. Every
key of a run expires `ttl` seconds after the last heartbeat of its last live worker.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from secrets import token_hex
from typing import Any, Literal

import redis

from crawler import settings as defaults
from crawler.distributed import scripts

DONE = "done"
"""The value of the seed key once the crawl's start requests are all in the queue."""

SeedRole = Literal["seed", "wait", "done"]

RunState = Literal["new", "running", "ending", "interrupted", "finished", "expired"]
"""What a worker finds when it joins (or `newsarchive workers` when it looks):

- `new`: no run.
- `running`: some worker is alive and there is work left (or start requests to queue).
- `ending`: some worker is alive but nothing is queued or in flight: the run is about to end.
- `interrupted`: no worker alive, work left: the next worker resumes the run.
- `finished`: no worker alive, nothing left (its workers died before the last one could clean
  up): the next worker deletes it and starts a new run.
- `expired`: no worker alive and the seed key gone (part of the run expired): the next worker
  deletes what remains and starts a new run.
"""

CLEANED: frozenset[RunState] = frozenset({"finished", "expired"})
"""States a joining worker deletes before starting a new run."""


@dataclass(frozen=True, slots=True)
class Keys:
    """The Redis keys of one story's distributed crawl (docs/distributed.md lists them)."""

    prefix: str
    story: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.story}"

    @property
    def requests(self) -> str:
        """Sorted set: the shared queue of pickled requests, by priority (scrapy-redis)."""
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        """Set: fingerprints of the requests this run has queued (scrapy-redis)."""
        return f"{self.base}:dupefilter"

    @property
    def seed(self) -> str:
        """String: the id of the worker queueing the start requests, then `done`."""
        return f"{self.base}:seed"

    @property
    def workers(self) -> str:
        """Set: the ids of the workers that joined this run and have not left."""
        return f"{self.base}:workers"

    @property
    def jobs(self) -> str:
        """Counter: makes every popped request's job id unique."""
        return f"{self.base}:jobs"

    @property
    def worker_prefix(self) -> str:
        return f"{self.base}:worker:"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.base}:inflight:"

    def worker(self, worker_id: str) -> str:
        """Hash: host, pid, started, heartbeat, pages; expires unless the worker heartbeats."""
        return self.worker_prefix + worker_id

    def inflight(self, worker_id: str) -> str:
        """Hash: job id -> pickled request, for requests the worker popped and has not finished."""
        return self.inflight_prefix + worker_id

    @property
    def shared(self) -> list[str]:
        """The keys every worker of the run uses, in the order the scripts take them: workers,
        seed, requests, dupefilter, jobs."""
        return [self.workers, self.seed, self.requests, self.dupefilter, self.jobs]


def new_worker_id() -> str:
    """`host-pid-random`: unique across machines and across restarts of one pid."""
    return f"{socket.gethostname()}-{os.getpid()}-{token_hex(3)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def as_text(value: Any) -> str:
    """A Redis reply (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class RunLook:
    """A run as one atomic look saw it (`Coordinator.join`, `look`)."""

    state: RunState
    seen: int
    """Fingerprints in the dupefilter: requests the run had queued."""
    queued: int
    inflight: int
    """Requests in the in-flight hashes of the other workers, alive or dead."""
    alive: int
    """Other workers whose heartbeat has not expired."""


def _run_look(raw: Any) -> RunLook:
    state, seen, queued, inflight, alive = raw
    return RunLook(as_text(state), int(seen), int(queued), int(inflight), int(alive))  # type: ignore[arg-type]


class Coordinator:
    """One worker's handle on the shared state of a story's crawl.

    A worker joins (`join`), then heartbeats: each heartbeat refreshes its worker hash, which
    expires `timeout` seconds after the last one, and every key of the run, which expire `ttl`
    seconds after it. A request is popped into the worker's in-flight hash and acknowledged
    (deleted from it) once the worker is done with it; a worker whose hash has expired is dead,
    and `recover_dead` puts its in-flight requests back in the queue.
    """

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        *,
        timeout: float,
        ttl: float = defaults.NEWSARCHIVE_REDIS_RUN_TTL,
        worker_id: str | None = None,
    ) -> None:
        self.client = client
        self.keys = keys
        self.timeout_ms = max(1, round(timeout * 1000))
        self.ttl_ms = max(self.timeout_ms, round(ttl * 1000))
        self.worker_id = worker_id or new_worker_id()
        self.started = _now()
        self._join = client.register_script(scripts.JOIN)
        self._pop = client.register_script(scripts.POP)
        self._requeue = client.register_script(scripts.REQUEUE)
        self._claim_seed = client.register_script(scripts.CLAIM_SEED)
        self._heartbeat = client.register_script(scripts.HEARTBEAT)
        self._leave = client.register_script(scripts.LEAVE)

    # -- membership ----------------------------------------------------------------------------

    def _fields(self, pages: int) -> list[str]:
        fields: Mapping[str, str | int] = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "heartbeat": _now(),
            "pages": pages,
        }
        return [str(part) for pair in fields.items() for part in pair]

    def join(self) -> RunLook:
        """Register this worker, and say what it found. A run that no worker is left to end
        (`finished`, `expired`: see `RunState`) is deleted first, in the same atomic step, so
        this worker starts a new one; of two workers joining at once, the second finds the
        first alive."""
        keys = self.keys
        found = self._join(
            keys=[*keys.shared, keys.worker(self.worker_id), keys.inflight(self.worker_id)],
            args=[
                self.worker_id,
                keys.worker_prefix,
                keys.inflight_prefix,
                DONE,
                self.timeout_ms,
                self.ttl_ms,
                *self._fields(0),
            ],
        )
        return _run_look(found)

    def heartbeat(self, pages: int = 0) -> bool:
        """Refresh this worker's hash and the expiry of every key of the run. False if this
        worker was unknown: it had been presumed dead (its in-flight requests then went back to
        the queue), or it never joined."""
        keys = self.keys
        known = self._heartbeat(
            keys=[
                keys.worker(self.worker_id),
                keys.workers,
                keys.seed,
                keys.requests,
                keys.dupefilter,
                keys.jobs,
                keys.inflight(self.worker_id),
            ],
            args=[self.worker_id, self.timeout_ms, self.ttl_ms, *self._fields(pages)],
        )
        return bool(known)

    def recover_dead(self) -> dict[str, int]:
        """Put the in-flight requests of every worker whose heartbeat expired back in the queue
        and forget the worker. Returns how many requests each dead worker had."""
        recovered: dict[str, int] = {}
        for raw in self.client.smembers(self.keys.workers):
            worker_id = as_text(raw)
            if worker_id == self.worker_id or self.client.exists(self.keys.worker(worker_id)):
                continue
            count = self._requeue(
                keys=[self.keys.requests, self.keys.inflight(worker_id)], args=[self.ttl_ms]
            )
            self.client.srem(self.keys.workers, worker_id)
            recovered[worker_id] = int(count)
        return recovered

    def leave(self, *, finished: bool) -> bool:
        """Deregister, putting any request still in flight back in the queue. If the run is
        `finished` and this was the last worker, delete every key of the run; returns whether
        it did."""
        keys = self.keys
        cleared = self._leave(
            keys=[keys.workers, keys.requests],
            args=[
                self.worker_id,
                keys.worker_prefix,
                keys.inflight_prefix,
                "1" if finished else "0",
                self.ttl_ms,
                *keys.shared,
            ],
        )
        return bool(cleared)

    # -- requests ------------------------------------------------------------------------------

    def push(self, data: bytes, score: float) -> None:
        """Queue a pickled request (lower scores first), keeping the queue's expiry."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(self.keys.requests, {data: score})
        pipe.pexpire(self.keys.requests, self.ttl_ms)
        pipe.execute()

    def seen(self, fingerprint: str) -> bool:
        """Whether the run has queued a request with this fingerprint; records it if not."""
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(self.keys.dupefilter, fingerprint)
        pipe.pexpire(self.keys.dupefilter, self.ttl_ms)
        added, _ = pipe.execute()
        return int(added) == 0

    def pop(self) -> tuple[str, bytes] | None:
        """The highest-priority queued request, moved into this worker's in-flight hash in the
        same step: (job id, pickled request), or None when the queue is empty."""
        keys = self.keys
        popped = self._pop(
            keys=[keys.requests, keys.inflight(self.worker_id), keys.jobs], args=[self.ttl_ms]
        )
        if not popped:
            return None
        job, data = popped
        return as_text(job), bytes(data)

    def ack(self, jobs: Iterable[str]) -> None:
        """This worker is done with these jobs (their results are stored, or they were
        refused)."""
        batch = list(jobs)
        if batch:
            self.client.hdel(self.keys.inflight(self.worker_id), *batch)

    # -- seeding and the end ------------------------------------------------------------------

    def claim_seeding(self) -> SeedRole:
        """`seed` if this worker is to queue the start requests (the first to ask, or the
        successor of a seeder that died), `done` if they are queued, `wait` if another live
        worker is queueing them."""
        role = self._claim_seed(
            keys=[self.keys.seed],
            args=[self.worker_id, self.keys.worker_prefix, DONE, self.ttl_ms],
        )
        return as_text(role)  # type: ignore[return-value]

    def seeding_done(self) -> None:
        self.client.set(self.keys.seed, DONE, px=self.ttl_ms)

    def quiet(self) -> bool:
        """Nothing left anywhere, as of one atomic look: the start requests are queued, the
        queue is empty, and no worker (live or dead) has a request in flight."""
        ids = [as_text(raw) for raw in self.client.smembers(self.keys.workers)]
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.keys.seed)
        pipe.zcard(self.keys.requests)
        for worker_id in ids:
            pipe.hlen(self.keys.inflight(worker_id))
        seed, queued, *inflight = pipe.execute()
        return seed is not None and as_text(seed) == DONE and queued == 0 and not any(inflight)


def look(client: redis.Redis, keys: Keys) -> RunLook:
    """The state of the story's run, judged as a joining worker would (read only)."""
    found = client.register_script(scripts.LOOK)(
        keys=keys.shared, args=["", keys.worker_prefix, keys.inflight_prefix, DONE]
    )
    return _run_look(found)
