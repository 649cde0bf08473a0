"""A crawl of the simulated web with its hostile publisher (crawler/simweb/hostile.py).

One crawl, in a subprocess with its working directory, HOME and TMPDIR in a scratch directory,
measured with `os.wait4` (peak RSS of the crawl process and of its extraction workers, the larger
of them). Each attack must be handled: the crawl ends in bounded time, the attack is counted in
the stats and logged with its URL and reason, and the other publishers are crawled as usual.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.core.urls import normalise_url
from crawler.simweb import SimWeb
from crawler.simweb.hostile import AFTER_BOMB, BEYOND_ROBOTS_LIMIT, ROBOTS_SITEMAP, HostileSite
from storage.db import queries
from storage.db.engine import open_database
from storage.db.models import Capture, Url, UrlOutcome
from storage.warc import read_record
from tests.integration.conftest import FAST

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TIME_BOUND = 180.0
"""Seconds for the whole crawl: the slow-loris alone takes 3 x DOWNLOAD_TIMEOUT (15 s)."""
RSS_BOUND_MIB = 512
"""The bound docs/crawling.md documents ("Limits and hostile input")."""
SETTINGS = [*FAST, "-s", "DOWNLOAD_TIMEOUT=5"]


@dataclass
class HostileRun:
    web: SimWeb
    hostile: HostileSite
    data: Path
    returncode: int
    stderr: str
    seconds: float
    max_rss_mib: float
    new_files: list[Path]
    """Files that appeared under the scratch root (cwd, HOME, TMPDIR, the story), DIR excepted."""

    @property
    def stats(self) -> dict[str, int]:
        """The integer stats of Scrapy's final dump."""
        dump = self.stderr.split("Dumping Scrapy stats:", 1)[1]
        return {key: int(value) for key, value in re.findall(r"'([^']+)': (\d+)[,}]", dump)}

    def log_lines(self, *fragments: str) -> list[str]:
        return [line for line in self.stderr.splitlines() if all(f in line for f in fragments)]

    def requested(self, path: str) -> bool:
        return path in self.web.log.paths_fetched(self.hostile.host)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    root = tmp_path_factory.mktemp("hostile")
    logs = tmp_path_factory.mktemp("hostile-logs")
    cwd, home, tmp, data = root / "cwd", root / "home", root / "tmp", root / "data"
    for directory in (cwd, home, tmp):
        directory.mkdir()
    with SimWeb(hostile_publisher=True) as web:
        assert web.hostile is not None
        story = root / "story.toml"
        story.write_text(web.story_toml())
        before = files_under(root)
        env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
        env.update(HOME=str(home), TMPDIR=str(tmp))
        command = [sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(data)]
        # Measured by bench.measure's small launcher: a child forked from this (large) pytest
        # process would start with its peak RSS, and the crawl's extraction workers would escape
        # a plain wait4.
        usage_file = logs / "usage.json"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        launcher = [sys.executable, "-m", "bench.measure", str(usage_file), "--"]
        with (logs / "stderr").open("w") as stderr:
            started = time.monotonic()
            process = subprocess.Popen(
                [*launcher, *command, *SETTINGS],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
            killer = threading.Timer(TIME_BOUND, os.killpg, (process.pid, signal.SIGKILL))
            killer.start()
            try:
                process.wait()
            finally:
                killer.cancel()
            seconds = time.monotonic() - started
        usage = json.loads(usage_file.read_text())  # none if the launcher was killed: an error
        new = sorted(p for p in files_under(root) - before if data not in p.parents)
        yield HostileRun(
            web=web,
            hostile=web.hostile,
            data=data,
            returncode=process.returncode,
            stderr=(logs / "stderr").read_text(),
            seconds=seconds,
            max_rss_mib=usage["peak_rss_kb"] / 1024,  # KiB on Linux
            new_files=new,
        )


def test_the_crawl_completes_in_bounded_time(hostile_crawl: HostileRun) -> None:
    assert hostile_crawl.returncode == 0, hostile_crawl.stderr[-3000:]
    assert hostile_crawl.seconds < TIME_BOUND
    assert "Finished (finished)" in hostile_crawl.stderr


def test_peak_rss_stays_under_the_documented_bound(hostile_crawl: HostileRun) -> None:
    assert hostile_crawl.max_rss_mib < RSS_BOUND_MIB, hostile_crawl.max_rss_mib


def test_nothing_is_written_outside_the_data_directory(hostile_crawl: HostileRun) -> None:
    assert hostile_crawl.new_files == []
    assert list((hostile_crawl.data / "warc").glob("*.warc.gz"))


def test_nothing_fails_inside_the_crawler(hostile_crawl: HostileRun) -> None:
    """No exception escaped a callback, an extraction or a database write."""
    failures = ("spider_exceptions/", "extract/failed/", "db/errors", "db/lost")
    assert [key for key in hostile_crawl.stats if key.startswith(failures)] == []
    assert "Traceback" not in hostile_crawl.stderr


def test_the_other_publishers_are_crawled_as_usual(hostile_crawl: HostileRun) -> None:
    truth = hostile_crawl.web.truth
    disallowed = set(truth.disallowed_urls)
    expected = [
        a
        for a in truth.articles
        if a.url not in disallowed and (a.linked or (a.in_window and a.listed_in - {"links"}))
    ]
    assert len(expected) > 40
    engine = open_database(f"sqlite:///{hostile_crawl.data / 'newsarchive.db'}")
    stored = {str(row["url"]) for row in queries.iter_articles(engine)}
    missing = [a.url for a in expected if normalise_url(a.url) not in stored]
    assert missing == []
    relevant = list(queries.iter_articles(engine, relevant_only=True))
    assert len(relevant) >= 5


# attack -> (stats key, the reason its log line gives)
REFUSED = {
    "gzip-bomb": ("fetch/too_large", "refused (too-large)"),
    "deflate-bomb": ("fetch/too_large", "refused (too-large)"),
    "brotli-bomb": ("fetch/too_large", "refused (too-large)"),
    "huge-with-length": ("fetch/too_large", "refused (too-large)"),
    "huge-streamed": ("fetch/too_large", "refused (too-large)"),
    "slow-loris": ("fetch/timeout", "took longer than 5.0 seconds"),
    "redirect-loop": ("redirect/loop", "refused (redirect-loop)"),
    "redirect-self": ("redirect/loop", "refused (redirect-loop)"),
    "redirect-chain": ("redirect/too_many", "refused (redirect-limit)"),
    "redirect-internal": ("fetch/blocked_address", "refused (blocked-address)"),
    "redirect-closed-port": ("fetch/blocked_address", "refused (blocked-address)"),
    "redirect-long-url": ("fetch/url_too_long", "refused (url-too-long)"),
    "sitemap-gzip-bomb": ("discovery/failed/sitemap_unreadable", "decompresses to more than"),
    "sitemap-self-index": ("discovery/sitemap_loop", "lists itself or its parent"),
    "huge-robots": ("fetch/robots_truncated", "truncated (too-large)"),
}


@pytest.mark.parametrize("attack", sorted(REFUSED))
def test_each_attack_is_counted_and_logged_with_its_url(
    hostile_crawl: HostileRun, attack: str
) -> None:
    key, reason = REFUSED[attack]
    url = hostile_crawl.hostile.attacks[attack]
    assert hostile_crawl.stats.get(key, 0) >= 1, key
    assert hostile_crawl.log_lines(url, reason), f"no log line names {url} with {reason!r}"


def test_every_attack_was_served(hostile_crawl: HostileRun) -> None:
    """The crawler met every attack: none was skipped by accident."""
    for attack, url in hostile_crawl.hostile.attacks.items():
        assert hostile_crawl.requested(url.removeprefix(hostile_crawl.hostile.base_url[:-1])), (
            attack
        )


def test_the_refusals_add_up(hostile_crawl: HostileRun) -> None:
    stats = hostile_crawl.stats
    assert stats["fetch/too_large"] == 5  # three bombs, two huge bodies
    assert stats["redirect/loop"] == 2
    assert stats["fetch/blocked_address"] == 2
    assert stats["outcome/blocked-address"] == stats["fetch/blocked_address"]


def test_redirects_refused_by_the_address_guard_are_filed_as_blocked_address(
    hostile_crawl: HostileRun,
) -> None:
    """Not 'off-site' (127.0.0.2 is another host) nor 'not-fetched: the crawl ended first'
    (127.0.0.1:1 is on an allowed domain): Scrapy drops a request refused when it is scheduled
    without calling its errback."""
    port = hostile_crawl.hostile.port
    engine = open_database(f"sqlite:///{hostile_crawl.data / 'newsarchive.db'}")
    with Session(engine) as session:
        rows = {
            url: (outcome, reason)
            for url, outcome, reason in session.execute(
                select(UrlOutcome.url, UrlOutcome.outcome, UrlOutcome.reason)
            )
        }
    engine.dispose()
    for target in (f"http://127.0.0.2:{port}/", "http://127.0.0.1:1/admin"):
        assert rows[target] == ("skipped", "blocked-address"), target


def test_xml_bombs_are_read_without_expanding_their_entities(hostile_crawl: HostileRun) -> None:
    """The page listed after the entity references was found: the parsers went past them."""
    for kind, path in AFTER_BOMB.items():
        assert hostile_crawl.requested(path), kind


def test_robots_txt_is_read_up_to_its_limit_and_archived_as_truncated(
    hostile_crawl: HostileRun,
) -> None:
    assert hostile_crawl.requested(ROBOTS_SITEMAP)  # named in the first lines
    assert not hostile_crawl.requested(BEYOND_ROBOTS_LIMIT)  # named in the last line
    engine = open_database(f"sqlite:///{hostile_crawl.data / 'newsarchive.db'}")
    robots = normalise_url(hostile_crawl.hostile.url("/robots.txt"))
    with Session(engine) as session:
        capture = session.scalars(select(Capture).join(Url).where(Url.url == robots)).one()
    record = read_record(hostile_crawl.data / "warc" / capture.warc_filename, capture.warc_offset)
    assert record.warc_header("WARC-Truncated") == "length"
    assert 512 * 1024 <= len(record.payload) < 1024 * 1024


def test_bombs_are_archived_as_sent_and_huge_bodies_not_at_all(hostile_crawl: HostileRun) -> None:
    engine = open_database(f"sqlite:///{hostile_crawl.data / 'newsarchive.db'}")
    attacks = {name: normalise_url(url) for name, url in hostile_crawl.hostile.attacks.items()}
    with Session(engine) as session:
        rows = session.execute(
            select(Url.url, Capture.warc_filename, Capture.warc_offset).join(Capture)
        ).all()
    archived = {url: (filename, offset) for url, filename, offset in rows}
    for bomb in ("gzip-bomb", "deflate-bomb", "brotli-bomb"):
        filename, offset = archived[attacks[bomb]]
        record = read_record(hostile_crawl.data / "warc" / filename, offset)
        assert record.payload == hostile_crawl.web.sent_body(hostile_crawl.hostile.attacks[bomb])
        assert record.warc_header("WARC-Truncated") is None
    for huge in ("huge-with-length", "huge-streamed", "slow-loris"):
        assert attacks[huge] not in archived


def test_broken_encodings_and_markup_are_archived_and_extracted(
    hostile_crawl: HostileRun,
) -> None:
    engine = open_database(f"sqlite:///{hostile_crawl.data / 'newsarchive.db'}")
    with Session(engine) as session:
        captured = set(session.scalars(select(Url.url).join(Capture)))
    pages = [
        "invalid-utf8",
        "wrong-charset",
        "conflicting-charsets",
        "utf16-undeclared",
        "malformed-html",
        "binary-as-html",
        "deep-nesting",
        "malformed-feed",
        "mislabelled-feed",
        "malformed-sitemap",
        "invalid-utf8-sitemap",
        "feed-xml-bomb",
        "sitemap-xml-bomb",
    ]
    attacks = {name: normalise_url(url) for name, url in hostile_crawl.hostile.attacks.items()}
    assert [p for p in pages if attacks[p] not in captured] == []
    stored = {str(row["url"]) for row in queries.iter_articles(engine)}
    assert attacks["invalid-utf8"] in stored
    assert attacks["wrong-charset"] in stored


def test_links_to_internal_and_overlong_urls_are_not_followed(hostile_crawl: HostileRun) -> None:
    stats = hostile_crawl.stats
    assert stats["discovery/offsite"] >= len(hostile_crawl.hostile.internal_links)
    assert stats["urllength/request_ignored_count"] >= 1
    assert hostile_crawl.log_lines("Ignoring link (url length > 2083)")
    assert not any(e.path.startswith("/long/a") for e in hostile_crawl.web.log.entries())
