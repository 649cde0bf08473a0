"""Recrawls over time: versions, revisit records, the revisit schedule and deletions.

The simulated web moves through rounds (edits, a timestamp-only change, deletions); the crawl is
run once per round with a test clock (`NEWSARCHIVE_NOW`) instead of waiting for articles to be
due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db.engine import open_database
from storage.db.models import Capture, Url
from storage.db.queries import iter_articles, outcomes, versions
from storage.warc import read_record
from tests.integration.conftest import FAST, run_newsarchive
from tests.report.browser import open_report
from tests.support import warcio_check

pytestmark = pytest.mark.slow


@dataclass
class Rounds:
    web: SimWeb
    data: Path
    story: Path
    outputs: list[str]
    warc_bytes: list[int]
    started: datetime
    not_due_log: list[tuple[str, str, int]] = field(default_factory=list)
    recrawl_started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data / 'newsarchive.db'}"


def warc_size(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))


def crawl_at(rounds: Rounds, hours: float, *extra: str, env: dict[str, str] | None = None) -> None:
    now = rounds.started + timedelta(hours=hours)
    before = warc_size(rounds.data)
    result = run_newsarchive(
        "crawl", str(rounds.story), "--data", str(rounds.data), *FAST,
        "-s", f"NEWSARCHIVE_NOW={now.isoformat()}", *extra, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rounds.outputs.append(result.stderr)
    rounds.warc_bytes.append(warc_size(rounds.data) - before)


@pytest.fixture(scope="module")
def three_rounds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rounds]:
    tmp = tmp_path_factory.mktemp("rounds")
    with SimWeb() as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        rounds = Rounds(web, tmp / "data", story, [], [], datetime.now(UTC))
        crawl_at(rounds, 0)
        web.advance()
        crawl_at(rounds, 2)
        web.advance()
        crawl_at(rounds, 10)
        yield rounds


def test_each_article_has_exactly_the_expected_versions(three_rounds: Rounds) -> None:
    engine = open_database(three_rounds.db_url)
    timeline = three_rounds.web.truth.timeline
    articles = {row["url"]: row for row in iter_articles(engine)}
    checked = 0
    for article in three_rounds.web.truth.articles:
        url = normalise_url(article.url)
        if url not in articles:
            continue  # never fetched (robots, window, depth): nothing to version
        history = timeline.history(article.url)
        expected = history.versions_by(timeline.last_round)
        got = versions(engine, url)
        assert len(got.versions) == expected, (url, [v.title for v in got.versions])
        checked += 1
    assert checked >= 40


def test_the_edited_articles_changed_as_the_web_did(three_rounds: Rounds) -> None:
    engine = open_database(three_rounds.db_url)
    by_seed = {a.seed_id[:3]: a for a in three_rounds.web.truth.articles if a.seed_id}
    corrected = versions(engine, normalise_url(by_seed["000"].url)).versions
    assert [v.number for v in corrected] == [1, 2, 3]
    assert "according to local media" in corrected[0].text
    assert "according to El Salvador's justice ministry" in corrected[1].text
    assert corrected[1].title == corrected[0].title
    assert corrected[2].title == "Bukele offers to jail US prisoners in El Salvador for a fee"
    restamped = versions(engine, normalise_url(by_seed["001"].url)).versions
    assert len(restamped) == 1  # the timestamp-only change made no version
    assert restamped[0].last_seen > restamped[0].first_seen
    appended = versions(engine, normalise_url(by_seed["002"].url)).versions
    assert len(appended) == 2 and appended[1].text.rstrip().endswith("would continue.")


def test_the_diff_shows_the_changed_words(three_rounds: Rounds) -> None:
    url = next(a.url for a in three_rounds.web.truth.articles if (a.seed_id or "")[:3] == "000")
    result = run_newsarchive(
        "diff", normalise_url(url), "--from", "1", "--to", "2", "--data", str(three_rounds.data)
    )
    assert result.returncode == 0, result.stderr
    assert "local media" in result.stdout and "justice ministry" in result.stdout
    assert "\x1b[" not in result.stdout  # piped: no colour


def test_deleted_articles_are_marked_deleted(three_rounds: Rounds) -> None:
    engine = open_database(three_rounds.db_url)
    timeline = three_rounds.web.truth.timeline
    deleted = [
        a for a in three_rounds.web.truth.articles if timeline.history(a.url).deleted is not None
    ]
    assert len(deleted) == 2
    rows = {row["url"]: row for row in iter_articles(engine)}
    for article in deleted:
        row = rows[normalise_url(article.url)]
        assert row["deleted"] is True and row["deleted_at"], article.url


def test_every_warc_passes_and_every_revisit_resolves(three_rounds: Rounds) -> None:
    files = sorted((three_rounds.data / "warc").glob("*.warc.gz"))
    assert warcio_check(*files).returncode == 0
    engine = open_database(three_rounds.db_url)
    with Session(engine) as session:
        captures = session.scalars(select(Capture)).all()
    by_record = {c.warc_record_id: c for c in captures}
    revisits = [c for c in captures if c.record_type == "revisit"]
    assert revisits
    for capture in revisits:
        original = by_record[capture.refers_to or ""]
        assert original.record_type == "response"
        assert capture.revisit_of_id == original.id
        record = read_record(
            three_rounds.data / "warc" / capture.warc_filename, capture.warc_offset
        )
        assert record.rec_type == "revisit"
        assert record.warc_header("WARC-Refers-To") == original.warc_record_id
        assert record.payload == b""


@pytest.fixture(scope="module")
def unchanged_recrawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rounds]:
    tmp = tmp_path_factory.mktemp("unchanged")
    with SimWeb() as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        rounds = Rounds(web, tmp / "data", story, [], [], datetime.now(UTC))
        crawl_at(rounds, 0)
        web.log.clear()
        crawl_at(rounds, 0.5)  # nothing is due yet
        not_due_log = web.log.entries()
        web.log.clear()
        rounds.recrawl_started = datetime.now(UTC)
        # everything is due; every module the crawl (or any process it starts) imports is logged
        crawl_at(rounds, 2, env={"PYTHONPROFILEIMPORTTIME": "1"})
        rounds.not_due_log = [(e.host, e.path, e.status) for e in not_due_log]
        yield rounds


def test_an_unchanged_recrawl_writes_revisits_and_little_else(unchanged_recrawl: Rounds) -> None:
    first, _not_due, recrawl = unchanged_recrawl.warc_bytes
    assert recrawl <= 0.05 * first, (recrawl, first)
    engine = open_database(unchanged_recrawl.db_url)
    with Session(engine) as session:
        last_round = session.execute(
            select(Capture, Url.url)
            .join(Url, Capture.url_id == Url.id)
            .where(Capture.fetched_at >= unchanged_recrawl.recrawl_started)
        ).all()
    assert len(last_round) > 50
    full = {url for capture, url in last_round if capture.record_type == "response"}
    # every article came back as a revisit record; full responses are left only for what is not
    # an article (robots.txt, fetched by Scrapy's middleware; a redirect; a PDF)
    articles = {str(row["url"]) for row in iter_articles(engine)}
    assert articles and not (full & articles), sorted(full & articles)
    assert sum(1 for capture, _ in last_round if capture.record_type == "revisit") >= 100


@pytest.fixture(scope="module")
def shallow_recrawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rounds]:
    """Two crawls, two hours apart, of the unchanged web followed one link deep: the archive's
    first page and the sections are listings at the last depth (no links followed)."""
    tmp = tmp_path_factory.mktemp("shallow")
    with SimWeb() as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml().replace("follow = 2", "follow = 1"))
        rounds = Rounds(web, tmp / "data", story, [], [], datetime.now(UTC))
        crawl_at(rounds, 0)
        rounds.recrawl_started = datetime.now(UTC)
        crawl_at(rounds, 2)
        yield rounds


def test_an_unchanged_listing_page_is_a_revisit(shallow_recrawl: Rounds) -> None:
    """Every known URL carries its previous capture: an unchanged listing at the last depth (the
    archive's first page, a section) is a revisit record, like robots.txt; only a redirect is a
    new response record."""
    engine = open_database(shallow_recrawl.db_url)
    with Session(engine) as session:
        last_round = session.execute(
            select(Capture, Url.url)
            .join(Url, Capture.url_id == Url.id)
            .where(Capture.fetched_at >= shallow_recrawl.recrawl_started)
        ).all()
    articles = {str(row["url"]) for row in iter_articles(engine)}
    engine.dispose()
    listings = {url: c for c, url in last_round if url not in articles and c.status == 200}
    assert any(url.endswith("/archive/?page=1") for url in listings), sorted(listings)
    assert any(url.endswith("/robots.txt") for url in listings)
    full = sorted(url for url, c in listings.items() if c.record_type != "revisit")
    assert full == []
    assert all(c.status in (301, 302) for c, _ in last_round if c.record_type == "response")


def test_an_unchanged_recrawl_loads_no_extraction_clustering_or_migrations(
    unchanged_recrawl: Rounds,
) -> None:
    """Nothing but the revisit path runs: no extraction worker starts (it would load
    trafilatura), and the crawl's own process loads neither the extractors, nor datasketch and
    scipy (nothing to cluster), nor Alembic (the database is at its revision), nor the modules of
    Scrapy components that are switched off (aiohttp, tldextract)."""
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in unchanged_recrawl.outputs[-1].splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"scrapy", "sqlalchemy", "twisted"} <= imported
    heavy = {"trafilatura", "htmldate", "datasketch", "scipy", "numpy", "alembic", "pyarrow"}
    assert not imported & (heavy | {"aiohttp", "tldextract"})


def test_revisit_due_fetches_only_what_is_due(unchanged_recrawl: Rounds) -> None:
    web = unchanged_recrawl.web
    not_due_requests = unchanged_recrawl.not_due_log
    article_paths = {
        (urlsplit(a.url).netloc, urlsplit(a.url).path) for a in web.truth.articles if a.linked
    }
    fetched = {(host, path) for host, path, _status in not_due_requests}
    assert not (fetched & article_paths), sorted(fetched & article_paths)[:5]
    assert any(path == "/robots.txt" for _host, path, _status in not_due_requests)


def test_the_report_shows_the_coverage_and_the_edits(three_rounds: Rounds) -> None:
    out = three_rounds.data.parent / "report.html"
    result = run_newsarchive(
        "report", "--story", "el-salvador-prisoners", "--data", str(three_rounds.data),
        "-o", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tree = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    edited = tree.xpath("//h2[.='Most edited articles']/following-sibling::h3[1]/text()")
    assert edited == ["Bukele offers to jail US prisoners in El Salvador for a fee"]
    first_diff = tree.xpath("//div[@class='diff'][1]")[0]
    assert "justice ministry" in "".join(first_diff.xpath(".//ins/text()"))
    relevant = {a.title for a in three_rounds.web.truth.articles if a.on_topic and a.in_window}
    listed = set(tree.xpath("//h2[.='Relevant articles']/following-sibling::table[1]//a/text()"))
    assert len(listed) == len(relevant)
    bars = tree.xpath(
        "//*[local-name()='svg'][@id='timeline']/*[local-name()='rect']/*[local-name()='title']/text()"
    )
    assert sum(int(t.rsplit(": ", 1)[1]) for t in bars) == len(relevant)
    # the links go to the archived copy (serve's replay by default): the URL is in its query
    copies = {
        parse_qs(urlsplit(href).query)["url"][0]
        for href in tree.xpath(
            "//h2[.='Syndication clusters']/following-sibling::table[1]//a/@href"
        )
    }
    seeds = {normalise_url(a.url) for a in three_rounds.web.truth.articles if a.seed_id}
    by_seed = {
        a.seed_id[:3]: normalise_url(a.url) for a in three_rounds.web.truth.articles if a.seed_id
    }
    assert {by_seed["000"], by_seed["002"]} <= copies
    assert not {by_seed["001"], by_seed["003"], by_seed["004"]} & copies & seeds
    health = tree.xpath("//h2[.='Extraction health']/following-sibling::h3/text()")
    assert sorted(health) == sorted(p.name for p in three_rounds.web.publishers)
    check = open_report(out)
    assert check.severe == [] and all(u.startswith("file://") for u in check.requests)


def test_each_round_records_what_became_of_the_known_articles(unchanged_recrawl: Rounds) -> None:
    engine = open_database(unchanged_recrawl.db_url)
    try:
        runs = [report for run in (1, 2, 3) for report in outcomes(engine, run_id=run)]
    finally:
        engine.dispose()
    assert [r.run.finish_reason for r in runs if r.run] == ["finished"] * 3
    counts = [{(c.outcome, c.reason): c.urls for c in r.counts} for r in runs]
    articles = counts[0][("stored", "article")]
    assert articles >= 50
    # nothing is due half an hour later: every known article is skipped for that reason
    assert ("stored", "article") not in counts[1]
    assert counts[1][("skipped", "known-not-due")] >= articles
    # two hours later every one is revisited, and found unchanged
    assert counts[2][("stored", "article-unchanged")] >= articles
    for each in counts:
        assert not {reason for _, reason in each} & {"unreported", "not-fetched"}
