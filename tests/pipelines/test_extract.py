"""The extract pipeline: extraction in worker processes, relevance, counting, and a dying worker."""

from __future__ import annotations

import asyncio
import gzip
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.core.items import PageItem
from crawler.core.story import parse_story
from crawler.pipelines.extract import ExtractPipeline
from tests.support import response_record

STORY = parse_story(
    'name = "s"\nsince = 2025-02-01\nuntil = 2025-02-28\n[match]\nall = ["El Salvador"]\n'
    'any = ["prison*"]\n[[sources]]\nurl = "http://127.0.0.1:9/"\n'
)
PARAGRAPHS = "".join(
    f"<p>El Salvador offered on Monday to take prisoners from the United States, paragraph {i}, "
    "in exchange for a fee that the president called low for them and significant for us.</p>"
    for i in range(8)
)
ARTICLE = (
    "<html lang='en'><head><title>El Salvador offers to take prisoners</title>"
    "<meta property='article:published_time' content='2025-02-04T10:00:00Z'></head>"
    f"<body><article><h1>El Salvador offers to take prisoners</h1>{PARAGRAPHS}</article></body>"
    "</html>"
)


def item(body: str, status: int = 200) -> PageItem:
    """A page as the spider hands it on: the record the WARC extension wrote."""
    return PageItem(
        record=response_record("http://127.0.0.1:9/a", body.encode(), status=status),
        source="127.0.0.1:9",
        discovered_via="home",
    )


def pipeline(**settings: Any) -> ExtractPipeline:
    crawler = get_crawler(settings_dict={"EXTRACT_WORKERS": 1, **settings})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    crawler.spider = SimpleNamespace(story=STORY)  # type: ignore[assignment]
    return ExtractPipeline.from_crawler(crawler)


def run(pipe: ExtractPipeline, *items: PageItem) -> list[PageItem]:
    async def go() -> list[PageItem]:
        try:
            return [await pipe.process_item(i) for i in items]
        finally:
            pipe.close_spider()

    return asyncio.run(go())


def test_articles_are_extracted_in_a_worker_and_scored() -> None:
    pipe = pipeline()
    article, section, missing = run(
        pipe, item(ARTICLE), item("<html><body>Hi</body></html>"), item(ARTICLE, status=404)
    )
    assert article.extraction is not None and article.extraction.article is not None
    assert article.extraction.article.title == "El Salvador offers to take prisoners"
    assert article.relevance is not None and article.relevance.relevant
    assert section.extraction is not None and section.extraction.reason is not None
    assert section.extraction.reason.startswith("too-short")
    # not a page (the crawl hands on none, but the door is the one to say so)
    assert missing.extraction is None and missing.processed is not None
    assert (missing.processed.outcome, missing.processed.reason) == ("failed", "http-404")
    assert (article.processed.outcome, article.processed.reason) == ("stored", "article")  # type: ignore[union-attr]
    stats = pipe.stats.get_stats()
    assert stats["extract/articles"] == 1
    assert stats["extract/relevant"] == 1
    assert stats["extract/not_article/too-short"] == 1
    assert stats["extract/not_page/http-404"] == 1


def test_a_page_without_a_record_is_counted_and_not_extracted() -> None:
    pipe = pipeline()
    (unarchived,) = run(pipe, PageItem(record=None, source="127.0.0.1:9", discovered_via="home"))
    assert unarchived.processed is None
    assert pipe.stats.get_value("extract/not_archived") == 1


def test_the_page_is_read_from_the_record_as_archived() -> None:
    """The body as transferred (gzip) is decoded by the door, as for any archived record."""
    gzipped = PageItem(
        record=response_record(
            "http://127.0.0.1:9/a",
            gzip.compress(ARTICLE.encode()),
            headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip")),
        ),
        source="127.0.0.1:9",
        discovered_via="home",
        redirects=("http://127.0.0.1:9/old?utm_source=x", "http://127.0.0.1:9/older"),
    )
    (result,) = run(pipeline(), gzipped)
    assert result.extraction is not None and result.extraction.article is not None
    assert result.processed is not None
    assert result.processed.aliases == ("http://127.0.0.1:9/older", "http://127.0.0.1:9/old")
    assert result.processed.url == "http://127.0.0.1:9/old"


def test_options_come_from_the_settings() -> None:
    pipe = pipeline(
        EXTRACT_MIN_WORDS=5000, EXTRACT_MIN_WORDS_DECLARED=4000, EXTRACT_FAVOR="precision"
    )
    assert pipe.options.min_words == 5000 and pipe.options.favor == "precision"
    assert pipe.options.min_words_declared == 4000
    (result,) = run(pipe, item(ARTICLE))
    assert result.extraction is not None and result.extraction.article is None
    with pytest.raises(ValueError, match="favor"):
        pipeline(EXTRACT_FAVOR="fast")


class DeadPool:
    """An executor whose worker died: every task fails as a dead process pool's do."""

    def submit(self, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        pass


def test_a_dead_worker_fails_one_page_and_a_fresh_pool_serves_the_next() -> None:
    pipe = pipeline()
    pipe._executor = DeadPool()  # type: ignore[assignment]
    failed, recovered = run(pipe, item(ARTICLE), item(ARTICLE))
    assert failed.extraction is not None and failed.extraction.article is None
    assert (failed.extraction.reason or "").startswith("error: BrokenProcessPool")
    assert recovered.extraction is not None and recovered.extraction.article is not None
    assert pipe.stats.get_value("extract/failed/BrokenProcessPool") == 1


def test_other_items_pass_through() -> None:
    pipe = pipeline()
    thing = {"not": "a page"}
    assert asyncio.run(pipe.process_item(thing)) is thing


def test_a_listing_date_stands_in_for_a_missing_page_date() -> None:
    undated = ARTICLE.replace(
        "<meta property='article:published_time' content='2025-02-04T10:00:00Z'>", ""
    )
    listed = item(undated)
    listed.hints = {"published": "2025-02-03", "title": "From the feed"}
    pipe = pipeline()
    (result,) = run(pipe, listed)
    assert result.extraction is not None and result.extraction.article is not None
    assert result.extraction.article.published == date(2025, 2, 3)
    (dated,) = run(pipeline(), item(ARTICLE))
    assert dated.extraction is not None and dated.extraction.article is not None
    assert dated.extraction.article.published == date(2025, 2, 4)  # the page's own date wins


def test_disabled_extraction_is_not_configured() -> None:
    with pytest.raises(NotConfigured):
        pipeline(EXTRACT_ENABLED=False)


def test_relevance_and_the_signature_arrive_from_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scoring and signing run in the extraction worker, where the text is: in this (the
    crawling) process both are made to fail, and the item still carries them."""
    from crawler.clustering.signatures import ClusterOptions, signature
    from crawler.services import door

    def not_here(*args: object, **kwargs: object) -> Any:
        raise AssertionError("computed in the crawling process")

    monkeypatch.setattr(door, "score", not_here)
    monkeypatch.setattr(door, "sign", not_here)
    pipe = pipeline()
    [page] = run(pipe, item(ARTICLE))
    assert page.relevance is not None and page.relevance.relevant
    assert page.processed is not None and page.processed.signature is not None
    made = page.processed.signature
    assert page.extraction is not None and page.extraction.article is not None
    assert made.text_sha256 == page.extraction.article.text_sha256
    assert made.value == signature(page.extraction.article.text, ClusterOptions())
    assert made.params == ClusterOptions().params


def test_no_signature_without_clustering() -> None:
    [page] = run(pipeline(CLUSTER_ENABLED=False), item(ARTICLE))
    assert page.processed is not None and page.processed.signature is None
    assert page.relevance is not None


def test_the_fork_server_preloads_datasketch_only_for_signing() -> None:
    """Workers that sign import datasketch once, in the fork server, not each on its own."""
    import multiprocessing.forkserver

    from crawler.extraction.pool import PRELOAD

    for settings, expected in (
        ({}, [*PRELOAD, "datasketch"]),
        ({"CLUSTER_ENABLED": False}, PRELOAD),
    ):
        pipe = pipeline(**settings)
        pipe._pool()
        try:
            assert multiprocessing.forkserver._forkserver._preload_modules == expected
        finally:
            pipe.close_spider()


def test_the_crawling_process_checks_its_heap_after_each_page() -> None:
    pipe = pipeline()
    checks: list[bool] = []
    pipe.trimmer.check = lambda: checks.append(True) or False  # type: ignore[method-assign]
    run(pipe, item(ARTICLE), item("<html><body>Hi</body></html>"))
    assert len(checks) == 2
