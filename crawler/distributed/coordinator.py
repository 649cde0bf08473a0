"""The shared state of a distributed crawl in Redis, and the few atomic steps on it.

No Scrapy here: the scheduler (`crawler.distributed.scheduler`), the seeding middleware and the
`newsarchive workers` verb drive it. Every key of one story's crawl starts with
`<prefix>:<story name>:` (`Keys`), so several stories, or several tests, share one Redis without
meeting. Multi-key steps are Lua scripts, so they are atomic: a request is always in the queue or
in exactly one worker's in-flight hash, never in neither.
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

DONE = "done"
"""The value of the seed key once the crawl's start requests are all in the queue."""

SeedRole = Literal["seed", "wait", "done"]


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


# A job id is "<queue score>|<counter>": the score puts a recovered request back where it was.
_POP = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
redis.call('ZREM', KEYS[1], popped[1])
local job = popped[2] .. '|' .. redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], job, popped[1])
return {job, popped[1]}
"""

_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[1], string.match(entries[i], '^(.-)|'), entries[i + 1])
end
redis.call('DEL', KEYS[2])
return #entries / 2
"""

_CLAIM_SEED = """
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  return 'seed'
end
if holder == ARGV[3] then return 'done' end
if redis.call('EXISTS', ARGV[2] .. holder) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  return 'seed'
end
return 'wait'
"""

_HEARTBEAT = """
local known = redis.call('EXISTS', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return known
"""

# KEYS: workers, queue; ARGV: worker id, worker-hash prefix, in-flight prefix, finished (0/1),
# then every key to delete when the last worker leaves a finished run.
_LEAVE = """
local me = ARGV[1]
local entries = redis.call('HGETALL', ARGV[3] .. me)
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[2], string.match(entries[i], '^(.-)|'), entries[i + 1])
end
redis.call('DEL', ARGV[3] .. me, ARGV[2] .. me)
redis.call('SREM', KEYS[1], me)
if ARGV[4] ~= '1' or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
local others = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(others) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 or redis.call('HLEN', ARGV[3] .. id) > 0 then
    return 0
  end
end
for _, id in ipairs(others) do redis.call('DEL', ARGV[2] .. id, ARGV[3] .. id) end
redis.call('DEL', unpack(ARGV, 5))
return 1
"""


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """One registered worker as `newsarchive workers` shows it."""

    worker_id: str
    alive: bool
    """False once its heartbeat has expired: its in-flight requests are waiting for recovery."""
    host: str
    pid: int
    started: str
    heartbeat: str
    pages: int
    """Responses this worker has received."""
    inflight: int


@dataclass(frozen=True, slots=True)
class FrontierInfo:
    """The shared frontier of one story's crawl."""

    story: str
    queued: int
    seen: int
    """Fingerprints in the dupefilter: requests queued by this run so far."""
    dupefilter_bytes: int | None
    """What Redis says the dupefilter takes (`MEMORY USAGE`), None if it will not say."""
    queue_bytes: int | None
    seed: str | None
    workers: tuple[WorkerInfo, ...]


def new_worker_id() -> str:
    """`host-pid-random`: unique across machines and across restarts of one pid."""
    return f"{socket.gethostname()}-{os.getpid()}-{token_hex(3)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Coordinator:
    """One worker's handle on the shared state of a story's crawl.

    A worker registers, then heartbeats: each heartbeat refreshes its worker hash, which expires
    `timeout` seconds after the last one. A request is popped into the worker's in-flight hash and
    acknowledged (deleted from it) once the worker is done with it; a worker whose hash has
    expired is dead, and `recover_dead` puts its in-flight requests back in the queue.
    """

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        *,
        timeout: float,
        worker_id: str | None = None,
    ) -> None:
        self.client = client
        self.keys = keys
        self.timeout_ms = max(1, round(timeout * 1000))
        self.worker_id = worker_id or new_worker_id()
        self.started = _now()
        self._pop = client.register_script(_POP)
        self._requeue = client.register_script(_REQUEUE)
        self._claim_seed = client.register_script(_CLAIM_SEED)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._leave = client.register_script(_LEAVE)

    # -- membership ----------------------------------------------------------------------------

    def heartbeat(self, pages: int = 0) -> bool:
        """Register or refresh this worker. False if it was unknown: its first heartbeat, or it
        had been presumed dead (its in-flight requests then went back to the queue)."""
        fields: Mapping[str, str | int] = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "heartbeat": _now(),
            "pages": pages,
        }
        flat = [str(part) for pair in fields.items() for part in pair]
        known = self._heartbeat(
            keys=[self.keys.worker(self.worker_id), self.keys.workers],
            args=[self.worker_id, self.timeout_ms, *flat],
        )
        return bool(known)

    def recover_dead(self) -> dict[str, int]:
        """Put the in-flight requests of every worker whose heartbeat expired back in the queue
        and forget the worker. Returns how many requests each dead worker had."""
        recovered: dict[str, int] = {}
        for raw in self.client.smembers(self.keys.workers):
            worker_id = _text(raw)
            if worker_id == self.worker_id or self.client.exists(self.keys.worker(worker_id)):
                continue
            count = self._requeue(keys=[self.keys.requests, self.keys.inflight(worker_id)])
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
                keys.requests,
                keys.dupefilter,
                keys.seed,
                keys.jobs,
                keys.workers,
            ],
        )
        return bool(cleared)

    # -- requests ------------------------------------------------------------------------------

    def pop(self) -> tuple[str, bytes] | None:
        """The highest-priority queued request, moved into this worker's in-flight hash in the
        same step: (job id, pickled request), or None when the queue is empty."""
        keys = self.keys
        popped = self._pop(keys=[keys.requests, keys.inflight(self.worker_id), keys.jobs])
        if not popped:
            return None
        job, data = popped
        return _text(job), bytes(data)

    def ack(self, jobs: Iterable[str]) -> None:
        """This worker is done with these jobs (their results are stored)."""
        batch = list(jobs)
        if batch:
            self.client.hdel(self.keys.inflight(self.worker_id), *batch)

    # -- seeding and the end ------------------------------------------------------------------

    def claim_seeding(self) -> SeedRole:
        """`seed` if this worker is to queue the start requests (the first to ask, or the
        successor of a seeder that died), `done` if they are queued, `wait` if another live
        worker is queueing them."""
        role = self._claim_seed(
            keys=[self.keys.seed], args=[self.worker_id, self.keys.worker_prefix, DONE]
        )
        return _text(role)  # type: ignore[return-value]

    def seeding_done(self) -> None:
        self.client.set(self.keys.seed, DONE)

    def quiet(self) -> bool:
        """Nothing left anywhere, as of one atomic look: the start requests are queued, the
        queue is empty, and no worker (live or dead) has a request in flight."""
        ids = [_text(raw) for raw in self.client.smembers(self.keys.workers)]
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.keys.seed)
        pipe.zcard(self.keys.requests)
        for worker_id in ids:
            pipe.hlen(self.keys.inflight(worker_id))
        seed, queued, *inflight = pipe.execute()
        return seed is not None and _text(seed) == DONE and queued == 0 and not any(inflight)


def stories(client: redis.Redis, prefix: str) -> list[str]:
    """Names of the stories with a crawl under `prefix` (SCAN, not KEYS: never blocks Redis)."""
    found = set()
    for suffix in (":requests", ":dupefilter", ":seed", ":workers"):
        for raw in client.scan_iter(match=f"{_glob_escape(prefix)}:*{suffix}", count=1000):
            found.add(_text(raw)[len(prefix) + 1 : -len(suffix)])
    return sorted(found)


def _glob_escape(text: str) -> str:
    """`text` matched literally by a Redis SCAN pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def frontier_info(client: redis.Redis, keys: Keys) -> FrontierInfo:
    """What `newsarchive workers` shows of one story's crawl."""
    workers = []
    for raw in sorted(client.smembers(keys.workers)):
        worker_id = _text(raw)
        fields = {_text(k): _text(v) for k, v in client.hgetall(keys.worker(worker_id)).items()}
        # a dead worker's hash has expired; its id still says where it ran
        host, _, rest = worker_id.rpartition("-")[0].rpartition("-")
        workers.append(
            WorkerInfo(
                worker_id=worker_id,
                alive=bool(fields),
                host=fields.get("host", host),
                pid=int(fields.get("pid", rest if rest.isdigit() else 0)),
                started=fields.get("started", ""),
                heartbeat=fields.get("heartbeat", ""),
                pages=int(fields.get("pages", 0)),
                inflight=int(client.hlen(keys.inflight(worker_id))),
            )
        )
    seed = client.get(keys.seed)
    return FrontierInfo(
        story=keys.story,
        queued=int(client.zcard(keys.requests)),
        seen=int(client.scard(keys.dupefilter)),
        dupefilter_bytes=_memory(client, keys.dupefilter),
        queue_bytes=_memory(client, keys.requests),
        seed=None if seed is None else _text(seed),
        workers=tuple(workers),
    )


def _memory(client: redis.Redis, key: str) -> int | None:
    try:
        used = client.memory_usage(key, samples=0)
    except redis.ResponseError:  # MEMORY may be disabled or renamed on managed servers
        return None
    return None if used is None else int(used)


def clear(client: redis.Redis, keys: Keys) -> int:
    """Delete every key of the story's crawl; returns how many there were."""
    names = list(client.scan_iter(match=f"{_glob_escape(keys.base)}:*", count=1000))
    return int(client.delete(*names)) if names else 0


def live_workers(client: redis.Redis, keys: Keys) -> list[str]:
    return [
        _text(raw)
        for raw in client.smembers(keys.workers)
        if client.exists(keys.worker(_text(raw)))
    ]
