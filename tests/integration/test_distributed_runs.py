"""The life of a distributed run across crawls (docs/distributed.md, "Runs that nobody ended").

- Workers killed while idle (queue empty, nothing in flight) leave a finished run nobody deleted:
  the next crawl deletes it and fetches everything, instead of dropping every start request as
  already seen (it used to fetch nothing and blame warnings it had not printed).
- Every key of a run has an expiry.
- A request a worker refused (robots.txt) is not handed to the next worker when the first dies:
  that worker might send it (here its robots.txt fetch fails, and Scrapy then allows all).

Each test runs its own simulated web, Redis key prefix and SQLite database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from crawler.cli import workers as workers_cli
from crawler.distributed.coordinator import Keys
from crawler.simweb import SimWeb
from crawler.simweb.plan import PRIVATE
from crawler.simweb.server import PublisherServer, Resource
from tests.integration.test_distributed import STORY, pages, start_worker, stat, wait_all

pytestmark = pytest.mark.slow

TTL = 3600
"""NEWSARCHIVE_REDIS_RUN_TTL for these runs: far from the default, so the test sees it used."""


@pytest.fixture
def client(redis_server: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_server)
    yield connection
    connection.close()


def sqlite(data: Path) -> str:
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data / 'newsarchive.db'}"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting until {what}")


def inflight(client: redis.Redis, keys: Keys) -> dict[bytes, bytes]:
    """Every request in any worker's in-flight hash."""
    found: dict[bytes, bytes] = {}
    for name in client.scan_iter(match=f"{keys.inflight_prefix}*"):
        found.update(client.hgetall(name))
    return found


def idle(client: redis.Redis, keys: Keys) -> bool:
    """Seeded, nothing queued, nothing in flight: the workers only wait for the end."""
    return (
        client.get(keys.seed) == b"done"
        and client.zcard(keys.requests) == 0
        and not inflight(client, keys)
    )


def alive(client: redis.Redis, keys: Keys) -> int:
    return sum(
        int(client.exists(keys.worker(raw.decode()))) for raw in client.smembers(keys.workers)
    )


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def test_workers_killed_while_idle_leave_a_run_the_next_crawl_cleans_and_crawls_afresh(
    redis_server: str,
    redis_prefix: str,
    client: redis.Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = Keys(redis_prefix, STORY)
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        first_data = tmp_path / "first"
        db_url = sqlite(first_data)
        # they crawl everything, then wait (a long idle time) for an end they never reach
        linger = ["-s", "NEWSARCHIVE_REDIS_IDLE_TIME=600", "-s", f"NEWSARCHIVE_REDIS_RUN_TTL={TTL}"]
        logs = [tmp_path / "first-0.log", tmp_path / "first-1.log"]
        first = [
            start_worker(story, first_data, db_url, redis_server, redis_prefix, log, linger)
            for log in logs
        ]
        try:
            wait_for(lambda: alive(client, keys) == 2, "both workers have joined")
            quiet_since: list[float] = []

            def idle_for_two_seconds() -> bool:
                if not idle(client, keys):
                    quiet_since.clear()
                    return False
                quiet_since[:] = quiet_since or [time.monotonic()]
                return time.monotonic() - quiet_since[0] > 2

            wait_for(idle_for_two_seconds, "the run has nothing left", timeout=240)
        finally:
            for worker in first:
                kill(worker)
        assert all(worker.returncode == -signal.SIGKILL for worker in first)
        fetched_first = set(pages(web))
        assert len(fetched_first) > 50
        assert not any("Last worker out" in log.read_text() for log in logs)

        # what they left: seed done, a full dupefilter... and every key expires
        names = [raw.decode() for raw in client.scan_iter(match=f"{keys.base}:*")]
        assert keys.dupefilter in names and client.get(keys.seed) == b"done"
        for name in names:
            assert 0 < client.pttl(name) <= TTL * 1000, (name, client.pttl(name))

        wait_for(lambda: alive(client, keys) == 0, "the killed workers' heartbeats expire")
        monkeypatch.setenv("NEWSARCHIVE_REDIS_PREFIX", redis_prefix)
        assert workers_cli.main(["--redis", redis_server, "--story", STORY]) == 0
        shown = capsys.readouterr().out
        assert "run finished but not cleaned up" in shown, shown
        assert "the next crawl of the story deletes it and starts a new run" in shown, shown

        # the next crawl, into a brand-new database
        web.log.clear()
        second_data = tmp_path / "second"
        log = tmp_path / "second.log"
        second_db = sqlite(second_data)
        second = start_worker(story, second_data, second_db, redis_server, redis_prefix, log)
        (code,) = wait_all([second])
        text = log.read_text()
        assert code == 0, text[-3000:]
        assert "its keys are deleted and worker" in text, text[-3000:]
        assert "'redis/run': 'finished'" in text
        assert set(pages(web)) >= fetched_first, sorted(fetched_first - set(pages(web)))[:10]
        assert stat(text, "redis/seeded") > 0
        assert "Last worker out" in text
    assert list(client.scan_iter(match=f"{keys.base}:*")) == []


def unwell_robots(server: PublisherServer) -> None:
    """From now on `server` answers robots.txt with a 503 error page (Scrapy then obeys no rule
    for the site, as it does for any robots.txt it cannot parse rules from)."""
    assert server.current is not None
    responder, round_ = server.current
    error = Resource(503, "text/html", b"<html><body><h1>Service unavailable</h1></body></html>")

    def answer(path: str, query: str) -> Resource:
        return error if path == "/robots.txt" else responder(path, query)

    server.switch(answer, round_)


def test_a_request_refused_by_robots_txt_is_not_sent_after_its_worker_dies(
    redis_server: str, redis_prefix: str, client: redis.Redis, tmp_path: Path
) -> None:
    keys = Keys(redis_prefix, STORY)
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        db_url = sqlite(data)
        harbor = next(p for p in web.publishers if p.slug == "harbor-courier")
        (private,) = web.truth.disallowed_urls
        assert harbor.host in private and PRIVATE in private
        # the store reports nothing for a minute: without the fix, every request the worker
        # took, the refused one included, stays in its in-flight hash until it dies
        slow_acks = ["-s", "DB_FLUSH_INTERVAL=60", "-s", "DB_BATCH_SIZE=100000"]
        first_log = tmp_path / "first.log"
        first = start_worker(story, data, db_url, redis_server, redis_prefix, first_log, slow_acks)
        try:
            wait_for(
                lambda: f"Not fetching {private}: Forbidden by robots.txt" in first_log.read_text(),
                "the first worker refuses the private article",
            )
            held = inflight(client, keys)
        finally:
            kill(first)
        assert held, "the first worker died holding requests"
        assert not [request for request in held.values() if PRIVATE.encode() in request]

        # the site's robots.txt fails when the next worker asks for it
        server = next(s for spec, s in web._servers if spec.slug == "harbor-courier")
        unwell_robots(server)
        second_log = tmp_path / "second.log"
        second = start_worker(story, data, db_url, redis_server, redis_prefix, second_log)
        (code,) = wait_all([second])
        text = second_log.read_text()
        assert code == 0, text[-3000:]
        assert stat(text, "redis/recovered") > 0, text[-3000:]
        robots = [e for e in web.log.entries() if e.host == harbor.host and e.path == "/robots.txt"]
        assert {e.status for e in robots} == {200, 503}  # the second worker did ask
    sent = [e.path for e in web.log.entries() if e.path.startswith(PRIVATE)]
    assert sent == [], "robots.txt forbids it"
