"""scrapy-redis's scheduler, made safe for workers that die and for ending a shared crawl.

scrapy-redis pops a request off the shared queue and forgets it: a worker killed with requests in
its downloader loses them. Its end is also unsafe: without `SCHEDULER_PERSIST` the first worker to
close wipes the queue others still need, and with it nobody ever cleans up. This scheduler keeps
scrapy-redis's queue (`PriorityQueue`, pickled requests) and dupefilter (`RFPDupeFilter`) and adds:

- **in-flight tracking**: a request is popped into this worker's in-flight hash in one atomic
  step, and acknowledged only once Scrapy is done with it (its callback has run, its items have
  passed the pipelines, the requests it made are queued) *and* the store pipeline has written
  what it was handed before then (the `stored_through` signal). A heartbeat keeps the worker's
  hash alive; when it expires, another worker puts its in-flight requests back in the queue.
  A request refused before it is sent (`IgnoreRequest` from a downloader middleware: robots.txt,
  the address guard, offsite, the URL length limit) leaves the in-flight hash at once
  (`RefusalMiddleware`), so that a worker dying afterwards cannot hand it to another worker,
  which might send it.
- **an explicit end**: a worker stays open while the queue is empty but some worker has requests
  in flight; it closes once the start requests are queued, the queue is empty and nothing is in
  flight anywhere, for `NEWSARCHIVE_REDIS_IDLE_TIME` seconds. The last worker to leave a finished
  run deletes its keys; a run that was interrupted keeps them and the next start resumes it. A
  finished run whose workers all died before the last one could leave is deleted by the next
  worker to join, which starts a new run (`Coordinator.join`).
- **expiry**: every key of a run expires `NEWSARCHIVE_REDIS_RUN_TTL` seconds after the last
  heartbeat of its last live worker.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Self

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.asyncio import AsyncioLoopingCall
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler import settings as defaults
from crawler.distributed.coordinator import Coordinator, Keys, RunLook
from crawler.identity import identity_fingerprint
from crawler.signals import stored_through

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)

JOB = "newsarchive_job"
"""Request meta: the job id of a request popped from the shared queue."""


def keys_for(crawler: Crawler) -> Keys:
    """The keys of the crawl's story under `NEWSARCHIVE_REDIS_PREFIX`."""
    story = getattr(crawler.spider, "story", None)
    name = story.name if story is not None else getattr(crawler.spider, "name", "crawl")
    prefix = crawler.settings.get("NEWSARCHIVE_REDIS_PREFIX") or defaults.NEWSARCHIVE_REDIS_PREFIX
    return Keys(prefix, str(name))


class _SharedDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # no type hints
    """scrapy-redis's dupefilter (fingerprints, logging) recording through the coordinator, so
    that the set keeps the run's expiry."""

    def __init__(self, server: redis.Redis, coordinator: Coordinator) -> None:
        super().__init__(server, coordinator.keys.dupefilter)
        self.coordinator = coordinator

    def request_seen(self, request: Request) -> bool:
        return self.coordinator.seen(self.request_fingerprint(request))

    def request_fingerprint(self, request: Request) -> str:
        """Two published forms of one URL are one request (`crawler.identity`)."""
        return identity_fingerprint(request).hex()


class RedisScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis has no type hints
    """The scheduler of one worker of a distributed crawl (`SCHEDULER`)."""

    def __init__(
        self,
        crawler: Crawler,
        server: redis.Redis,
        coordinator: Coordinator,
        *,
        heartbeat: float,
        idle_time: float,
    ) -> None:
        keys = coordinator.keys
        super().__init__(
            server,
            persist=True,  # the end and the clean-up are ours (`leave`)
            queue_key=keys.requests,
            dupefilter=_SharedDupeFilter(server, coordinator),
            dupefilter_key=keys.dupefilter,
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.coordinator = coordinator
        self.heartbeat_interval = heartbeat
        self.idle_time = idle_time
        self.ready = False
        """Set by the seeding middleware once the spider has loaded what it needs to judge
        links (its frontier): until then nothing is popped."""
        self._active: dict[str, Request] = {}
        """Jobs Scrapy is still working on."""
        self._done: list[tuple[str, float]] = []
        """Jobs Scrapy is done with, and when: acknowledged once stored."""
        self._quiet_since: float | None = None
        self._timer: AsyncioLoopingCall | None = None
        self._finished = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        url = settings.get("NEWSARCHIVE_REDIS_URL")
        if not url:
            raise ValueError("RedisScheduler needs NEWSARCHIVE_REDIS_URL")
        server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        server.ping()
        heartbeat = settings.getfloat(
            "NEWSARCHIVE_REDIS_HEARTBEAT", defaults.NEWSARCHIVE_REDIS_HEARTBEAT
        )
        timeout = settings.getfloat(
            "NEWSARCHIVE_REDIS_WORKER_TIMEOUT", defaults.NEWSARCHIVE_REDIS_WORKER_TIMEOUT
        )
        ttl = settings.getfloat("NEWSARCHIVE_REDIS_RUN_TTL", defaults.NEWSARCHIVE_REDIS_RUN_TTL)
        coordinator = Coordinator(
            server, keys_for(crawler), timeout=max(timeout, heartbeat * 2), ttl=ttl
        )
        scheduler = cls(
            crawler,
            server,
            coordinator,
            heartbeat=heartbeat,
            idle_time=settings.getfloat(
                "NEWSARCHIVE_REDIS_IDLE_TIME", defaults.NEWSARCHIVE_REDIS_IDLE_TIME
            ),
        )
        crawler.signals.connect(scheduler._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler._stored_through, signal=stored_through)
        return scheduler

    # -- the scheduler interface ---------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        super().open(spider)
        found = self.coordinator.join()
        self.stats.set_value("redis/run", found.state)
        self.stats.set_value("redis/seen_at_join", found.seen)
        self._log_joined(found)
        self._log_recovered(self.coordinator.recover_dead())
        self._timer = AsyncioLoopingCall(self._tick)
        self._timer.start(self.heartbeat_interval, now=False)

    def enqueue_request(self, request: Request) -> bool:
        # A request that carries a job is a popped one coming back (a redirect, a retry): once
        # its successor is queued, or filtered as a duplicate, the job is done.
        job = request.meta.pop(JOB, None)
        queued = request.dont_filter or not self.df.request_seen(request)
        if queued:
            # scrapy-redis's PriorityQueue.push, keeping the queue's expiry
            self.coordinator.push(self.queue._encode_request(request), -request.priority)
            self.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        if job is not None and self._active.pop(job, None) is not None:
            self._done.append((job, time.monotonic()))
        return queued

    def next_request(self) -> Request | None:
        if not self.ready:
            return None
        self._sweep()
        popped = self.coordinator.pop()
        if popped is None:
            return None
        job, data = popped
        request: Request = self.queue._decode_request(data)
        request.meta[JOB] = job
        self._active[job] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason: str) -> None:
        """Leave the crawl. The pipelines have closed, so everything handled is stored."""
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._sweep()
        self._ack(float("inf"))
        finished = reason == "finished" and self._finished
        cleared = self.coordinator.leave(finished=finished)
        if cleared:
            logger.info("Last worker out: the run is finished and its Redis keys are deleted")
        elif not finished:
            logger.info(
                "Worker %s left (%s); the crawl's queue stays in Redis for other or later workers",
                self.coordinator.worker_id,
                reason,
            )

    # -- jobs ----------------------------------------------------------------------------------

    def refused(self, request: Request) -> None:
        """A downloader middleware refused `request`: its job ends now, not once the store has
        caught up, so it leaves the in-flight hash before a death of this worker could send it
        to another one (which might not refuse it: robots.txt unreachable there, say)."""
        job = request.meta.get(JOB)
        if job is None:
            return
        self._active.pop(job, None)
        self._done = [(done, at) for done, at in self._done if done != job]
        self.coordinator.ack([job])
        self.stats.inc_value("redis/refused")

    def _in_progress(self) -> set[Request] | None:
        """The requests Scrapy's engine is working on: from download to the end of the
        callback's output. Scrapy has no signal for that end, so this reads the engine's slot
        (`ExecutionEngine._slot.inprogress`, Scrapy 2.13 to 2.19)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        inprogress: set[Request] | None = getattr(slot, "inprogress", None)
        return inprogress

    def _sweep(self) -> None:
        """Move the jobs the engine has finished with from active to done."""
        if not self._active:
            return
        inprogress = self._in_progress()
        if inprogress is None:
            return
        now = time.monotonic()
        for job, request in list(self._active.items()):
            if request not in inprogress:
                del self._active[job]
                self._done.append((job, now))

    def _stored_through(self, moment: float) -> None:
        """The store pipeline has written everything it was handed before `moment`."""
        self._sweep()
        self._ack(moment)

    def _ack(self, moment: float) -> None:
        if not self._done:
            return
        stored = [job for job, at in self._done if at <= moment]
        if not stored:
            return
        self._done = [(job, at) for job, at in self._done if at > moment]
        self.coordinator.ack(stored)
        self.stats.inc_value("redis/acknowledged", len(stored))

    # -- heartbeat and the end -----------------------------------------------------------------

    def _tick(self) -> None:
        """Every `NEWSARCHIVE_REDIS_HEARTBEAT` seconds: heartbeat, recover dead workers, judge the
        end, and wake the engine when there is work for it (it looks only every 5 s by itself)."""
        pages = int(self.stats.get_value("response_received_count", 0))
        if not self.coordinator.heartbeat(pages):
            logger.warning(
                "Worker %s was presumed dead (no heartbeat for %.0f s): its in-flight requests "
                "were handed to other workers and may be fetched twice",
                self.coordinator.worker_id,
                self.coordinator.timeout_ms / 1000,
            )
            self.stats.inc_value("redis/presumed_dead")
        self._log_recovered(self.coordinator.recover_dead())
        self._sweep()
        quiet = not self._active and not self._done and self.coordinator.quiet()
        now = time.monotonic()
        if not quiet:
            self._quiet_since = None
        elif self._quiet_since is None:
            self._quiet_since = now
        if self.ready and (len(self.queue) or self._ended(now)):
            self._wake_engine()

    def _ended(self, now: float) -> bool:
        return self._quiet_since is not None and now - self._quiet_since >= self.idle_time

    def _wake_engine(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _spider_idle(self) -> None:
        """Keep the spider open until the whole crawl, not just this worker, has run dry."""
        if self._ended(time.monotonic()):
            self._finished = True
            return
        raise DontCloseSpider

    def _log_joined(self, found: RunLook) -> None:
        worker, story = self.coordinator.worker_id, self.coordinator.keys.story
        if found.state == "finished":
            logger.warning(
                "The last run of %r on Redis had finished (%d requests made) but its workers died "
                "before the last one could delete it: its keys are deleted and worker %s starts "
                "a new run",
                story,
                found.seen,
                worker,
            )
        elif found.state == "expired":
            logger.warning(
                "Part of an abandoned run of %r on Redis had expired: the rest is deleted and "
                "worker %s starts a new run",
                story,
                worker,
            )
        elif found.state == "interrupted":
            logger.info(
                "Worker %s resumes the interrupted run of %r on Redis (%d requests queued, %d in "
                "flight at dead workers, %d made)",
                worker,
                story,
                found.queued,
                found.inflight,
                found.seen,
            )
        elif found.state == "new":
            logger.info("Worker %s starts a new run of %r on Redis", worker, story)
        else:
            logger.info(
                "Worker %s joined the run of %r on Redis (%d other workers alive, %d requests "
                "queued%s)",
                worker,
                story,
                found.alive,
                found.queued,
                ", nothing left to fetch: it is ending" if found.state == "ending" else "",
            )

    def _log_recovered(self, recovered: dict[str, int]) -> None:
        for worker_id, count in recovered.items():
            self.stats.inc_value("redis/recovered", count)
            self.stats.inc_value("redis/dead_workers")
            logger.warning(
                "Worker %s stopped heartbeating: %d of its requests are back in the queue",
                worker_id,
                count,
            )


class WorkerMiddleware:
    """A middleware only a worker of a distributed crawl has (`NotConfigured` otherwise)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("NEWSARCHIVE_REDIS_URL"):
            raise NotConfigured("not a distributed crawl")
        return cls(crawler)

    @property
    def scheduler(self) -> RedisScheduler | None:
        """The worker's scheduler, once the engine has built it (after the middlewares)."""
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return scheduler if isinstance(scheduler, RedisScheduler) else None


class RefusalMiddleware(WorkerMiddleware):
    """A downloader middleware (`DOWNLOADER_MIDDLEWARES`, innermost: `enable` puts it at 950)
    that tells the scheduler when a request it handed out is refused.

    Scrapy hands an exception raised in any middleware's `process_request` to every
    `process_exception`, innermost first: so this one sees the `IgnoreRequest` of robots.txt, the
    address guard, offsite or the URL length limit before any other middleware can replace it.
    Refusals raised once the response is in (`process_response`: too large, redirect loops) do
    not come here: those requests were sent, and end like any fetched page."""

    def process_exception(self, request: Request, exception: Exception) -> None:
        scheduler = self.scheduler
        if isinstance(exception, IgnoreRequest) and scheduler is not None:
            scheduler.refused(request)
