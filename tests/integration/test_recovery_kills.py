"""Start-up recovery killed at each of its steps, then a normal crawl: `verify` (no --repair) is
clean, because recovery settles a file only once the database holds all of it.

A crawl is killed (SIGKILL) before it has written anything to its database, leaving an `.open`
file and several closed ones whose records have no captures. The next crawl is killed inside its
recovery: after a file is cut back (before its rename), after the rename (before reconciling),
after the first reconciled batch, before the files are marked settled. The crawl after that
ends normally (exit 0) and leaves an archive that `verify` finds clean.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.cli.verify import main as verify_main
from crawler.simweb import SimWeb
from tests.integration.conftest import FAST

pytestmark = pytest.mark.slow

LAG = ["-s", "DB_BATCH_SIZE=100000", "-s", "DB_FLUSH_INTERVAL=0", "-s", "WARC_MAX_SIZE=20000"]
"""Nothing reaches the database before the crawl closes; small files, so that there are many."""

KILL = """
import os, signal, sys

def die(*args, **kwargs):
    os.killpg(0, signal.SIGKILL)

step = sys.argv[1]
import crawler.services.recover as services
import storage.recover as files
from storage.db.repository import Repository

services.BATCH = 2  # several batches per file
if step == "cut":  # the file cut back, not renamed
    files._rename = die
elif step == "renamed":  # renamed, nothing reconciled
    services.Reconciler.reconcile = die
elif step == "reconciling":  # the first batch stored
    write = Repository.write_batch
    def write_then_die(self, *args, **kwargs):
        write(self, *args, **kwargs)
        die()
    Repository.write_batch = write_then_die
elif step == "settling":  # all reconciled, not marked settled
    services.settle = die
from crawler.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run(args: list[str], step: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    command = ["-c", KILL, step] if step else ["-m", "crawler"]
    return subprocess.Popen(
        [sys.executable, *command, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a kill takes its workers too
    )


def killed_mid_crawl(web: SimWeb, args: list[str], requests: int) -> None:
    crawl = run(args)
    target = len(web.log.entries()) + requests
    deadline = time.monotonic() + 120
    while len(web.log.entries()) < target:
        assert crawl.poll() is None, "the crawl ended before the kill point"
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.005)
    os.killpg(crawl.pid, signal.SIGKILL)
    crawl.communicate(timeout=30)


@pytest.mark.parametrize("step", ["cut", "renamed", "reconciling", "settling"])
def test_a_kill_at_any_step_of_recovery_leaves_nothing_behind(
    step: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        args = ["crawl", str(story), "--data", str(data), *FAST]
        killed_mid_crawl(web, [*args, *LAG], requests=40)
        files = sorted(p.name for p in (data / "warc").iterdir())
        assert any(name.endswith(".open") for name in files), files
        assert sum(not name.endswith(".open") for name in files) >= 2, files

        recovering = run(args, step)
        _, stderr = recovering.communicate(timeout=120)
        assert recovering.returncode == -signal.SIGKILL, stderr[-3000:]
        if step != "cut":
            assert not any(p.name.endswith(".open") for p in (data / "warc").iterdir())

        final = run(args)
        _, stderr = final.communicate(timeout=300)
        assert final.returncode == 0, stderr[-3000:]
    capsys.readouterr()
    assert verify_main(["--data", str(data)]) == 0, capsys.readouterr().out[-3000:]
