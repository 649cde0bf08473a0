"""Page requisites in a crawl of the simulated web with `requisites=True` and enough extra
articles that each publisher's shared stylesheet and images serve 50 or more pages: every
requisite of every article page is archived, each URL fetched once a crawl (from the CDN host
too, its robots.txt read), none becomes an article. The next crawl, a round later (a few articles
edited), asks only the pages that came with new bytes for their requisites, and archives those
as revisits; a page that came back unchanged (a 304, or the same bytes) loads nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow

EXTRA = 240
"""Generated articles: 48 more a publisher, for 50 pages or more sharing each stylesheet."""


@dataclass
class Crawled:
    web: SimWeb
    data: Path
    fetched: list[Counter[str]]
    """Per crawl: requests served, by normalised URL."""
    full: list[dict[str, str]]
    """Per crawl: the (normalised) URLs answered 200 (not 304), with the SHA-256 of the body."""
    stderr: list[str]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("requisites")
    data = tmp / "data"
    with SimWeb(requisites=True, extra_articles=EXTRA) as web:
        story = tmp / "story.toml"
        story.write_text(web.story_toml())
        fetched, full, stderr = [], [], []
        for again in ((), ("--revisit", "all")):
            if again:
                web.advance()
            before = len(web.log.entries())
            # the CDN is on loopback too: the address guard lets it through only when told
            cdn = web.truth.requisites.cdn.split("//", 1)[1].rstrip("/")
            result = run_newsarchive(
                "crawl", str(story), "--data", str(data), *FAST,
                "-s", f"NEWSARCHIVE_GUARD_ALLOW={cdn}", *again, timeout=600,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
            stderr.append(result.stderr)
            entries = web.log.entries()[before:]
            # by identity: a page is requested as published (a feed's link with ?utm_source=…)
            fetched.append(Counter(normalise_url(f"http://{e.host}{e.path}") for e in entries))
            full.append(
                {
                    normalise_url(f"http://{e.host}{e.path}"): e.body_sha256
                    for e in entries
                    if e.status == 200
                }
            )
        yield Crawled(web, data, fetched, full, stderr)


def _new_bytes(crawled: Crawled, n: int) -> set[str]:
    """The pages crawl `n` fetched whole with bytes no earlier crawl archived."""
    return {
        url
        for url, digest in crawled.full[n].items()
        if all(earlier.get(url) != digest for earlier in crawled.full[:n])
    }


def _needed(crawled: Crawled, n: int = 0) -> dict[str, int]:
    """{requisite URL: how many article pages crawl `n` fetched with new bytes need it}: of a
    `srcset`, only the largest candidate (`-960`); what a stylesheet loads only when the
    stylesheet itself came whole (a 304 has no body to read). The second crawl revisits every
    article: those that answer 304 or the same bytes load nothing."""
    truth = crawled.web.truth.requisites
    full = crawled.full[n]
    pages = _new_bytes(crawled, n)
    count: Counter[str] = Counter()
    for page, requisites in truth.pages.items():
        if normalise_url(page) in pages:
            count.update(
                {
                    normalise_url(r.url)
                    for r in requisites
                    if (r.via != "img-srcset" or "-960." in r.url)
                    and (r.parent == page or normalise_url(r.parent) in full)
                }
            )
    return dict(count)


def test_every_requisite_is_fetched_once_a_crawl(crawled: Crawled) -> None:
    needed = _needed(crawled)
    shared = {url for url, pages in needed.items() if pages >= 50}
    assert len(shared) >= 5 * 4  # a stylesheet, fonts.css, the font, the script… per publisher
    for n, fetched in enumerate(crawled.fetched):
        needed = _needed(crawled, n)
        assert {url: fetched[url] for url in needed} == dict.fromkeys(needed, 1)
    # the edited articles need their requisites again; Wirefront Daily's articles, sent without
    # validators, answer 200 with the same bytes and need none: only the edited pages' are asked
    assert _needed(crawled, 1)
    unchanged = set(crawled.full[1]) - _new_bytes(crawled, 1)
    assert len(unchanged) >= 40
    asked = {url for url in crawled.fetched[1] if url in set(_needed(crawled, 0))}
    assert asked == set(_needed(crawled, 1))
    every = {
        normalise_url(r.url)
        for requisites in crawled.web.truth.requisites.pages.values()
        for r in requisites
    }
    assert max(fetched[url] for fetched in crawled.fetched for url in every) == 1
    cdn = crawled.web.truth.requisites.cdn
    assert crawled.fetched[0][cdn + "robots.txt"] == 1


def test_requisites_are_archived_never_articles(crawled: Crawled) -> None:
    needed = {normalise_url(u) for u in _needed(crawled)}
    again = {normalise_url(u) for u in _needed(crawled, 1)}
    engine = open_database(f"sqlite:///{crawled.data / 'newsarchive.db'}")
    with engine.connect() as conn:
        captures = conn.execute(
            select(m.Url.url, m.Capture.record_type, m.Capture.status, m.Capture.fetched_at)
            .join(m.Url, m.Url.id == m.Capture.url_id)
            .order_by(m.Capture.fetched_at)
        ).all()
        articles = set(
            conn.scalars(
                select(m.Url.url).join(m.ArticleVersion, m.ArticleVersion.url_id == m.Url.id)
            )
        )
    engine.dispose()
    by_url: dict[str, list[tuple[str, int]]] = {}
    for url, kind, status, _ in captures:
        by_url.setdefault(url, []).append((kind, status))
    assert not needed & articles
    for url in needed:
        assert by_url[url][0] == ("response", 200), url
    for url in again:
        # the next crawl: a 304 (the validators sent) or the same bytes, as a revisit
        _, second = by_url[url]
        assert second[0] == "revisit", (url, second)
