"""No silent losses: every URL the demo crawl met has exactly one recorded outcome.

Checked against what the simulated web knows (its truth and its request log) and against the
crawl's own `outcome/*` stats.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from crawler.core.urls import normalise_url
from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import CrawlRun, run_newsarchive

pytestmark = pytest.mark.slow

Row = tuple[str, str, str | None]
"""(outcome, reason, detail)"""


def outcomes(run: CrawlRun) -> dict[str, Row]:
    engine = open_database(run.db_url)
    try:
        with engine.connect() as conn:
            (run_id,) = conn.execute(select(m.CrawlRun.id)).scalars().all()
            found = conn.execute(
                select(
                    m.UrlOutcome.url, m.UrlOutcome.outcome, m.UrlOutcome.reason, m.UrlOutcome.detail
                ).where(m.UrlOutcome.run_id == run_id)
            ).all()
    finally:
        engine.dispose()
    return {url: (outcome, reason, detail) for url, outcome, reason, detail in found}


def run_row(run: CrawlRun) -> tuple[str | None, dict[str, Any]]:
    engine = open_database(run.db_url)
    try:
        with engine.connect() as conn:
            reason, stats = conn.execute(select(m.CrawlRun.finish_reason, m.CrawlRun.stats)).one()
    finally:
        engine.dispose()
    return reason, stats


def fetched(run: CrawlRun) -> set[str]:
    return {
        normalise_url(f"http://{e.host}{e.path}")
        for e in run.web.log.entries()
        if e.method == "GET"
    }


def test_the_outcome_stats_count_every_url_once_as_the_database_does(demo_crawl: CrawlRun) -> None:
    rows = outcomes(demo_crawl)
    reason, stats = run_row(demo_crawl)
    assert reason == "finished"
    by_reason = Counter(r[1] for r in rows.values())
    recorded = {k.removeprefix("outcome/"): v for k, v in stats.items() if k.startswith("outcome/")}
    assert recorded == dict(by_reason)
    dumped = dict(re.findall(r"'outcome/([^']+)': (\d+)", demo_crawl.result.stderr))
    assert {k: int(v) for k, v in dumped.items()} == dict(by_reason)
    assert sum(by_reason.values()) == len(rows)
    # nothing was left unsaid in a crawl that finished
    assert not {"not-fetched", "unreported"} & set(by_reason)


def test_every_url_fetched_has_an_outcome_and_every_other_one_a_reason_to_skip_it(
    demo_crawl: CrawlRun,
) -> None:
    rows = outcomes(demo_crawl)
    got = fetched(demo_crawl)
    truth = demo_crawl.web.truth
    disallowed = {normalise_url(u) for u in truth.disallowed_urls}
    out_of_window = {normalise_url(a.url) for a in truth.articles if not a.in_window}
    assert got <= set(rows), got - set(rows)
    for url, (outcome, reason, _) in rows.items():
        if outcome == "skipped":
            assert url not in got, (url, reason)
            assert reason in ("robots", "out-of-window"), (url, reason)
            assert url in (disallowed if reason == "robots" else out_of_window), (url, reason)
        else:
            assert url in got, (url, outcome, reason)
    # every URL met is one the server answered or one skipped for a stated reason
    assert len(rows) == len(got) + sum(1 for r in rows.values() if r[0] == "skipped")


def test_every_reachable_article_has_the_outcome_the_truth_expects(demo_crawl: CrawlRun) -> None:
    rows = outcomes(demo_crawl)
    truth = demo_crawl.web.truth
    disallowed = set(truth.disallowed_urls)
    assert any(a.url in disallowed for a in truth.articles)
    for article in truth.articles:
        url = normalise_url(article.url)
        if not (article.linked or article.listed_in - {"links"}):
            continue  # no way to it within the story's reach: never met
        assert url in rows, f"no outcome: {article.url}"
        outcome, reason, detail = rows[url]
        if article.url in disallowed:
            assert (outcome, reason) == ("skipped", "robots"), article.url
        elif article.linked or article.in_window:
            assert (outcome, reason) == ("stored", "article"), (article.url, rows[url])
        else:
            assert (outcome, reason) == ("skipped", "out-of-window"), (article.url, rows[url])
            assert detail and re.search(r"\d{4}-\d\d-\d\d", detail)
    skipped = [a for a in truth.articles if rows.get(normalise_url(a.url), ("",))[0] == "skipped"]
    assert {rows[normalise_url(a.url)][1] for a in skipped} == {"robots", "out-of-window"}


def test_redirects_robots_feeds_and_files_have_their_own_outcomes(demo_crawl: CrawlRun) -> None:
    rows = outcomes(demo_crawl)
    truth = demo_crawl.web.truth
    assert truth.redirects
    for old, new in truth.redirects:
        assert rows[normalise_url(old)] == ("redirected", "redirect", normalise_url(new))
        assert rows[normalise_url(new)][:2] == ("stored", "article")
    for url in truth.non_html_urls:
        assert rows[normalise_url(url)][:2] == ("archived", "not-html")
    for publisher in demo_crawl.web.publishers:
        assert rows[publisher.base_url + "robots.txt"] == ("archived", "robots-txt", "HTTP 200")
        for feed in publisher.feeds:
            outcome, reason, detail = rows[normalise_url(feed)]
            assert (outcome, reason) == ("archived", "feed") and detail and "entries" in detail
        for sitemap in publisher.sitemaps:
            assert rows[normalise_url(sitemap)][:2] == ("archived", "sitemap")


def test_status_reports_the_outcomes_of_the_last_crawl(demo_crawl: CrawlRun) -> None:
    rows = outcomes(demo_crawl)
    text = run_newsarchive("status", "--data", str(demo_crawl.data))
    assert text.returncode == 0, text.stderr
    section = text.stdout[text.stdout.index("Outcomes of the last crawl") :]
    assert re.search(rf"^total\s+{len(rows)}$", section, re.MULTILINE), section
    report = run_newsarchive("status", "--data", str(demo_crawl.data), "--format", "json")
    (story,) = json.loads(report.stdout)["outcomes"]["stories"]
    assert story["total"] == len(rows)
    assert story["run"]["finish_reason"] == "finished"
    counts = {(c["outcome"], c["reason"]): c["urls"] for c in story["counts"]}
    assert counts == dict(Counter(r[:2] for r in rows.values()))
