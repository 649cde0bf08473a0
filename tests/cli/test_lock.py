"""The data directory's lock: one writing verb at a time, named when it refuses another, released
however its holder ends, handed by `schedule` to its rounds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.cli import crawl
from crawler.cli.common import CliError
from crawler.cli.lock import data_dir_lock, describe_holder

ROOT = Path(__file__).resolve().parents[2]
HOLD = (
    "import sys, time; from pathlib import Path; from crawler.cli.lock import data_dir_lock\n"
    "shared = sys.argv[3] == 'shared'\n"
    "verb = 'crawl --redis' if shared else 'crawl'\n"
    "with data_dir_lock(Path(sys.argv[1]), verb, shared=shared):\n"
    "    print('locked', flush=True); time.sleep(float(sys.argv[2]))\n"
)
"""`python -c` program: hold the lock of data directory argv[1] for argv[2] seconds, shared if
argv[3] says so (as a distributed worker does)."""


def hold(data: Path, seconds: float, mode: str = "exclusive") -> subprocess.Popen[str]:
    """Another process holding the lock of `data` (once it has said so)."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data), str(seconds), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    return process


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = hold(data, 30)
    try:
        with pytest.raises(CliError) as refused, data_dir_lock(data, "ingest"):
            pass
        assert refused.value.code == 2
        message = str(refused.value)
        assert f"is in use by newsarchive crawl (pid {holder.pid}, since " in message
        assert "--wait" in message
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = hold(data, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with data_dir_lock(data, "crawl") as fd:
        assert fd is not None
        assert describe_holder(data).startswith(f"newsarchive crawl (pid {os.getpid()},")


def test_wait_waits_for_the_holder_to_finish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    holder = hold(data, 1.0)
    started = time.monotonic()
    with data_dir_lock(data, "reextract", wait=True):
        assert time.monotonic() - started > 0.5  # the holder's second, less start-up
        assert describe_holder(data).startswith(f"newsarchive reextract (pid {os.getpid()},")
    assert f"waiting for newsarchive crawl (pid {holder.pid}" in capsys.readouterr().err
    holder.wait()


def test_distributed_workers_share_the_lock_and_keep_other_writers_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    worker = hold(data, 30, "shared")
    try:
        with data_dir_lock(data, "crawl --redis", shared=True):  # another worker: welcome
            pass
        refused = pytest.raises(CliError, match=r"in use by newsarchive crawl --redis \(pid")
        with refused, data_dir_lock(data, "crawl"):  # a lone crawl: refused
            pass
    finally:
        worker.kill()
        worker.wait()
    lone = hold(data, 30)
    try:
        refused = pytest.raises(CliError, match=f"in use by newsarchive crawl \\(pid {lone.pid}")
        with refused, data_dir_lock(data, "crawl --redis", shared=True):
            pass
    finally:
        lone.kill()
        lone.wait()


def test_a_verb_that_needs_an_existing_data_directory_makes_none(tmp_path: Path) -> None:
    with data_dir_lock(tmp_path / "missing", "reextract", create=False) as fd:
        assert fd is None
    assert not (tmp_path / "missing").exists()


def test_the_lock_of_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with (
        pytest.raises(CliError, match="is not a directory"),
        data_dir_lock(tmp_path / "file", "crawl"),
    ):
        pass


SCHEDULE = (
    "import sys; from crawler.cli import schedule; "
    "schedule.CRAWL_COMMAND = (sys.executable, sys.argv[1]); sys.exit(schedule.main(sys.argv[2:]))"
)
ROUND = (
    "import sys, time; from pathlib import Path; from crawler.cli.lock import data_dir_lock\n"
    "notes = Path(sys.argv[1]).with_name('rounds.txt')\n"
    "with data_dir_lock(Path(sys.argv[3]), 'crawl'):\n"
    "    with notes.open('a') as f: f.write('locked\\n')\n"
    "    time.sleep(3)\n"
)
"""A round of the schedule: it takes the data directory's lock as a crawl does, then works."""


@pytest.mark.timeout(60)
def test_schedule_hands_its_lock_to_each_round_and_refuses_other_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story, data = tmp_path / "story.toml", tmp_path / "data"
    story.write_text('name = "s"\n[[sources]]\nurl = "http://127.0.0.1:9/"\n')
    round_script = tmp_path / "round.py"
    round_script.write_text(ROUND)
    notes = tmp_path / "rounds.txt"
    schedule = subprocess.Popen(
        [sys.executable, "-c", SCHEDULE, str(round_script), str(story), "--every", "1h",
         "--data", str(data), "--rounds", "1"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (notes.exists() and notes.read_text()):
            assert schedule.poll() is None, schedule.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # the round has the lock (inherited); a crawl of the same data directory is refused
        assert crawl.main([str(story), "--data", str(data)]) == 2
        err = capsys.readouterr().err
        assert f"in use by newsarchive schedule (pid {schedule.pid}," in err
        assert schedule.wait(timeout=30) == 0, schedule.communicate()[1]
    finally:
        if schedule.poll() is None:
            schedule.kill()
        schedule.wait()
    assert notes.read_text() == "locked\n"
    assert "round 1 finished: exit status 0" in (schedule.stderr.read() if schedule.stderr else "")
