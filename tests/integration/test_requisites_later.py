"""Pages first archived by a crawl with requisites off: the next crawls, finding them unchanged
(the same bytes, archived as revisit records), still ask for the requisites no crawl archived,
including those a crawl left out (over `REQUISITES_MAX_PER_PAGE`); once all are archived, an
unchanged page is not read for them at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow


def _stats(stderr: str) -> dict[str, int]:
    dump = stderr.split("Dumping Scrapy stats:", 1)[1]
    return {key: int(value) for key, value in re.findall(r"'([^']+)': (\d+)[,}]", dump)}


def test_an_unchanged_page_gets_the_requisites_an_earlier_crawl_left_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SimWeb(requisites=True) as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        cdn = web.truth.requisites.cdn.split("//", 1)[1].rstrip("/")
        bodies: list[dict[str, str]] = []
        stats: list[dict[str, int]] = []
        for extra in (
            ("-s", "REQUISITES_ENABLED=False"),
            ("--revisit", "all", "-s", "REQUISITES_MAX_PER_PAGE=1"),
            ("--revisit", "all"),
            ("--revisit", "all"),
        ):
            before = len(web.log.entries())
            result = run_newsarchive(
                "crawl", str(story), "--data", str(data), *FAST,
                "-s", f"NEWSARCHIVE_GUARD_ALLOW={cdn}", *extra, timeout=600,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
            stats.append(_stats(result.stderr))
            bodies.append(
                {
                    normalise_url(f"http://{e.host}{e.path}"): e.body_sha256
                    for e in web.log.entries()[before:]
                    if e.status == 200
                }
            )
        truth = web.truth.requisites
    first, second, third, fourth = bodies
    unchanged = {url for url, digest in second.items() if first.get(url) == digest}
    direct = {
        normalise_url(r.url)
        for page, requisites in truth.pages.items()
        if normalise_url(page) in unchanged
        for r in requisites
        if r.parent == page and (r.via != "img-srcset" or "-960." in r.url)
    }
    assert len(direct) >= 5  # pages sent without validators come back whole, with the same bytes
    every = {normalise_url(r.url) for requisites in truth.pages.values() for r in requisites}
    assert not every & set(first)  # the first crawl asked for none
    # one new requisite a page in the second crawl: the others are asked for by the third
    assert stats[1].get("requisites/over_limit", 0) >= 1
    assert not direct <= set(second)
    assert direct <= set(second) | set(third)
    # the fourth finds every requisite of those pages archived: it does not read them
    assert stats[3].get("requisites/unchanged_page_known", 0) >= 1
    assert not direct & set(fourth)
