"""The spine, end to end: a real crawl of the simulated news web into WARC files and a database.

These are the issue's "must show" checks: what the crawl finds and skips (server log), what the
archive holds (byte for byte), and what extraction keeps and drops.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.core.urls import normalise_url
from storage.db import queries
from storage.db.engine import open_database
from storage.db.models import Capture, Url
from storage.warc import read_record
from tests.integration.conftest import CrawlRun, run_newsarchive
from tests.support import warcio_check

pytestmark = pytest.mark.slow


def exported(run: CrawlRun) -> dict[str, dict[str, object]]:
    engine = open_database(run.db_url)
    return {str(row["url"]): dict(row) for row in queries.iter_articles(engine)}


def fetched_paths(run: CrawlRun, host: str) -> list[str]:
    return [e.path for e in run.web.log.entries() if e.host == host]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_on_topic_article_in_the_window_is_found_and_relevant(demo_crawl: CrawlRun) -> None:
    articles = exported(demo_crawl)
    truth = demo_crawl.web.truth
    disallowed = set(truth.disallowed_urls)
    wanted = [a for a in truth.articles if a.on_topic and a.in_window and a.url not in disallowed]
    assert len(wanted) >= 5  # the five seed copies at least
    for article in wanted:
        row = articles.get(normalise_url(article.url))
        assert row is not None, f"not stored: {article.url}"
        assert row["relevant"] is True, (article.url, row)
        assert row["relevance_score"] and float(str(row["relevance_score"])) > 0
        assert "El Salvador" in list(row["matched_terms"])  # type: ignore[call-overload]


def test_nothing_off_topic_or_out_of_window_is_relevant(demo_crawl: CrawlRun) -> None:
    articles = exported(demo_crawl)
    truth = demo_crawl.web.truth
    relevant = {url for url, row in articles.items() if row["relevant"]}
    expected = {normalise_url(a.url) for a in truth.articles if a.on_topic and a.in_window}
    assert relevant <= expected, relevant - expected
    # the traps were fetched, judged, and turned down
    for article in truth.articles:
        row = articles.get(normalise_url(article.url))
        if row is not None and not (article.on_topic and article.in_window):
            assert row["relevant"] is False, article.url
    fetched_off_window = [a for a in truth.articles if a.on_topic and not a.in_window and a.linked]
    assert fetched_off_window, "the simulated web should link one out-of-window story"
    for article in fetched_off_window:
        assert articles[normalise_url(article.url)]["relevant"] is False


def test_disallowed_and_out_of_window_urls_are_never_fetched(demo_crawl: CrawlRun) -> None:
    truth = demo_crawl.web.truth
    requested = {(e.host, e.path.split("?")[0]) for e in demo_crawl.web.log.entries()}
    for url in truth.disallowed_urls:
        parts = urlsplit(url)
        assert (parts.netloc, parts.path) not in requested, f"fetched despite robots.txt: {url}"
    unlinked_out_of_window = [a for a in truth.articles if not a.in_window and not a.linked]
    assert unlinked_out_of_window, "the simulated web should list out-of-window articles"
    for article in unlinked_out_of_window:
        parts = urlsplit(article.url)
        assert (parts.netloc, parts.path) not in requested, f"fetched: {article.url}"


def test_politeness_robots_first_and_an_identifying_user_agent(demo_crawl: CrawlRun) -> None:
    for publisher in demo_crawl.web.publishers:
        paths = fetched_paths(demo_crawl, publisher.host)
        assert paths[0] == "/robots.txt", paths[:3]
        assert paths.count("/robots.txt") == 1
    agents = {e.user_agent for e in demo_crawl.web.log.entries()}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("newsarchive/") and "+http" in agent


def test_robots_sitemap_lines_are_followed(demo_crawl: CrawlRun) -> None:
    """One publisher names its sitemap only in robots.txt; the story file does not list it."""
    listed = {url for p in demo_crawl.web.publishers for url in p.sitemaps}
    robots_only = [
        a for a in demo_crawl.web.truth.articles if a.listed_in == frozenset({"robots-sitemap"})
    ]
    assert robots_only, "the simulated web should have an article found only via robots.txt"
    articles = exported(demo_crawl)
    for article in robots_only:
        assert article.url not in listed
        if article.in_window:
            assert normalise_url(article.url) in articles


def test_every_warc_file_passes_warcio_check(demo_crawl: CrawlRun) -> None:
    files = sorted((demo_crawl.data / "warc").glob("*.warc.gz"))
    assert files, "no WARC files"
    assert not list((demo_crawl.data / "warc").glob("*.open"))
    result = warcio_check(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_capture_points_at_the_bytes_the_server_sent(demo_crawl: CrawlRun) -> None:
    engine = open_database(demo_crawl.db_url)
    with Session(engine) as session:
        captures = session.execute(select(Capture, Url.url).join(Url)).all()
    log = demo_crawl.web.log.entries()
    sent = {(e.host, e.path): e.body_sha256 for e in log if e.method == "GET"}
    assert len(captures) == len([e for e in log if e.method == "GET"])
    for capture, url in captures:
        record = read_record(demo_crawl.data / "warc" / capture.warc_filename, capture.warc_offset)
        assert record.rec_type == "response"
        assert record.record_id == capture.warc_record_id
        parts = urlsplit(record.target_uri or "")
        assert normalise_url(record.target_uri or "") == url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        digest = hashlib.sha256(record.payload).hexdigest()
        assert digest == sent[(parts.netloc, path)], f"payload differs for {url}"
        assert record.status == capture.status


def test_feeds_sitemaps_robots_and_redirects_are_archived_too(demo_crawl: CrawlRun) -> None:
    engine = open_database(demo_crawl.db_url)
    with Session(engine) as session:
        urls = set(session.scalars(select(Url.url).join(Capture)))
        statuses = set(session.scalars(select(Capture.status)))
    for publisher in demo_crawl.web.publishers:
        assert publisher.base_url + "robots.txt" in urls
        for feed in publisher.feeds:
            assert normalise_url(feed) in urls
    for old, _new in demo_crawl.web.truth.redirects:
        assert normalise_url(old) in urls
    assert 301 in statuses


def test_redirect_sources_are_aliases_of_the_article(demo_crawl: CrawlRun) -> None:
    engine = open_database(demo_crawl.db_url)
    with Session(engine) as session:
        for old, new in demo_crawl.web.truth.redirects:
            alias = session.scalars(select(Url).where(Url.url == normalise_url(old))).one()
            target = session.get(Url, alias.canonical_id) if alias.canonical_id else None
            assert target is not None and target.url == normalise_url(new)


def test_seed_articles_keep_their_paragraphs_and_drop_the_boilerplate(
    demo_crawl: CrawlRun,
) -> None:
    articles = exported(demo_crawl)
    seeds = [a for a in demo_crawl.web.truth.articles if a.seed_id is not None]
    assert len(seeds) == 5
    for article in seeds:
        if article.url in demo_crawl.web.truth.disallowed_urls:
            continue
        text = squash(str(articles[normalise_url(article.url)]["text"]))
        for paragraph in article.paragraphs:
            assert squash(paragraph) in text, (article.seed_id, paragraph[:60])
        for line in article.boilerplate:
            if len(line.split()) >= 3:  # one-word menu entries can occur in any text
                assert squash(line) not in text, (article.seed_id, line[:60])


def test_syndicated_copies_have_the_same_text_hash(demo_crawl: CrawlRun) -> None:
    articles = exported(demo_crawl)
    seeds = {a.seed_id: normalise_url(a.url) for a in demo_crawl.web.truth.articles if a.seed_id}
    by_seed = {seed[:3]: articles[url] for seed, url in seeds.items() if url in articles}
    assert by_seed["000"]["text"] == by_seed["002"]["text"]


def test_the_crawl_reports_progress_and_a_summary(demo_crawl: CrawlRun) -> None:
    stderr = demo_crawl.result.stderr
    assert "Finished (finished): fetched" in stderr
    assert re.search(r"articles \d+, relevant [1-9]", stderr)


def test_export_and_status_read_what_the_crawl_stored(demo_crawl: CrawlRun) -> None:
    out = demo_crawl.data.parent / "export.jsonl"
    done = run_newsarchive("export", "--data", str(demo_crawl.data), "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(exported(demo_crawl))
    status = run_newsarchive("status", "--data", str(demo_crawl.data), "--format", "json")
    total = json.loads(status.stdout)["total"]
    assert total["articles"] == len(rows)
    assert total["relevant"] == sum(1 for row in rows if row["relevant"])
    assert total["warc_files"] == len(list(Path(demo_crawl.data / "warc").glob("*.warc.gz")))
