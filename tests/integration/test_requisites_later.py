"""Pages first archived by a crawl with requisites off: the next crawl, finding them unchanged
(the same bytes, or a 304, archived as revisit records), still asks for the requisites no crawl
archived; a crawl after that, finding them unchanged again, reads none of them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from crawler.simweb.requisites import RequisiteTruth
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Rounds:
    fetched: list[dict[str, str]]
    """Per crawl: {URL: SHA-256 of the body} of every 200 answer."""
    not_modified: list[set[str]]
    """Per crawl: the URLs answered 304."""
    stats: list[dict[str, Any]]
    """Per crawl: its stats as stored when it closed (`crawl_runs.stats`)."""
    truth: RequisiteTruth


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Rounds:
    tmp_path = tmp_path_factory.mktemp("requisites-later")
    data = tmp_path / "data"
    with SimWeb(requisites=True) as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        cdn = web.truth.requisites.cdn.split("//", 1)[1].rstrip("/")
        fetched: list[dict[str, str]] = []
        not_modified: list[set[str]] = []
        extras = (("-s", "REQUISITES_ENABLED=False"), ("--revisit", "all"), ("--revisit", "all"))
        for extra in extras:
            before = len(web.log.entries())
            result = run_newsarchive(
                "crawl", str(story), "--data", str(data), *FAST, "-v",
                "-s", f"NEWSARCHIVE_GUARD_ALLOW={cdn}", *extra, timeout=600,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
            entries = web.log.entries()[before:]
            fetched.append(
                {
                    normalise_url(f"http://{e.host}{e.path}"): e.body_sha256
                    for e in entries
                    if e.status == 200
                }
            )
            not_modified.append(
                {normalise_url(f"http://{e.host}{e.path}") for e in entries if e.status == 304}
            )
        return Rounds(fetched, not_modified, _run_stats(data), web.truth.requisites)


def _run_stats(data: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(data / "newsarchive.db") as conn:
        rows = conn.execute("SELECT stats FROM crawl_runs ORDER BY id").fetchall()
    return [json.loads(stats) for (stats,) in rows]


def _direct(truth: RequisiteTruth, pages: set[str]) -> set[str]:
    """The requisites these pages load themselves (of a srcset, the one Scrapy's parser picks)."""
    return {
        normalise_url(r.url)
        for page, requisites in truth.pages.items()
        if normalise_url(page) in pages
        for r in requisites
        if r.parent == page and (r.via != "img-srcset" or "-960." in r.url)
    }


def test_an_unchanged_page_gets_the_requisites_an_earlier_crawl_left_out(rounds: Rounds) -> None:
    first, second = rounds.fetched[:2]
    unchanged = {url for url, digest in second.items() if first.get(url) == digest}
    direct = _direct(rounds.truth, unchanged)
    assert len(direct) >= 5  # pages sent without validators come back whole, with the same bytes
    every = {normalise_url(r.url) for requisites in rounds.truth.pages.values() for r in requisites}
    assert not every & set(first)  # the first crawl asked for none
    assert direct <= set(second)


def test_a_page_answered_304_gets_the_requisites_an_earlier_crawl_left_out(rounds: Rounds) -> None:
    second = rounds.fetched[1]
    pages = rounds.not_modified[1] & {normalise_url(page) for page in rounds.truth.pages}
    direct = _direct(rounds.truth, pages)
    assert len(direct) >= 5  # articles with validators answer 304
    assert direct <= set(second)


def test_a_page_whose_requisites_were_asked_for_is_not_read_again(rounds: Rounds) -> None:
    """The second crawl read the unchanged pages whose requisites no crawl had asked for; the
    third finds them unchanged again, their requisites asked for by the second: it reads none."""
    second, third = rounds.stats[1:]
    assert second.get("requisites/unchanged_page_read", 0) >= 5
    assert "requisites/unchanged_page_read" not in third
    assert third.get("warc/revisits/server-not-modified", 0) >= 5
