"""A disk that fills up during a crawl: the crawl says what it lost and exits 1; once there is
space again, the next crawl stores what the database missed by itself, and `verify` (without
--repair) is clean.

The data directory (WARC files and the SQLite database) is on a small tmpfs mounted for the test,
which needs root; the disk is filled by a file written until ENOSPC while the crawl runs, and
freed by deleting it.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.cli.verify import main as verify_main
from crawler.simweb import SimWeb
from tests.integration.conftest import FAST

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path) -> None:
    """Write `path` until the disk is full."""
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as stream:
        while True:
            try:
                stream.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]


def test_a_full_disk_fails_the_crawl_and_the_next_one_catches_up(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_disk / "data"
    filler = small_disk / "filler"
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    with SimWeb() as web:
        story = tmp_path / "story.toml"
        story.write_text(web.story_toml())
        command = [sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(data)]
        # small batches and files, so that both the archive and the database meet the full disk
        slow = [*FAST, "-s", "DB_BATCH_SIZE=3", "-s", "WARC_MAX_SIZE=30000"]
        slow += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        crawl = subprocess.Popen(
            [*command, *slow], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while len(web.log.entries()) < 15:
            assert crawl.poll() is None, crawl.communicate()[1][-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        fill(filler)
        _, stderr = crawl.communicate(timeout=300)
        assert crawl.returncode == 1, stderr[-3000:]
        assert "No space left on device" in stderr or "disk is full" in stderr, stderr[-3000:]
        last = stderr.strip().splitlines()[-1]
        with capsys.disabled():
            print(f"\nthe full disk's crawl ended with: {last}")
        assert last.startswith("newsarchive crawl: ") and "could not be" in last, last
        assert "Traceback" not in last

        filler.unlink()
        again = subprocess.run(
            [*command, *FAST], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert again.returncode == 0, again.stderr[-3000:]
    capsys.readouterr()
    assert verify_main(["--data", str(data)]) == 0, capsys.readouterr().out[-3000:]
