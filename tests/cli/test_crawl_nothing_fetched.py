"""`newsarchive crawl` that fetched no page says why, and points at warnings only when some
were printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.cli.crawl import nothing_fetched
from tests.support import unreachable_story

STORY = unreachable_story("nothing-story")


def stats(**values: Any) -> dict[str, Any]:
    return {"finish_reason": "finished", **{k.replace("__", "/"): v for k, v in values.items()}}


def test_an_interrupted_crawl_says_so() -> None:
    assert nothing_fetched(stats(finish_reason="shutdown"), "s") == (
        "the crawl stopped (shutdown) before any page was fetched"
    )


def test_warnings_are_pointed_at_only_when_some_were_logged() -> None:
    assert "see the warnings above" in nothing_fetched(stats(log_count__WARNING=2), "s")
    assert "see the errors above" in nothing_fetched(stats(log_count__ERROR=1), "s")
    message = nothing_fetched(stats(**{"outcome/connection-refused": 2}), "s")
    assert "warnings" not in message
    assert message == ("no page was fetched; what became of the URLs met: connection-refused 2")
    assert nothing_fetched(stats(), "s") == (
        "no page was fetched: the story's sources led to no request"
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ending", "the Redis run of story 's' had nothing left to fetch when this worker joined"),
        ("interrupted", "this worker resumed the interrupted Redis run of story 's'"),
        ("running", "this worker took no request: the other workers of the Redis run of story"),
    ],
)
def test_a_worker_names_its_run_as_the_cause(state: str, expected: str) -> None:
    worker = stats(redis__run=state, redis__seen_at_join=1234, log_count__WARNING=3)
    message = nothing_fetched(worker, "s")
    assert message.startswith(expected), message
    assert "warnings" not in message


def test_a_worker_that_started_its_run_is_judged_by_its_sources() -> None:
    for state in ("new", "finished", "expired"):
        worker = stats(redis__run=state, log_count__WARNING=1)
        assert "see the warnings above" in nothing_fetched(worker, "s")
    # a worker that took requests: they failed, whatever the run
    took = stats(redis__run="running", scheduler__dequeued__redis=3, log_count__WARNING=1)
    assert "see the warnings above" in nothing_fetched(took, "s")


def test_a_crawl_that_printed_no_warning_does_not_point_at_any(tmp_path: Path) -> None:
    story = tmp_path / "story.toml"
    story.write_text(STORY)
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSARCHIVE_DB", "NEWSARCHIVE_REDIS")}
    args = ["crawl", str(story), "--data", str(tmp_path / "data"), "-L", "CRITICAL"]
    result = subprocess.run(
        [sys.executable, "-m", "crawler", *args, "-s", "RETRY_TIMES=0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("newsarchive crawl: no page was fetched; what became of the URLs"), last
    assert "connection-refused" in last
