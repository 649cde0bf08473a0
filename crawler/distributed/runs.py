"""What `newsarchive workers` shows of distributed crawls, and `--clear`.

Reads only, but for `clear`: the stories with a run under a key prefix, each run's state (judged
by the same script a joining worker uses), its workers, its sizes and when its keys expire.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from crawler.distributed.coordinator import Keys, RunState, as_text, look


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
    state: RunState
    """As a worker joining now would judge the run (`RunState`)."""
    expires_in: float | None
    """Seconds until the run's keys expire unless a worker heartbeats; None if they never do
    (a run left by a version of newsarchive that set no expiry)."""
    queued: int
    seen: int
    """Fingerprints in the dupefilter: requests queued by this run so far."""
    dupefilter_bytes: int | None
    """What Redis says the dupefilter takes (`MEMORY USAGE`), None if it will not say."""
    queue_bytes: int | None
    seed: str | None
    workers: tuple[WorkerInfo, ...]


def stories(client: redis.Redis, prefix: str) -> list[str]:
    """Names of the stories with a crawl under `prefix` (SCAN, not KEYS: never blocks Redis)."""
    found = set()
    for suffix in (":requests", ":dupefilter", ":seed", ":workers"):
        for raw in client.scan_iter(match=f"{_glob_escape(prefix)}:*{suffix}", count=1000):
            found.add(as_text(raw)[len(prefix) + 1 : -len(suffix)])
    return sorted(found)


def _glob_escape(text: str) -> str:
    """`text` matched literally by a Redis SCAN pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def frontier_info(client: redis.Redis, keys: Keys) -> FrontierInfo:
    """What `newsarchive workers` shows of one story's crawl."""
    workers = []
    for raw in sorted(client.smembers(keys.workers)):
        worker_id = as_text(raw)
        fields = {as_text(k): as_text(v) for k, v in client.hgetall(keys.worker(worker_id)).items()}
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
    run = look(client, keys)
    return FrontierInfo(
        story=keys.story,
        state=run.state,
        expires_in=_expires_in(client, keys),
        queued=int(client.zcard(keys.requests)),
        seen=int(client.scard(keys.dupefilter)),
        dupefilter_bytes=_memory(client, keys.dupefilter),
        queue_bytes=_memory(client, keys.requests),
        seed=None if seed is None else as_text(seed),
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
    """The ids of the run's workers whose heartbeat has not expired."""
    return [
        as_text(raw)
        for raw in client.smembers(keys.workers)
        if client.exists(keys.worker(as_text(raw)))
    ]


def _expires_in(client: redis.Redis, keys: Keys) -> float | None:
    """The longest time to live among the run's keys (seconds); None if one of them never
    expires, or there is none."""
    pipe = client.pipeline(transaction=False)
    for key in keys.shared:
        pipe.pttl(key)
    ttls = [int(ttl) for ttl in pipe.execute()]
    if any(ttl == -1 for ttl in ttls):  # a key without expiry
        return None
    longest = max(ttls)
    return None if longest < 0 else longest / 1000
