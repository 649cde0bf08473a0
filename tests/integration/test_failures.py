"""Bad input and a bad web: one clear message each, and the rest of the crawl goes on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.cli import main
from crawler.simweb import SimWeb
from storage.db import queries
from storage.db.engine import open_database
from storage.db.models import UrlOutcome
from tests.integration.conftest import crawl

pytestmark = pytest.mark.slow


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_invalid_story_file_is_one_clear_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.toml"
    story.write_text('name = "x"\n[[sources]]\nurl = "127.0.0.1:8001"\n')
    assert main(["crawl", str(story), "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"newsarchive crawl: {story}: sources[0].url: must be an http(s) URL with a host, "
        "got '127.0.0.1:8001'"
    )
    assert not (tmp_path / "data").exists()


def test_a_bad_setting_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.toml"
    story.write_text('name = "x"\n[[sources]]\nurl = "http://127.0.0.1:9/"\n')
    assert main(["crawl", str(story), "-s", "DOWNLOAD_DELAY"]) == 2
    assert "-s takes NAME=VALUE, got 'DOWNLOAD_DELAY'" in capsys.readouterr().err


def test_unreachable_and_failing_sources_are_reported_and_the_rest_is_crawled(
    tmp_path: Path,
) -> None:
    port = closed_port()
    with SimWeb(failing_publisher=True) as web:
        assert web.truth.failing_host is not None
        story = web.story_toml() + (
            f'\n[[sources]]\nname = "Gone Gazette"\nurl = "http://127.0.0.1:{port}/"\n'
            f'feeds = ["http://127.0.0.1:{port}/rss.xml"]\n'
        )
        broken = next(p for p in web.publishers if p.host == web.truth.failing_host)
        run = crawl(web, tmp_path, story, "-s", "RETRY_TIMES=0")
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    stderr = run.result.stderr
    assert f"source 'Gone Gazette': http://127.0.0.1:{port}/ cannot be fetched" in stderr
    assert "Connection was refused" in stderr or "refused" in stderr.lower()
    assert f"source '{broken.name}': http://{broken.host}/ answered HTTP 500" in stderr
    assert "discovery/failed/http_500" in stderr
    # the closing summary counts the errors of each publisher on its row
    rows = {
        line.strip().rsplit(None, 4)[0]: [int(n) for n in line.split()[-4:]]
        for line in run.result.stdout.splitlines()
        if line.startswith("  ") and line.split()[-1].isdigit()
    }
    assert rows[broken.name][3] > 0 and rows["Gone Gazette"][3] > 0, run.result.stdout
    assert rows["Gone Gazette"][0] == 0
    healthy = [p.name for p in web.publishers if p.host != broken.host]
    assert all(rows[name][3] == 0 and rows[name][1] > 0 for name in healthy), run.result.stdout
    # the healthy publishers were crawled all the same
    engine = open_database(run.db_url)
    relevant = list(queries.iter_articles(engine, relevant_only=True))
    assert len(relevant) >= 5
    # and the 500 is archived as a capture like any other response
    status = queries.status(engine, warc_dir=run.data / "warc")
    rows = [p for p in status.publishers if p.host == broken.host]
    assert rows and rows[0].counts.captures >= 1
    # and every failure is a recorded outcome with its reason
    (report,) = queries.outcomes(engine)
    counts = {(c.outcome, c.reason): c.urls for c in report.counts}
    assert counts[("failed", "http-500")] >= 1
    gone = f"http://127.0.0.1:{port}/"
    assert counts[("failed", "connection-refused")] == 3  # home page, feed, robots.txt
    with engine.connect() as conn:
        found = {
            url: reason
            for url, reason in conn.execute(
                select(UrlOutcome.url, UrlOutcome.reason).where(UrlOutcome.outcome == "failed")
            )
        }
    assert found[gone] == found[f"{gone}rss.xml"] == found[f"{gone}robots.txt"]
    assert found[f"http://{broken.host}/"] == "http-500"


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("NEWSARCHIVE_NOW=yesterday", "NEWSARCHIVE_NOW must be an ISO 8601 time"),
        ("NEWSARCHIVE_REVISIT=sometimes", "NEWSARCHIVE_REVISIT must be one of due, all, none"),
        ("DB_BATCH_SIZE=abc", "DB_BATCH_SIZE must be a whole number"),
        ("EXTRACT_FAVOR=fast", "extraction settings: favor must be one of"),
        ("CLUSTER_THRESHOLD=2", "clustering settings: threshold must be in (0, 1]"),
        ("CLUSTER_NUM_PERM=many", "CLUSTER_NUM_PERM must be a whole number"),
        ("DB_URL=notaurl", "cannot use the database 'notaurl'"),
    ],
)
def test_settings_a_crawl_would_fail_on_are_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, words: str
) -> None:
    story = tmp_path / "story.toml"
    story.write_text('name = "x"\n[[sources]]\nurl = "http://127.0.0.1:9/"\n')
    code = main(["crawl", str(story), "--data", str(tmp_path / "data"), "-s", setting])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("newsarchive crawl: ") and words in err, err
    assert "Traceback" not in err


def test_a_story_file_that_is_not_utf8_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.toml"
    story.write_bytes(b'name = "caf\xe9"\n')
    assert main(["crawl", str(story)]) == 2
    assert f"{story}: not UTF-8 text (byte 11)" in capsys.readouterr().err
