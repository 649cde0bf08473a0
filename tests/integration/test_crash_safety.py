"""Crawls of the simulated web killed with SIGKILL at random moments, then restarted; and a crawl
stopped with SIGTERM.

After every kill the archive holds only what a crash may leave (an unfinished `.open` file and
records the database has not caught up with), `verify --repair` makes it clean, and the next crawl
does the same recovery by itself before it writes. At the end every page is archived exactly once
across all the runs: what a killed run stored is not fetched again.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.cli.verify import main as verify_main
from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from storage.db.engine import open_database
from storage.verify import Problem, verify
from storage.warcscan import ScannedRecord, scan
from tests.integration.conftest import FAST, run_newsarchive

pytestmark = pytest.mark.slow

KILLS = 10
SEED = 20250204


def start_crawl(story: Path, data: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(data), *FAST,
             *extra],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env,
        )  # fmt: skip


def wait_for_requests(web: SimWeb, process: subprocess.Popen[bytes], count: int) -> None:
    """Until the server has answered `count` more requests, or the crawl has ended."""
    target = len(web.log.entries()) + count
    deadline = time.monotonic() + 120
    while len(web.log.entries()) < target and process.poll() is None:
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.005)


def left_behind(log: Path, timeout: float = 120) -> list[int]:
    """Processes of a killed crawl still alive after `timeout` seconds (its extraction workers,
    their forkserver): found by their standard error, the crawl's log file (Linux /proc).

    Polled, so the generous timeout costs nothing when they go: they notice their parent's death
    by themselves, which on a loaded machine can take many seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for fd in Path("/proc").glob("[0-9]*/fd/2"):
            try:
                if os.readlink(fd) == str(log):
                    alive.append(int(fd.parts[2]))
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def responses_by_uri(data: Path) -> Counter[str]:
    """How many response records each URL has, across all the WARC files: by normalised target
    URI, since a URL is requested as published and which of its published forms (a feed's,
    tracking query and all, or a link's) comes first varies from crawl to crawl."""
    counts: Counter[str] = Counter()
    for path in sorted((data / "warc").iterdir()):
        for item in scan(path):
            if isinstance(item, ScannedRecord) and item.record.rec_type == "response":
                counts[normalise_url(item.record.warc_header("WARC-Target-URI") or "")] += 1
    return counts


def db_url(data: Path) -> str:
    return f"sqlite:///{data / 'newsarchive.db'}"


def problems(data: Path) -> list[Problem]:
    engine = open_database(db_url(data), create=False)
    try:
        return verify(data / "warc", engine).problems
    finally:
        engine.dispose()


def check(data: Path) -> list[str]:
    return [str(p) for p in problems(data)]


@pytest.mark.timeout(900)  # a dozen crawls: passed 300 s at load 15 without a fault
def test_crawl_killed_at_random_points_archives_every_page_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        reference = run_newsarchive("crawl", str(story), "--data", str(tmp_path / "ref"), *FAST)
        assert reference.returncode == 0, reference.stderr[-3000:]
        expected = responses_by_uri(tmp_path / "ref")
        data = tmp_path / "data"
        kills = runs = 0
        while kills < KILLS:
            runs += 1
            assert runs <= 3 * KILLS, "the crawls kept ending before the kill point"
            log = tmp_path / f"run{runs}.log"
            had_open = any(p.name.endswith(".open") for p in (data / "warc").glob("*"))
            crawl = start_crawl(story, data, log)
            wait_for_requests(web, crawl, rng.randint(1, 60))
            crawl.send_signal(signal.SIGKILL)
            code = crawl.wait(timeout=30)
            stderr = log.read_text(errors="replace")
            if had_open:  # recovered before its first request
                assert "left by a crashed crawl" in stderr, stderr[-3000:]
            if code != -signal.SIGKILL:
                assert code == 0, stderr[-3000:]  # it had finished before the kill point
                continue
            kills += 1
            if Path("/proc/self/fd").is_dir():
                assert left_behind(log) == []
            if not (data / "newsarchive.db").exists():
                continue  # killed before it opened its database
            # Only what a crash leaves: an unfinished file, records the database lacks.
            left = problems(data)
            assert all(p.fixable and p.capture is None for p in left), [str(p) for p in left]
            copy = tmp_path / f"repaired{runs}"
            shutil.copytree(data, copy)
            assert verify_main(["--data", str(copy), "--repair"]) == 0
            assert check(copy) == []
            shutil.rmtree(copy)
        final = start_crawl(story, data, tmp_path / "final.log")
        assert final.wait(timeout=180) == 0, (tmp_path / "final.log").read_text()[-3000:]

    assert check(data) == []
    assert verify_main(["--data", str(data)]) == 0
    archived = responses_by_uri(data)
    assert set(archived) >= set(expected), set(expected) - set(archived)
    # robots.txt and non-HTML leaves (the PDF) are fetched afresh by every crawl, by design.
    again = {uri for uri in expected if uri.endswith("/robots.txt") or uri.endswith(".pdf")}
    twice = {uri: n for uri, n in archived.items() if n > 1 and uri not in again}
    assert twice == {}
    assert all(archived[uri] <= runs + 1 for uri in again)


def test_sigterm_stops_a_crawl_cleanly(tmp_path: Path) -> None:
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        log = tmp_path / "crawl.log"
        crawl = start_crawl(story, data, log)
        wait_for_requests(web, crawl, 40)
        crawl.send_signal(signal.SIGTERM)
        code = crawl.wait(timeout=60)
        served = len(web.log.entries())
    stderr = log.read_text(errors="replace")
    assert "Received SIGTERM: finishing the pages in flight" in stderr, stderr[-3000:]
    assert code == 128 + signal.SIGTERM, stderr[-3000:]  # stopped by the signal
    assert "(shutdown)" in stderr
    files = list((data / "warc").iterdir())
    assert files and not [f for f in files if f.name.endswith(".open")]
    assert check(data) == []  # every archived record has its capture, every capture its record
    assert served < 115  # it stopped before the end (a whole crawl makes 115 requests)


def test_a_crawl_paused_with_sigint_resumes_from_its_jobdir(tmp_path: Path) -> None:
    """With JOBDIR the resumed crawl fetches only what the first did not: robots.txt aside,
    no URL is requested twice (without it, listings would be fetched again as revisits)."""
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        job = ("-s", f"JOBDIR={data / 'job'}")
        first = start_crawl(story, data, tmp_path / "first.log", *job)
        wait_for_requests(web, first, 50)
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 130
        paused = len(web.log.entries())
        second = start_crawl(story, data, tmp_path / "second.log", *job)
        assert second.wait(timeout=180) == 0, (tmp_path / "second.log").read_text()[-3000:]
        requests = Counter((e.host, e.path) for e in web.log.entries())
    assert paused < sum(requests.values())
    assert {path for (_, path), n in requests.items() if n > 1} == {"/robots.txt"}
    assert check(data) == []
    assert max(responses_by_uri(data).values()) <= 2  # robots.txt, once per run
