"""The store pipeline, driven through Scrapy's own item pipeline manager (no network, no crawl)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.pipelines import ItemPipelineManager
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, func, select

from crawler.core.article import Extraction
from crawler.core.items import PageItem, Processed, RevisitItem
from crawler.core.outcomes import UrlOutcome
from crawler.core.revisit import RevisitPolicy
from crawler.extensions.database import Database
from crawler.pipelines.store import StorePipeline
from crawler.signals import capture_archived, outcomes_settled
from storage.db import models as m
from storage.db.engine import open_database
from storage.db.repository import Repository
from storage.db.runs import start_run
from tests.storage.db.factories import (
    DAILY,
    EXTRACTOR,
    ON_TOPIC,
    OPTIONS,
    STORY,
    T0,
    article,
    at,
    capture,
    revisit_capture,
)
from tests.support import response_record

pytestmark = pytest.mark.filterwarnings("error::scrapy.exceptions.ScrapyDeprecationWarning")

BASE = "http://news.example:8080/2025/"


class StorySpider(Spider):
    name = "story-test"
    story = STORY


def page_item(n: int, record: str | None = None) -> PageItem:
    url = f"{BASE}{n}"
    return PageItem(
        record=response_record(
            url,
            b"<html>",
            record_id=record or f"<urn:uuid:r{n}>",
            date=T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ),
        source=DAILY.host,
        discovered_via="feed",
        processed=Processed(
            url,
            url,
            T0,
            (),
            Extraction(article(f"Strike day {n}."), None, EXTRACTOR, OPTIONS),
            ON_TOPIC,
            "stored",
            "article",
        ),
    )


class Harness:
    """A crawler with only the store pipeline, and the means to feed it as a crawl would."""

    def __init__(
        self, db_url: str, spidercls: type[StorySpider] = StorySpider, **settings: Any
    ) -> None:
        self.crawler: Crawler = get_crawler(
            spidercls,
            {
                "DB_URL": db_url,
                "DB_BATCH_SIZE": 3,
                "DB_FLUSH_INTERVAL": 60.0,
                "ITEM_PIPELINES": {StorePipeline: 800},
                "EXTENSIONS": {Database: 50},
                **settings,
            },
        )
        database = self.crawler.get_extension(Database)
        assert database is not None
        self.database = database
        self.crawler.spider = spidercls.from_crawler(self.crawler)
        self.pipelines = ItemPipelineManager.from_crawler(self.crawler)
        [self.store] = self.pipelines.middlewares
        self.db_url = db_url

    def fetched(self, n: int) -> Awaitable[Any]:
        """Archive response n (the capture signal), then hand its page item to the pipelines."""
        url = f"{BASE}{n}"
        self.crawler.signals.send_catch_log(
            capture_archived,
            capture=capture(url, f"r{n}"),
            request=Request(url),
            response=Response(url),
        )
        return self.pipelines.process_item_async(page_item(n))

    def stat(self, name: str) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_value(name)

    def run(self, scenario: Callable[[Harness], Awaitable[None]]) -> None:
        async def whole() -> None:
            await self.pipelines.open_spider_async()
            try:
                await scenario(self)
            finally:
                await self.pipelines.close_spider_async()

        try:
            asyncio.run(whole())
        finally:
            self.database.close()  # as at engine_stopped


@pytest.fixture
def reader(db_url: str) -> Iterator[Engine]:
    """A second engine on the same database, to look at what the pipeline wrote."""
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def count(engine: Engine, model: type[m.Base]) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll until `condition` holds: generous, the database thread is slow on a loaded CI."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_batches_while_crawling_and_flushes_the_rest_at_close(db_url: str, reader: Engine) -> None:
    harness = Harness(db_url)

    async def scenario(h: Harness) -> None:
        assert count(reader, m.Story) == 1
        assert count(reader, m.Publisher) == len(STORY.sources)
        for n in range(3):
            item = page_item(n)
            assert await h.fetched(n) is not item  # a fresh item each time, passed through
        # 6 rows buffered with a batch size of 3: two batches go out before the spider closes.
        await until(lambda: count(reader, m.ArticleVersion) == 3)
        await h.fetched(3)
        assert await h.pipelines.process_item_async("not a page") == "not a page"

    harness.run(scenario)
    assert count(reader, m.Capture) == 4
    assert count(reader, m.ArticleVersion) == 4
    assert count(reader, m.StoryArticle) == 4
    assert harness.stat("db/batches") == 3
    assert (harness.stat("db/captures"), harness.stat("db/pages")) == (4, 4)
    assert harness.stat("db/versions/new") == 4
    assert harness.stat("db/errors") is None


def test_the_timer_writes_a_partial_batch(db_url: str, reader: Engine) -> None:
    harness = Harness(db_url, DB_BATCH_SIZE=1000, DB_FLUSH_INTERVAL=0.05)

    async def scenario(h: Harness) -> None:
        await h.fetched(1)
        await until(lambda: count(reader, m.ArticleVersion) == 1)

    harness.run(scenario)
    assert harness.stat("db/batches") == 1


def test_a_seen_page_counts_as_unchanged(db_url: str, reader: Engine) -> None:
    first = Harness(db_url)
    first.run(lambda h: h.fetched(1))
    again = Harness(db_url)

    async def scenario(h: Harness) -> None:
        h.crawler.signals.send_catch_log(capture_archived, capture=capture(BASE + "1", "r1b"))
        item = page_item(1, "<urn:uuid:r1b>")
        await h.pipelines.process_item_async(item)

    again.run(scenario)
    assert again.stat("db/versions/unchanged") == 1
    assert again.stat("db/versions/new") == 0
    assert count(reader, m.Capture) == 2


class QuickRevisitSpider(StorySpider):
    story = replace(STORY, revisit=RevisitPolicy(first=timedelta(minutes=10), factor=3))


def test_revisits_move_the_schedule_on_by_the_story_policy(db_url: str, reader: Engine) -> None:
    async def first_crawl(h: Harness) -> None:
        await h.fetched(1)
        await h.fetched(2)

    Harness(db_url).run(first_crawl)
    again = Harness(db_url, QuickRevisitSpider)

    async def scenario(h: Harness) -> None:
        h.crawler.signals.send_catch_log(
            capture_archived, capture=revisit_capture(BASE + "1", "r1b", "r1", fetched_at=at(60))
        )
        for item in (
            RevisitItem(BASE + "1", DAILY.host, "<urn:uuid:r1b>", at(60), 304, "unchanged"),
            RevisitItem(BASE + "2", DAILY.host, None, at(60), 404, "gone"),
        ):
            assert await h.pipelines.process_item_async(item) is item

    again.run(scenario)
    assert (again.stat("db/revisits/unchanged"), again.stat("db/revisits/gone")) == (1, 1)
    assert (again.stat("db/versions/new"), again.stat("db/captures")) == (0, 1)
    s, capture_row = m.ArticleSchedule, m.Capture
    with reader.connect() as conn:
        schedule = conn.execute(
            select(s.unchanged_count, s.next_due_at, s.gone_status).order_by(s.url_id)
        ).all()
        revisit_of = conn.execute(
            select(capture_row.revisit_of_id).where(capture_row.warc_record_id == "<urn:uuid:r1b>")
        ).scalar_one()
        body = conn.execute(
            select(capture_row.id).where(capture_row.warc_record_id == "<urn:uuid:r1>")
        ).scalar_one()
    # 10 min * 3 after one unchanged fetch: the story's policy, not the default (2 h).
    assert [tuple(row) for row in schedule] == [(1, at(90), None), (0, None, 404)]
    assert revisit_of == body


def failing(times: int) -> Callable[..., Any]:
    real = Repository.write_batch
    calls = {"n": 0}

    def write_batch(self: Repository, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise RuntimeError("database went away")
        return real(self, *args, **kwargs)

    return write_batch


def test_a_failed_write_is_retried(
    db_url: str, reader: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(Repository, "write_batch", failing(times=1))
    monkeypatch.setattr(StorePipeline, "retry_delay", 0.0)
    harness = Harness(db_url)
    with caplog.at_level(logging.ERROR, "crawler.pipelines.store"):
        harness.run(lambda h: h.fetched(1))
    assert count(reader, m.ArticleVersion) == 1
    assert harness.stat("db/errors") == 1
    assert "database went away" in caplog.text
    assert "Not stored" not in caplog.text


def test_rows_lost_after_the_retry_are_logged_one_by_one(
    db_url: str, reader: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(Repository, "write_batch", failing(times=2))
    monkeypatch.setattr(StorePipeline, "retry_delay", 0.0)
    harness = Harness(db_url)
    with caplog.at_level(logging.ERROR, "crawler.pipelines.store"):
        harness.run(lambda h: h.fetched(7))
    assert count(reader, m.Capture) == 0
    assert harness.stat("db/errors") == 2
    assert harness.stat("db/lost") == 2
    lost = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Not stored")]
    assert lost == [
        f"Not stored: capture of {BASE}7 (<urn:uuid:r7>)",
        f"Not stored: page {BASE}7",
    ]


@pytest.mark.parametrize(
    ("db_setting", "env", "expected"),
    [
        ("sqlite:///from-setting.db", "sqlite:///from-env.db", "sqlite:///from-setting.db"),
        ("", "sqlite:///from-env.db", "sqlite:///from-env.db"),
        ("", None, "sqlite:///{data}/newsarchive.db"),
    ],
)
def test_database_url_comes_from_setting_then_env_then_data_dir(
    db_setting: str,
    env: str | None,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the relative SQLite URLs are files in the working directory
    if env is None:
        monkeypatch.delenv("NEWSARCHIVE_DB", raising=False)
    else:
        monkeypatch.setenv("NEWSARCHIVE_DB", env)
    crawler = get_crawler(
        StorySpider, {"DB_URL": db_setting, "NEWSARCHIVE_DATA_DIR": str(tmp_path / "data")}
    )
    database = Database.from_crawler(crawler)
    assert database.url == expected.format(data=(tmp_path / "data").resolve())


def test_writes_run_in_one_thread_off_the_event_loop(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: set[int] = set()
    real = Repository.write_batch

    def write_batch(self: Repository, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Repository, "write_batch", write_batch)
    harness = Harness(db_url, DB_BATCH_SIZE=1)

    async def scenario(h: Harness) -> None:
        for n in range(3):
            await h.fetched(n)

    harness.run(scenario)
    assert harness.stat("db/batches") == 6
    assert len(threads) == 1
    assert threading.get_ident() not in threads


def test_url_outcomes_are_written_with_the_batches_and_refused_once_closed(
    db_url: str, reader: Engine
) -> None:
    harness = Harness(db_url)
    story_id = Repository(reader).ensure_story(STORY)
    run = start_run(reader, story_id, T0, "host", 1)
    settled = [
        UrlOutcome(f"{BASE}{n}", "stored", "article", None, DAILY.host, T0) for n in range(4)
    ]

    def offer(h: Harness, outcomes: list[UrlOutcome]) -> list[object]:
        answers = h.crawler.signals.send_catch_log(outcomes_settled, run_id=run, outcomes=outcomes)
        return [answer for _, answer in answers]

    async def scenario(h: Harness) -> None:
        assert offer(h, settled[:3]) == [True]  # a full batch: written at once
        await until(lambda: count(reader, m.UrlOutcome) == 3)
        assert offer(h, settled[3:]) == [True]

    harness.run(scenario)
    assert count(reader, m.UrlOutcome) == 4
    assert harness.stat("db/outcomes") == 4
    # closed: the outcomes extension has to write what comes now itself
    assert offer(harness, settled[:1]) == [False]


def test_disabled_storage_is_not_configured(tmp_path: Path) -> None:
    crawler = get_crawler(
        settings_dict={"DB_ENABLED": False, "NEWSARCHIVE_DATA_DIR": str(tmp_path)}
    )
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(crawler)
    assert list(tmp_path.iterdir()) == []


def test_each_batch_stores_the_workers_signatures_and_its_clusters(
    db_url: str, reader: Engine
) -> None:
    """The extraction worker signs the article; the batch stores that signature (not one
    computed again from the text) and clusters its articles before the spider closes."""
    from dataclasses import replace

    from crawler.clustering.signatures import ClusterOptions, band_keys, sign

    harness = Harness(db_url)
    options = ClusterOptions()

    def signed_item(n: int) -> PageItem:
        item = page_item(n)
        assert item.processed is not None and item.processed.extraction is not None
        made = item.processed.extraction.article
        assert made is not None
        real = sign(made.text, made.text_sha256, options)
        value = b"\x07" * len(real.value)  # not what the text gives
        marked = replace(real, value=value, keys=tuple(band_keys(value, options)))
        item.processed = replace(item.processed, signature=marked)
        return item

    async def scenario(h: Harness) -> None:
        for n in range(3):
            url = f"{BASE}{n}"
            h.crawler.signals.send_catch_log(capture_archived, capture=capture(url, f"r{n}"))
            await h.pipelines.process_item_async(signed_item(n))
        await until(lambda: count(reader, m.ArticleSignature) == 3)  # with the batch, not at close

    harness.run(scenario)
    with reader.connect() as conn:
        stored = conn.execute(select(m.ArticleSignature.signature)).scalars().all()
        clusters = conn.execute(select(m.ArticleSignature.cluster_id).distinct()).scalars().all()
    assert stored == [b"\x07" * 4 * options.num_perm] * 3
    assert len(clusters) == 1  # equal signatures: one cluster
    assert harness.stat("clusters/signed") == 3
    assert harness.stat("clusters/errors") is None
