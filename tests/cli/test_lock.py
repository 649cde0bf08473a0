"""The data directory's lock: one writing verb at a time, named when it refuses another, released
however its holder ends, handed by `schedule` to its rounds."""

from __future__ import annotations

import io
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
    "release = Path(sys.argv[4]) if sys.argv[4:] else None\n"
    "verb = 'crawl --redis' if shared else 'crawl'\n"
    "with data_dir_lock(Path(sys.argv[1]), verb, shared=shared):\n"
    "    print('locked', flush=True)\n"
    "    deadline = time.monotonic() + float(sys.argv[2])\n"
    "    while time.monotonic() < deadline and not (release and release.exists()):\n"
    "        time.sleep(0.02)\n"
)
"""`python -c` program: hold the lock of data directory argv[1] for argv[2] seconds, or until
the file argv[4] exists, shared if argv[3] says so (as a distributed worker does)."""


def hold(
    data: Path, seconds: float, mode: str = "exclusive", release: Path | None = None
) -> subprocess.Popen[str]:
    """Another process holding the lock of `data` (once it has said so), for `seconds` or until
    the file `release` exists."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD,
            str(data),
            str(seconds),
            mode,
            *([str(release)] * bool(release)),
        ],
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


class ReleaseWhenWaiting(io.StringIO):
    """Standard error that lets the holder go (creates `release`) once the lock's user has said
    that it waits: the holder is still there when it tries, however slow the machine (a holder
    that keeps the lock a fixed time can be gone before a slow test gets to the lock)."""

    def __init__(self, release: Path) -> None:
        super().__init__()
        self.release = release

    def write(self, text: str) -> int:
        written = super().write(text)
        if "waiting for" in text:
            self.release.touch()
        return written


def test_wait_waits_for_the_holder_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, release = tmp_path / "data", tmp_path / "release"
    holder = hold(data, 60, release=release)
    stderr = ReleaseWhenWaiting(release)
    monkeypatch.setattr(sys, "stderr", stderr)
    with data_dir_lock(data, "reextract", wait=True):
        assert release.exists()  # it had to wait: the holder let go only then
        assert describe_holder(data).startswith(f"newsarchive reextract (pid {os.getpid()},")
    monkeypatch.undo()
    assert f"waiting for newsarchive crawl (pid {holder.pid}" in stderr.getvalue()
    assert holder.wait(timeout=30) == 0


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
    "done = notes.with_name('done')\n"
    "with data_dir_lock(Path(sys.argv[3]), 'crawl'):\n"
    "    with notes.open('a') as f: f.write('locked\\n')\n"
    "    deadline = time.monotonic() + 240\n"
    "    while not done.exists() and time.monotonic() < deadline: time.sleep(0.02)\n"
)
"""A round of the schedule: it takes the data directory's lock as a crawl does, then works until
the test creates the file `done` beside it (a round of fixed length could end before the test has
tried the lock on a loaded machine)."""


# Generous: two Python processes start before the round has the lock, up to 30 s and more on a
# loaded CI (seen); the limits guard against a hang, they measure nothing.
@pytest.mark.timeout(600)
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
        deadline = time.monotonic() + 240
        while not (notes.exists() and notes.read_text()):
            assert schedule.poll() is None, schedule.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # the round has the lock (inherited); a crawl of the same data directory is refused
        assert crawl.main([str(story), "--data", str(data)]) == 2
        err = capsys.readouterr().err
        assert f"in use by newsarchive schedule (pid {schedule.pid}," in err
        (tmp_path / "done").touch()
        assert schedule.wait(timeout=120) == 0, schedule.communicate()[1]
    finally:
        if schedule.poll() is None:
            schedule.kill()
        schedule.wait()
    assert notes.read_text() == "locked\n"
    assert "round 1 finished: exit status 0" in (schedule.stderr.read() if schedule.stderr else "")
