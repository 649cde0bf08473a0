"""Syndication clusters on the simulated web, as the end of a real crawl leaves them, and an
export of that crawl in every format."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db import queries
from storage.db.engine import open_database
from tests.integration.conftest import FAST, CrawlRun, run_newsarchive

pytestmark = pytest.mark.slow


def rows_by_url(run: CrawlRun) -> dict[str, dict[str, Any]]:
    engine = open_database(run.db_url)
    try:
        return {row["url"]: row for row in queries.article_rows(engine)}
    finally:
        engine.dispose()


def test_the_crawl_clusters_copies_and_only_copies(demo_crawl: CrawlRun) -> None:
    rows = rows_by_url(demo_crawl)
    assert "clusters/signed" in demo_crawl.result.stderr
    seeds = {
        a.seed_id: rows[normalise_url(a.url)] for a in demo_crawl.web.truth.articles if a.seed_id
    }
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]

    # The syndicated pair shares a cluster; its original is the earlier published. Both went
    # out on 4 February, 00:52 and 09:30 UTC: the hour decides, not which copy was fetched first.
    pair = [seeds["000"], seeds["002"]]
    assert pair[0]["cluster_id"] == pair[1]["cluster_id"] is not None
    assert [r["cluster_size"] for r in pair] == [2, 2]
    stated = [datetime.fromisoformat(r["published"]) for r in pair]
    assert stated[0].date() == stated[1].date() and stated[0] < stated[1]
    assert [r["is_original"] for r in pair] == [True, False]

    # The rewrites of the same story are not copies: each is alone.
    rewrites = [seeds[key] for key in ("001", "003", "004")]
    assert len({r["cluster_id"] for r in rewrites} | {pair[0]["cluster_id"]}) == 4
    assert all(r["cluster_size"] == 1 and r["is_original"] for r in rewrites)

    # Everything else, the generated off-topic articles included, is alone.
    paired = {
        normalise_url(a.url) for a in demo_crawl.web.truth.articles if a.seed_id in ("000", "002")
    }
    others = [row for url, row in rows.items() if url not in paired]
    assert len(others) >= 40
    assert all(r["cluster_size"] == 1 and r["is_original"] for r in others)


def test_the_clusters_verb_lists_the_pair_and_a_rebuild_agrees(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    def clustering(run: CrawlRun) -> dict[str, tuple[object, ...]]:
        fields = ("cluster_id", "is_original", "cluster_size")
        return {url: tuple(r[f] for f in fields) for url, r in rows_by_url(run).items()}

    before = clustering(demo_crawl)
    # on a copy: the session's demo crawl stays as the crawl left it for the tests that follow
    copy = dataclasses.replace(demo_crawl, data=tmp_path / "data")
    shutil.copytree(demo_crawl.data, copy.data)
    result = run_newsarchive(
        "clusters", "--data", str(copy.data), "--story", "el-salvador-prisoners",
        "--format", "json", "--rebuild",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "0 reassigned" in result.stderr
    [cluster] = json.loads(result.stdout)["clusters"]
    assert sorted(m["publisher"] for m in cluster["members"]) == [
        "The Ledgerline",
        "Wirefront Daily",
    ]
    assert clustering(copy) == before  # the same groups, and the same original in each


CRAWL_AND_SAY = (
    "import sys\n"
    "from crawler.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('datasketch loaded:', 'datasketch' in sys.modules, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_the_crawling_process_stores_the_workers_signatures_without_datasketch(
    tmp_path: Path,
) -> None:
    """The extraction workers sign the articles; the crawling process stores the signatures
    with each batch and links copies without ever loading datasketch (and scipy)."""
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
        result = subprocess.run(
            [sys.executable, "-c", CRAWL_AND_SAY, "crawl", str(story), "--data", str(data), *FAST],
            capture_output=True, text=True, timeout=240, env=env, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert "datasketch loaded: False" in result.stderr
    engine = open_database(f"sqlite:///{data / 'newsarchive.db'}")
    try:
        rows = list(queries.article_rows(engine))
    finally:
        engine.dispose()
    assert len(rows) >= 40
    assert all(row["cluster_id"] is not None for row in rows)  # every article signed
    assert sorted(row["cluster_size"] for row in rows)[-2:] == [2, 2]  # the syndicated pair

    rebuilt = run_newsarchive("clusters", "--data", str(data), "--rebuild", "--format", "json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 reassigned" in rebuilt.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_the_crawl_exports_in_every_format(demo_crawl: CrawlRun, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"x.{fmt}"
    result = run_newsarchive(
        "export", "--data", str(demo_crawl.data), "--format", fmt, "-o", str(out), "--relevant-only"
    )
    assert result.returncode == 0, result.stderr
    assert "5 articles written" in result.stderr
    if fmt == "parquet":
        import pyarrow.parquet as pq

        urls = pq.read_table(out).column("url").to_pylist()
    elif fmt == "csv":
        with out.open(encoding="utf-8", newline="") as stream:
            urls = [row["url"] for row in csv.DictReader(stream)]
    else:
        urls = [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(urls) == sorted(
        u for u, r in rows_by_url(demo_crawl).items() if r["story"] and r["relevant"]
    )
