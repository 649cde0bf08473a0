"""Distributed crawling: workers that share one frontier in Redis (docs/distributed.md).

`enable(settings)` turns a crawl's settings into a worker's: scrapy-redis's queue and dupefilter
behind `RedisScheduler` (in-flight tracking, recovery, the end of the run), `RefusalMiddleware`
(refused requests leave the in-flight hash at once) and `SeedOnceMiddleware` (start requests once
per run). Needs the `redis` extra.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

SCHEDULER = "crawler.distributed.scheduler.RedisScheduler"
SEED_MIDDLEWARE = "crawler.distributed.seeding.SeedOnceMiddleware"
REFUSAL_MIDDLEWARE = "crawler.distributed.scheduler.RefusalMiddleware"
REFUSAL_PRIORITY = 950
"""Innermost of the downloader middlewares that can refuse a request (Scrapy's go up to 900)."""


class RedisUnavailable(RuntimeError):
    """scrapy-redis is not installed, or the Redis server does not answer."""


def enable(settings: BaseSettings, url: str) -> None:
    """Make this crawl a worker of the distributed crawl at `url` (at `cmdline` priority)."""
    settings.set("NEWSARCHIVE_REDIS_URL", url, priority="cmdline")
    settings.set("SCHEDULER", SCHEDULER, priority="cmdline")
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares[SEED_MIDDLEWARE] = 100
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="cmdline")
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader[REFUSAL_MIDDLEWARE] = REFUSAL_PRIORITY
    settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority="cmdline")


def check(url: str) -> None:
    """Raise `RedisUnavailable` with the reason unless a worker could start against `url`."""
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise RedisUnavailable(
            f"distributed crawling needs {exc.name}: pip install 'newsarchive[redis]'"
        ) from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"cannot use Redis at {shown(url)}: {exc}") from None


@contextmanager
def migration_lock(url: str, prefix: str) -> Iterator[None]:
    """Held while a worker opens (and migrates) the database: `<prefix>:migrate`, one for all
    stories, since they may share the database. Expires after 10 minutes if its holder dies."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        with client.lock(f"{prefix}:migrate", timeout=600, blocking_timeout=600):
            yield
    finally:
        client.close()


def shown(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def nothing_fetched(stats: Mapping[str, Any], story: str) -> str | None:
    """Why a worker fetched no page, when its run on Redis is the reason (from the stats its
    scheduler keeps: `redis/run`, the state it found when it joined); None when it is not."""
    state = stats.get("redis/run")
    if state is None or stats.get("scheduler/dequeued/redis"):
        return None  # not a worker, or it took requests: they failed or were refused
    run = f"the Redis run of story {story!r}"
    seen = int(stats.get("redis/seen_at_join") or 0)
    if state == "ending":
        return (
            f"{run} had nothing left to fetch when this worker joined: its other workers had "
            f"made all {seen:,} of its requests (workers that died less than "
            "NEWSARCHIVE_REDIS_WORKER_TIMEOUT seconds before count as alive), and it ended; "
            "start the crawl again for a new run"
        )
    if state == "interrupted":
        return (
            f"this worker resumed the interrupted {run.removeprefix('the ')} and found nothing "
            f"left to fetch ({seen:,} requests had been made); start the crawl again for a new run"
        )
    if state == "running":
        return f"this worker took no request: the other workers of {run} fetched everything"
    return None  # it started the run: its own start requests fetched nothing
