"""A worker's scheduler on a real Redis: what enters its in-flight hash and when it leaves."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler
from scrapy_redis.scheduler import Scheduler

from crawler.distributed import REFUSAL_MIDDLEWARE, REFUSAL_PRIORITY, enable
from crawler.distributed.coordinator import Keys
from crawler.distributed.scheduler import RedisScheduler, RefusalMiddleware
from crawler.refusals import BlockedAddress


@pytest.fixture
def worker(redis_server: str, redis_prefix: str) -> Iterator[tuple[RedisScheduler, Any]]:
    settings = {"NEWSARCHIVE_REDIS_URL": redis_server, "NEWSARCHIVE_REDIS_PREFIX": redis_prefix}
    crawler = get_crawler(Spider, settings)
    spider = Spider(name="refusals")
    crawler.spider = spider  # the scheduler names its keys after the crawl's spider
    scheduler = RedisScheduler.from_crawler(crawler)
    # scrapy-redis's part of `open` (the queue); the rest needs a running reactor for its timer
    Scheduler.open(scheduler, spider)
    scheduler.coordinator.join()
    scheduler.ready = True
    crawler.engine = SimpleNamespace(scheduler=scheduler)  # type: ignore[assignment]
    yield scheduler, crawler
    scheduler.server.close()


def inflight(client: redis.Redis, scheduler: RedisScheduler) -> int:
    keys: Keys = scheduler.coordinator.keys
    return int(client.hlen(keys.inflight(scheduler.coordinator.worker_id)))


def taken(scheduler: RedisScheduler, url: str) -> Request:
    assert scheduler.enqueue_request(Request(url))
    request = scheduler.next_request()
    assert request is not None and request.url == url
    return request


@pytest.mark.parametrize(
    "refusal",
    [
        IgnoreRequest("Forbidden by robots.txt"),
        BlockedAddress("http://127.0.0.1:9/", "loopback"),
    ],
)
def test_a_refused_request_leaves_the_inflight_hash_at_once(
    worker: tuple[RedisScheduler, Any], client: redis.Redis, refusal: IgnoreRequest
) -> None:
    scheduler, crawler = worker
    request = taken(scheduler, "http://127.0.0.1:9/private/page")
    assert inflight(client, scheduler) == 1
    RefusalMiddleware.from_crawler(crawler).process_exception(request, refusal)
    # gone before the store pipeline has said anything: a death now cannot hand it on
    assert inflight(client, scheduler) == 0
    assert crawler.stats.get_value("redis/refused") == 1
    assert not scheduler._active and not scheduler._done


def test_a_failed_download_stays_in_flight_until_stored(
    worker: tuple[RedisScheduler, Any], client: redis.Redis
) -> None:
    scheduler, crawler = worker
    request = taken(scheduler, "http://127.0.0.1:9/page")
    RefusalMiddleware.from_crawler(crawler).process_exception(request, TimeoutError())
    assert inflight(client, scheduler) == 1  # a retry or its failure is still to come


def test_a_duplicate_never_enters_the_queue_or_the_inflight_hash(
    worker: tuple[RedisScheduler, Any], client: redis.Redis
) -> None:
    scheduler, _ = worker
    taken(scheduler, "http://127.0.0.1:9/page")
    assert not scheduler.enqueue_request(Request("http://127.0.0.1:9/page"))
    assert scheduler.next_request() is None
    assert inflight(client, scheduler) == 1


def test_queue_and_dupefilter_keep_the_runs_expiry(
    worker: tuple[RedisScheduler, Any], client: redis.Redis
) -> None:
    scheduler, _ = worker
    keys = scheduler.coordinator.keys
    client.delete(keys.requests, keys.dupefilter)
    assert scheduler.enqueue_request(Request("http://127.0.0.1:9/a"))
    for key in (keys.requests, keys.dupefilter):
        assert 0 < client.pttl(key) <= scheduler.coordinator.ttl_ms, key


def test_enable_puts_the_refusal_middleware_innermost() -> None:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    enable(settings, "redis://127.0.0.1:6379/0")
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares[REFUSAL_MIDDLEWARE] == REFUSAL_PRIORITY
    others = [p for name, p in middlewares.items() if p is not None and name != REFUSAL_MIDDLEWARE]
    assert max(others) < REFUSAL_PRIORITY
