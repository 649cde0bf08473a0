"""`newsarchive schedule` with real crawls: SIGTERM between rounds stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.simweb import SimWeb
from tests.integration.conftest import FAST
from tests.support import warcio_check

pytestmark = pytest.mark.slow


def test_sigterm_between_rounds_stops_cleanly_and_leaves_valid_warcs(tmp_path: Path) -> None:
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        data = tmp_path / "data"
        schedule = subprocess.Popen(
            [sys.executable, "-m", "crawler", "schedule", str(story), "--every", "1h",
             "--data", str(data), *FAST],
            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert schedule.stderr is not None
        lines = []
        deadline = time.monotonic() + 180
        for line in schedule.stderr:
            lines.append(line)
            if "next round at" in line or time.monotonic() > deadline:
                break
        assert any("round 1 " in line and "after" in line for line in lines), "".join(lines)
        schedule.send_signal(signal.SIGTERM)
        code = schedule.wait(timeout=30)
        rest = schedule.stderr.read()
    assert code == 128 + signal.SIGTERM, "".join(lines) + rest
    # the round's crawl worked under the schedule's lock of the data directory
    assert any("round 1 finished: exit status 0" in line for line in lines), "".join(lines)
    files = sorted((data / "warc").glob("*"))
    assert files and all(f.name.endswith(".warc.gz") for f in files), files
    assert warcio_check(*files).returncode == 0
    assert "round 2 started" not in rest
