"""A real crawl of the simulated news web, run once per session in a subprocess.

The Twisted reactor cannot be restarted inside one process, so every crawl runs as
`python -m crawler crawl …`, as a user would run it. The simulated web runs in this process, so
the tests can read its request log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.simweb import SimWeb

FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "-s",
    "EXTRACT_WORKERS=2",
    "-s",
    "NEWSARCHIVE_PROGRESS_INTERVAL=1",
    # the tests read Scrapy's INFO log (the stats dump, "Finished (…)"), off by default
    "-s",
    "LOG_LEVEL=INFO",
]


@dataclass
class CrawlRun:
    web: SimWeb
    data: Path
    story: Path
    result: subprocess.CompletedProcess[str]

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data / 'newsarchive.db'}"


def run_newsarchive(
    *args: str, cwd: Path | None = None, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def crawl(web: SimWeb, tmp: Path, story_text: str, *extra: str) -> CrawlRun:
    story = tmp / "story.toml"
    story.write_text(story_text)
    data = tmp / "data"
    result = run_newsarchive("crawl", str(story), "--data", str(data), *FAST, *extra)
    return CrawlRun(web, data, story, result)


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    with SimWeb() as web:
        run = crawl(web, tmp_path_factory.mktemp("demo"), web.story_toml())
        assert run.result.returncode == 0, run.result.stderr[-4000:]
        yield run
