"""What `newsarchive crawl` prints: a few lines at the default level, ending with the summary and
"Next:"; Scrapy's log and the database's revision with -L INFO or -v; nothing but errors with
--quiet; a live table per publisher on a terminal (docs/crawling.md#what-a-crawl-prints)."""

from __future__ import annotations

import os
import pty
import re
import sys
from pathlib import Path

import pytest

from crawler.simweb import SimWeb
from tests.integration.conftest import run_newsarchive

QUICK = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "-s", "EXTRACT_WORKERS=2",
]  # fmt: skip
"""FAST without its INFO log and its progress line every second: what a user sees."""
SHORT = ["-s", "CLOSESPIDER_PAGECOUNT=8"]
"""A crawl cut short: enough to see what it logs."""
MAX_LINES = 25


@pytest.fixture(scope="module")
def web() -> SimWeb:
    with SimWeb() as running:
        yield running


def story_file(web: SimWeb, tmp_path: Path) -> Path:
    story = tmp_path / "story.toml"
    story.write_text(web.story_toml())
    return story


def test_a_crawl_of_the_demo_web_prints_a_few_lines_ending_with_the_summary(
    web: SimWeb, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    result = run_newsarchive("crawl", str(story_file(web, tmp_path)), "--data", str(data), *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    assert "scrapy" not in result.stderr and "alembic" not in result.stderr, result.stderr
    out = result.stdout.splitlines()
    summary = next(i for i, line in enumerate(out) if line.startswith("Crawled "))
    assert re.match(
        r"Crawled 'el-salvador-prisoners' in [\d.]+ s \(finished\): \d+ pages", out[summary]
    )
    # a row per publisher of the story, then the total, agreeing with the stats of the run
    for publisher in web.publishers:
        assert any(line.strip().startswith(publisher.name) for line in out[summary:]), out
    total = next(line for line in out[summary:] if line.strip().startswith("total")).split()
    fetched, articles, relevant, errors = map(int, total[1:])
    assert fetched > 0 and articles > 0 and relevant > 0 and errors == 0
    nexts = [line for line in out if line.startswith("Next:")]
    assert nexts and out.index(nexts[0]) > summary
    assert out[-1].strip() == f"newsarchive serve --data {data}"
    assert f"newsarchive report --data {data} --story el-salvador-prisoners" in result.stdout


def test_verbose_brings_the_scrapy_and_database_log_back(web: SimWeb, tmp_path: Path) -> None:
    for flag in (["-v"], ["-L", "info"]):
        data = tmp_path / flag[-1]
        story = story_file(web, tmp_path)
        result = run_newsarchive("crawl", str(story), "--data", str(data), *QUICK, *SHORT, *flag)
        assert "[scrapy.core.engine] INFO: Spider opened" in result.stderr, flag
        assert "[crawler.extensions.database] INFO: Database sqlite:///" in result.stderr, flag
        assert "at revision 0" in result.stderr, flag
        assert "Dumping Scrapy stats" in result.stderr, flag
        assert "Crawled 'el-salvador-prisoners'" in result.stdout, flag


def test_warnings_and_the_summary_show_at_warning_level(tmp_path: Path) -> None:
    from tests.support import unreachable_story

    story = tmp_path / "story.toml"
    story.write_text(unreachable_story("gone"))
    result = run_newsarchive(
        "crawl", str(story), "--data", str(tmp_path / "data"), *QUICK, "-L", "WARNING"
    )
    assert result.returncode == 1
    assert "cannot be fetched" in result.stderr  # the warning
    assert "Crawled 'gone'" in result.stdout  # the summary, with no "Next:" for nothing fetched
    assert "Next:" not in result.stdout


def test_quiet_prints_nothing_but_errors(web: SimWeb, tmp_path: Path) -> None:
    story = story_file(web, tmp_path)
    result = run_newsarchive(
        "crawl", str(story), "--data", str(tmp_path / "data"), *QUICK, "--quiet"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    # an error is still one line
    broken = run_newsarchive("crawl", str(story), "--data", str(tmp_path / "data"), "--quiet",
                             "-s", "DOWNLOAD_DELAY=soon")  # fmt: skip
    assert broken.returncode == 2
    assert broken.stderr.startswith("newsarchive crawl: DOWNLOAD_DELAY"), broken.stderr
    assert len(broken.stderr.splitlines()) == 1 and broken.stdout == ""


def test_on_a_terminal_the_progress_is_a_live_table_per_publisher(
    web: SimWeb, tmp_path: Path
) -> None:
    story = story_file(web, tmp_path)
    command = [sys.executable, "-m", "crawler", "crawl", str(story), "--data",
               str(tmp_path / "data"), *QUICK, *SHORT]  # fmt: skip
    out = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 4096)
        out.extend(data)
        return data

    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({**env, "COLUMNS": "120", "TERM": "xterm"})
    try:
        pty.spawn(command, read)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))
    assert "crawling: 0:" in text and "pages/min" in text, text[-3000:]
    assert re.search(r"publisher\s+fetched\s+articles\s+relevant\s+errors", text), text[-3000:]
    assert web.publishers[0].name in text
    assert "Crawled 'el-salvador-prisoners'" in text
    assert "[scrapy" not in text
