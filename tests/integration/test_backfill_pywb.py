"""`newsarchive backfill` against pywb: a collection made (`wb-manager add`) from an earlier
crawl's WARC files, served by `wayback` on 127.0.0.1, asked as a `wayback` archive (pywb's CDX
server API, JSON lines, and raw `id_` replay). A fresh data directory gets back every page of
the crawl, with the crawl's times, digests and texts, `via = "pywb"`; a second run adds nothing.

pywb lives in its own virtual environment (`$NEWSARCHIVE_PYWB_VENV`, else `.pywb-venv/`);
without it the test skips (fails under NEWSARCHIVE_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive
from tests.integration.test_replay import pywb_serving, pywb_venv

pytestmark = pytest.mark.slow


@dataclass
class Runs:
    crawled: Path
    backfilled: Path
    outputs: list[str]
    log: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    pywb_venv()  # skips (or fails) at once when pywb is missing
    tmp = tmp_path_factory.mktemp("backfill-pywb")
    crawled = tmp / "crawled"
    with SimWeb() as web:
        story = tmp / "crawl.toml"
        story.write_text(web.story_toml())
        result = run_newsarchive("crawl", str(story), "--data", str(crawled), *FAST)
        assert result.returncode == 0, result.stderr[-3000:]
        story_text = web.story_toml()
    root = tmp / "pywb"
    root.mkdir()
    files = sorted(str(p) for p in (crawled / "warc").glob("*.warc.gz"))
    with pywb_serving(root, "earlier", *files) as base:
        backfill_story = tmp / "backfill.toml"
        backfill_story.write_text(
            story_text + '\n[[archives]]\nname = "pywb"\nkind = "wayback"\n'
            f'cdx = "{base}/earlier/cdx"\n'
            f'replay = "{base}/earlier/{{timestamp}}id_/{{url}}"\n'
            "delay = 0\nconcurrency = 4\n"
            # the crawl's captures are from today, not February 2025
            "since = 2025-02-01\nuntil = 2099-12-31\n"
        )
        backfilled = tmp / "backfilled"
        outputs = []
        for _ in range(2):
            result = run_newsarchive("backfill", str(backfill_story), "--data", str(backfilled))
            assert result.returncode == 0, result.stdout + result.stderr[-3000:]
            outputs.append(result.stdout)
        yield Runs(crawled, backfilled, outputs, root / "wayback.log")


def _captures(data: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """{(URL, second captured): (payload digest, via)} of the 200 HTML captures."""
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, m.Capture.fetched_at, m.Capture.payload_digest, m.Capture.via)
            .join(m.Url, m.Url.id == m.Capture.url_id)
            .where(m.Capture.status == 200, m.Capture.content_type == "text/html")
        ).all()
    engine.dispose()
    return {(url, f"{when:%Y%m%d%H%M%S}"): (digest, via) for url, when, digest, via in rows}


def _articles(data: Path) -> dict[str, tuple[str, bool]]:
    """{article URL: (text hash of its version, relevant)}."""
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Url.url, m.ArticleVersion.text_sha256, m.StoryArticle.relevant)
            .join(m.ArticleVersion, m.ArticleVersion.url_id == m.Url.id)
            .join(m.StoryArticle, m.StoryArticle.url_id == m.Url.id)
        ).all()
    engine.dispose()
    return {url: (sha, relevant) for url, sha, relevant in rows}


def test_pywb_gives_back_every_page_of_the_crawl(runs: Runs) -> None:
    crawled, backfilled = _captures(runs.crawled), _captures(runs.backfilled)
    assert len(crawled) > 90
    assert {k: digest for k, (digest, _) in backfilled.items()} == {
        k: digest for k, (digest, _) in crawled.items()
    }
    assert {via for _, via in backfilled.values()} == {"pywb"}
    crawled_articles, backfilled_articles = _articles(runs.crawled), _articles(runs.backfilled)
    assert {url: sha for url, (sha, _) in backfilled_articles.items()} == {
        url: sha for url, (sha, _) in crawled_articles.items()
    }
    assert backfilled_articles == crawled_articles  # the same texts, judged the same
    assert sum(yes for _, yes in crawled_articles.values()) == 5


def test_a_second_run_against_pywb_adds_nothing(runs: Runs) -> None:
    first, second = runs.outputs
    assert "failed 0" in first.splitlines()[0]
    assert "fetched 0, failed 0" in second.splitlines()[0], second
    assert "stored 0 captures" in second.splitlines()[0]
    assert second.splitlines()[-1] == "new versions: 0"
