"""Two workers crawl one simulated web through one Redis (docs/distributed.md).

The must-show checks: every page fetched once (the server's log), every article stored once,
both workers' WARC files valid, both did a share; and with one worker killed mid-crawl, the other
finishes the frontier and every page still ends up archived and stored.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.core.urls import normalise_url
from crawler.distributed.coordinator import Keys
from crawler.distributed.runs import frontier_info
from crawler.simweb import SimWeb
from storage.db.engine import open_database
from storage.db.models import ArticleVersion, Capture, Url
from storage.warc import read_record
from tests.conftest import own_redis_prefix, postgres_schema
from tests.integration.conftest import FAST
from tests.support import warcio_check

pytestmark = pytest.mark.slow

EXTRA = 500
"""Extra articles: 560 distinct pages in all."""
STORY = "el-salvador-prisoners"
WORKER = [
    *FAST,
    "-s",
    "EXTRACT_WORKERS=1",
    "-s",
    "NEWSARCHIVE_REDIS_IDLE_TIME=2",
    "-s",
    "NEWSARCHIVE_REDIS_WORKER_TIMEOUT=3",
]


@dataclass
class Run:
    web: SimWeb
    data: Path
    db_url: str
    keys: Keys
    logs: list[str]
    codes: list[int | None]


def start_worker(
    story: Path,
    data: Path,
    db_url: str,
    redis_url: str,
    prefix: str,
    log: Path,
    extra: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """`newsarchive crawl --redis` in a subprocess; `extra` arguments override WORKER's."""
    env = {**os.environ, "NEWSARCHIVE_REDIS_PREFIX": prefix}
    env.pop("NEWSARCHIVE_DB", None)
    args = ["crawl", str(story), "--data", str(data), "--db", db_url, "--redis", redis_url]
    with log.open("wb") as out:
        # its own session: killing the group takes its extraction processes down with it
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", *args, *WORKER, *extra],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
            start_new_session=True,
        )


def wait_all(workers: list[subprocess.Popen[bytes]], timeout: float = 300) -> list[int | None]:
    deadline = time.monotonic() + timeout
    for worker in workers:
        try:
            worker.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    return [worker.returncode for worker in workers]


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def pages(web: SimWeb) -> Counter[tuple[str, str]]:
    """(publisher slug, path) of every GET the simulated web answered, with repeats; the path
    normalised, since a URL is requested as published and which of its published forms (a
    feed's, tracking query and all, or a link's) comes first varies from crawl to crawl."""
    slug = {publisher.host: publisher.slug for publisher in web.publishers}
    return Counter(
        (slug[e.host], _path(normalise_url(f"http://{e.host}{e.path}")))
        for e in web.log.entries()
        if e.method == "GET"
    )


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def stored_articles(db_url: str) -> dict[str, int]:
    """Article URL -> how many versions it has."""
    engine = open_database(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Url.url, func.count(ArticleVersion.id))
                .join(ArticleVersion, ArticleVersion.url_id == Url.id)
                .group_by(Url.url)
            ).all()
    finally:
        engine.dispose()
    return {url: count for url, count in rows}


def path_of(web: SimWeb, url: str) -> tuple[str, str]:
    slug = {publisher.host: publisher.slug for publisher in web.publishers}
    host, _, rest = url.split("://", 1)[1].partition("/")
    return slug[host], "/" + rest


@pytest.fixture(scope="module")
def services(
    redis_server: str, postgres_server: object, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, object, Path]:
    return redis_server, postgres_server, tmp_path_factory.mktemp("distributed")


def crawl_with_two(
    redis_url: str, server: object, tmp: Path, *, kill_first_after: int | None = None
) -> Iterator[Run]:
    with (
        own_redis_prefix(redis_url) as prefix,
        postgres_schema(server) as db_url,  # type: ignore[arg-type]
        SimWeb(extra_articles=EXTRA) as web,
    ):
        tmp.mkdir(parents=True)
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        data = tmp / "data"
        logs = [tmp / "worker-0.log", tmp / "worker-1.log"]
        first = start_worker(story, data, db_url, redis_url, prefix, logs[0])
        second = start_worker(story, data, db_url, redis_url, prefix, logs[1])
        keys = Keys(prefix, STORY)
        if kill_first_after is not None:
            kill_with_requests_in_flight(first, web, keys, redis_url, kill_first_after)
        codes = wait_all([first, second])
        yield Run(web, data, db_url, keys, [log.read_text() for log in logs], codes)


def kill_with_requests_in_flight(
    worker: subprocess.Popen[bytes], web: SimWeb, keys: Keys, redis_url: str, after: int
) -> None:
    """SIGKILL `worker` (and its extraction processes) once the web has answered `after`
    requests and the worker has requests in flight."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and worker.poll() is None:
            if len(web.log.entries()) >= after:
                mine = [w for w in frontier_info(client, keys).workers if w.pid == worker.pid]
                if mine and mine[0].inflight > 0:
                    os.killpg(worker.pid, signal.SIGKILL)
                    return
            time.sleep(0.05)
    finally:
        client.close()
    pytest.fail(f"the worker never had requests in flight (exit status {worker.poll()})")


@pytest.fixture(scope="module")
def two_workers(services: tuple[str, object, Path]) -> Iterator[Run]:
    redis_url, server, tmp = services
    yield from crawl_with_two(redis_url, server, tmp / "both")


@pytest.fixture(scope="module")
def one_killed(services: tuple[str, object, Path]) -> Iterator[Run]:
    redis_url, server, tmp = services
    yield from crawl_with_two(redis_url, server, tmp / "killed", kill_first_after=200)


def test_two_workers_fetch_every_page_once(two_workers: Run) -> None:
    assert two_workers.codes == [0, 0], [log[-3000:] for log in two_workers.logs]
    fetched = pages(two_workers.web)
    assert len(fetched) >= 500
    again = {page: n for page, n in fetched.items() if n > 1 and page[1] != "/robots.txt"}
    assert not again, again
    # each worker reads a site's robots.txt for itself, once
    assert all(n <= 2 for page, n in fetched.items() if page[1] == "/robots.txt")


def test_two_workers_store_every_article_once(two_workers: Run) -> None:
    articles = stored_articles(two_workers.db_url)
    assert len(articles) >= 450
    assert set(articles.values()) == {1}
    engine = open_database(two_workers.db_url)
    with Session(engine) as session:
        per_url = Counter(session.scalars(select(Url.url).join(Capture, Capture.url_id == Url.id)))
    engine.dispose()
    twice = {url: n for url, n in per_url.items() if n > 1 and not url.endswith("/robots.txt")}
    assert not twice, twice
    assert sum(per_url.values()) == sum(pages(two_workers.web).values())


def test_both_workers_did_a_share_and_wrote_valid_warc_files(two_workers: Run) -> None:
    done = [stat(log, "response_received_count") for log in two_workers.logs]
    # both fetched from the one frontier; not an even split: on a loaded machine one worker may
    # start seconds after the other, and a quarter each failed there with nothing wrong
    assert min(done) >= 0.1 * sum(done), done
    files = sorted((two_workers.data / "warc").glob("*.warc.gz"))
    assert not list((two_workers.data / "warc").glob("*.open"))
    pids = {name.name.rsplit("-", 1)[1].split(".")[0] for name in files}
    assert len(pids) == 2, files
    result = warcio_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_last_worker_out_deletes_the_keys(two_workers: Run, redis_server: str) -> None:
    client = redis.Redis.from_url(redis_server)
    try:
        assert list(client.scan_iter(match=f"{two_workers.keys.base}:*")) == []
    finally:
        client.close()
    assert any("Last worker out" in log for log in two_workers.logs)


def test_a_killed_workers_requests_are_recovered_and_nothing_is_lost(
    one_killed: Run, two_workers: Run
) -> None:
    survivor = one_killed.logs[1]
    assert one_killed.codes[0] == -signal.SIGKILL
    assert one_killed.codes[1] == 0, survivor[-3000:]
    assert stat(survivor, "redis/recovered") > 0, survivor[-3000:]
    assert re.search(r"stopped heartbeating: [1-9]\d* of its requests are back", survivor)
    # every page of the complete crawl was fetched in this one too
    assert set(pages(two_workers.web)) <= set(pages(one_killed.web))
    # ... and every article of the complete crawl is stored
    expected = {path_of(two_workers.web, url) for url in stored_articles(two_workers.db_url)}
    articles = stored_articles(one_killed.db_url)
    assert {path_of(one_killed.web, url) for url in articles} >= expected
    # ... and archived: each stored capture points at a readable record, the dead worker's
    # `.open` file included
    engine = open_database(one_killed.db_url)
    with Session(engine) as session:
        captures = session.execute(select(Capture, Url.url).join(Url)).all()
    engine.dispose()
    captured = {url for _, url in captures}
    for url in articles:
        assert url in captured
    for capture, url in captures:
        record = read_record(one_killed.data / "warc" / capture.warc_filename, capture.warc_offset)
        assert normalise_url(record.target_uri or "") == url
    closed = sorted((one_killed.data / "warc").glob("*.warc.gz"))
    assert list((one_killed.data / "warc").glob("*.open")), "the killed worker's file"
    result = warcio_check(*closed)
    assert result.returncode == 0, result.stdout + result.stderr
