"""Ctrl-C and a second writer, as a user meets them in a terminal.

Ctrl-C sends SIGINT to the whole foreground process group: the crawl and its extraction
workers. Each process here runs in a session of its own, so signalling its group is what a
terminal does, and does not reach pytest. The crawl must finish the pages in flight (every
archived HTML page extracted and stored), close its WARC file, print its summary and exit 130,
without a traceback; `reextract` and `ingest` finish their batch, print their summary and exit
130, and a second run goes on where they stopped. A second crawl into the same data directory
is refused with the first one's pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.simweb import SimWeb
from storage.db import models as m
from storage.db.engine import open_database
from storage.verify import verify
from storage.warcscan import ScannedRecord, scan
from tests.integration.conftest import FAST, CrawlRun

pytestmark = pytest.mark.slow

SLOWER = ["-s", "DOWNLOAD_DELAY=0.02", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
"""After FAST: a crawl of a few seconds, so that a signal finds it at work."""


_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    """A process that did not stop (the bug these tests look for) is killed, group and all."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """`newsarchive ARGS` in a session (and process group) of its own, standard error to `log`."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler", *args],
            stdout=subprocess.PIPE, stderr=stderr, env=env, start_new_session=True,
        )  # fmt: skip
    _STARTED.append(process)
    return process


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, "it ended before the point where it was to be stopped"
        assert time.monotonic() < deadline, "it made no progress"
        time.sleep(0.01)


def ctrl_c(process: subprocess.Popen[bytes]) -> None:
    """What Ctrl-C in a terminal does: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)


def slow_crawl(web: SimWeb, tmp_path: Path, log: str) -> subprocess.Popen[bytes]:
    """A crawl of `web` into tmp_path/data that takes a few seconds, started in the background."""
    story = tmp_path / "story.toml"
    story.write_text(web.story_toml())
    data = str(tmp_path / "data")
    return start("crawl", str(story), "--data", data, *FAST, *SLOWER, log=tmp_path / log)


def html_responses(data: Path) -> dict[str, str]:
    """WARC-Record-ID → URI of every archived HTML response with status 200."""
    found = {}
    for path in sorted((data / "warc").iterdir()):
        for item in scan(path):
            if not isinstance(item, ScannedRecord) or item.record.rec_type != "response":
                continue
            record = item.record
            status = (record.http_start_line or "").split(" ")[1:2]
            if status == ["200"] and "html" in (record.http_header("Content-Type") or ""):
                assert record.record_id is not None and record.target_uri is not None
                found[record.record_id] = record.target_uri
    return found


def sqlite(data: Path) -> str:
    return f"sqlite:///{data / 'newsarchive.db'}"


def test_ctrl_c_finishes_the_pages_in_flight_and_exits_130(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "crawl.log"
    with SimWeb(extra_articles=60) as web:
        crawl = slow_crawl(web, tmp_path, log.name)
        wait_until(lambda: len(web.log.entries()) >= 40, crawl)
        ctrl_c(crawl)
        code = crawl.wait(timeout=120)
        served = len(web.log.entries())
    stderr = log.read_text(errors="replace")
    assert code == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert "Extraction worker died" not in stderr
    assert "Received SIGINT: finishing the pages in flight" in stderr
    assert "Finished (shutdown)" in stderr  # the summary
    assert served < 200  # it stopped early (the whole crawl makes about 300 requests)
    files = list((data / "warc").iterdir())
    assert files and not [f for f in files if f.name.endswith(".open")]  # closed
    html = html_responses(data)
    assert len(html) >= 20
    engine = open_database(sqlite(data), create=False)
    try:
        with engine.connect() as conn:
            captures = dict(conn.execute(select(m.Capture.warc_record_id, m.Capture.id)).all())
            extracted = set(conn.execute(select(m.Extraction.capture_id)).scalars())
        assert [uri for rid, uri in html.items() if rid not in captures] == []
        assert [uri for rid, uri in html.items() if captures[rid] not in extracted] == []
        assert verify(data / "warc", engine).problems == []
    finally:
        engine.dispose()


def test_ctrl_c_twice_stops_at_once_and_the_next_crawl_recovers(tmp_path: Path) -> None:
    data, story = tmp_path / "data", tmp_path / "story.toml"
    with SimWeb(extra_articles=60) as web:
        first = slow_crawl(web, tmp_path, "first.log")
        wait_until(lambda: len(web.log.entries()) >= 40, first)
        ctrl_c(first)
        ctrl_c(first)
        code = first.wait(timeout=60)
        stderr = (tmp_path / "first.log").read_text(errors="replace")
        assert code == 130, stderr[-3000:]
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
        again = start("crawl", str(story), "--data", str(data), *FAST, log=tmp_path / "again.log")
        assert again.wait(timeout=240) == 0, (tmp_path / "again.log").read_text()[-3000:]
    engine = open_database(sqlite(data), create=False)
    try:
        assert verify(data / "warc", engine).problems == []
    finally:
        engine.dispose()


def test_a_second_crawl_into_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    data, story = tmp_path / "data", tmp_path / "story.toml"
    with SimWeb(extra_articles=60) as web:
        first = slow_crawl(web, tmp_path, "first.log")
        wait_until(lambda: len(web.log.entries()) >= 10, first)
        served = len(web.log.entries())
        second = start("crawl", str(story), "--data", str(data), *FAST, log=tmp_path / "2.log")
        assert second.wait(timeout=60) == 2
        refused = (tmp_path / "2.log").read_text()
        assert first.poll() is None  # still crawling: the refusal named a live crawl
        assert refused.count("\n") == 1, refused
        assert f"is in use by newsarchive crawl (pid {first.pid}, since " in refused
        assert first.wait(timeout=240) == 0, (tmp_path / "first.log").read_text()[-3000:]
        requests = [(e.host, e.path) for e in web.log.entries()]
    # the second crawl fetched nothing: every page was requested once (robots.txt aside)
    assert len(requests) > served
    twice = {r for r in requests if requests.count(r) > 1 and r[1] != "/robots.txt"}
    assert twice == set()


def stopped_at_first_progress(process: subprocess.Popen[bytes], log: Path, marker: str) -> None:
    """Ctrl-C once the process has logged a progress line (it is at work, a batch done)."""
    wait_until(lambda: marker in log.read_text(errors="replace"), process)
    ctrl_c(process)


def count(data: Path, what: type[m.Base]) -> int:
    engine = open_database(sqlite(data), create=False)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(what)).scalar_one())
    finally:
        engine.dispose()


def test_ctrl_c_stops_reextract_after_its_batch_and_a_second_run_goes_on(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    data, log = tmp_path / "data", tmp_path / "reextract.log"
    shutil.copytree(demo_crawl.data, data)
    before = count(data, m.Extraction)
    options = ["--data", str(data), "--favor", "recall", "--batch-size", "4", "--workers", "2"]
    run = start("reextract", *options, "--progress", "0.01", log=log)
    stopped_at_first_progress(run, log, "captures (")
    assert run.wait(timeout=120) == 130
    stderr = log.read_text(errors="replace")
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "SIGINT: finishing the work in flight" in stderr
    assert "interrupted; run it again to go on where it stopped" in stderr
    assert run.stdout is not None
    summary = run.stdout.read().decode()
    first = int(summary.split("captures read:")[1].split()[0])
    done = count(data, m.Extraction) - before
    assert 0 < first == done  # what it read, it stored
    rest = subprocess.run(
        [sys.executable, "-m", "crawler", "reextract", *options, "--progress", "0"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert rest.returncode == 0, rest.stderr
    second = int(rest.stdout.split("captures read:")[1].split()[0])
    assert second > 0
    total = count(data, m.Extraction) - before
    assert total == first + second  # nothing extracted twice, nothing left out
    again = subprocess.run(
        [sys.executable, "-m", "crawler", "reextract", *options, "--progress", "0"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert again.stdout.startswith("nothing to re-extract: "), again.stdout


def test_ctrl_c_stops_ingest_after_its_batch_and_a_second_run_goes_on(
    demo_crawl: CrawlRun, tmp_path: Path
) -> None:
    files = sorted((demo_crawl.data / "warc").glob("*.warc.gz"))
    data, log = tmp_path / "data", tmp_path / "ingest.log"
    options = ["--data", str(data), "--batch-size", "4", "--workers", "2"]
    run = start("ingest", *map(str, files), *options, "--progress", "0.001", log=log)
    stopped_at_first_progress(run, log, " MB (")
    assert run.wait(timeout=120) == 130
    stderr = log.read_text(errors="replace")
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "interrupted; ingest the same files again to go on" in stderr
    assert run.stdout is not None
    assert "STOPPED: interrupted" in run.stdout.read().decode()  # the file's summary
    partial = count(data, m.Capture)
    rest = subprocess.run(
        [sys.executable, "-m", "crawler", "ingest", *map(str, files), *options, "--progress", "0"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert rest.returncode == 0, rest.stderr
    assert 0 < partial < count(data, m.Capture) == count(demo_crawl.data, m.Capture)
