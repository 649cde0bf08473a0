"""`newsarchive schedule` with a fake crawl: rounds, failed rounds, and stopping on signals.

The signal tests run the schedule in a process (and process group) of its own, as a terminal or
systemd would; the fake crawl notes in a file when it starts, finishes or is interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import schedule

ROOT = Path(__file__).resolve().parents[2]
STORY = """
name = "harbour-strike"
[[sources]]
url = "http://127.0.0.1:9/"
"""
RUN_SCHEDULE = (
    "import sys; from crawler.cli import schedule; "
    "schedule.CRAWL_COMMAND = tuple(sys.argv[1:3]); sys.exit(schedule.main(sys.argv[3:]))"
)
"""`python -c` program: the schedule, with the crawl command given as its first two arguments."""


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "story.toml"
    path.write_text(STORY)
    return path


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """Where the fake crawl writes 'start ARGS', 'done' or 'interrupted', a line each."""
    return tmp_path / "rounds.txt"


def fake_crawl(notes: Path, *, until: Path | None = None, code: int = 0) -> tuple[str, str]:
    """A command that notes its start and arguments, works until the file `until` exists (not at
    all without one), notes that it is done, and exits with `code`; on SIGINT it notes
    'interrupted' and exits 130 at once.

    The test says when the round ends (`finish`) rather than the round lasting a fixed time: on
    a loaded machine a round of fixed length can end before the test has done what it must do
    during it."""
    script = notes.with_name("crawl.py")
    script.write_text(
        "import os, signal, sys, time\n"
        "def note(line):\n"
        f"    with open({str(notes)!r}, 'a') as f: f.write(line + '\\n')\n"
        "def interrupted(signum, frame):\n"
        "    note('interrupted'); sys.exit(130)\n"
        "signal.signal(signal.SIGINT, interrupted)\n"
        "note('start ' + ' '.join(sys.argv[1:]))\n"
        f"until = {str(until) if until else None!r}\n"
        "deadline = time.monotonic() + 120\n"
        "while until and not os.path.exists(until) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "note('done')\n"
        f"sys.exit({code})\n"
    )
    return (sys.executable, str(script))


def finish(until: Path) -> None:
    """Let the fake crawl waiting for `until` end its round."""
    until.touch()


def lines(notes: Path) -> list[str]:
    return notes.read_text().splitlines() if notes.exists() else []


def test_two_rounds_pass_the_options_through(
    story: Path, notes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setattr(schedule, "CRAWL_COMMAND", fake_crawl(notes))
    data = tmp_path / "data"
    args = [str(story), "--every", "1s", "--rounds", "2", "--data", str(data), "--db", "sqlite://"]
    started = time.monotonic()
    settings = ["-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1"]
    assert schedule.main([*args, "--revisit", "all", *settings]) == 0
    assert time.monotonic() - started >= 1  # the second round waited until it was due
    options = (
        f"{story} --data {data} --db sqlite:// --revisit all -s DOWNLOAD_DELAY=0 -s RETRY_TIMES=1"
    )
    assert lines(notes) == [f"start {options}", "done", f"start {options}", "done"]
    log = capfd.readouterr().err
    for expected in ("round 1 started", "round 1 finished: exit status 0 after", "next round at",
                     "round 2 started", "round 2 finished: exit status 0 after"):  # fmt: skip
        assert expected in log
    assert "round 3" not in log


def test_failed_rounds_are_logged_and_the_loop_goes_on(
    story: Path, notes: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(schedule, "CRAWL_COMMAND", fake_crawl(notes, code=3))
    data = ["--data", str(story.parent / "data")]
    assert schedule.main([str(story), "--every", "0.1s", "--rounds", "2", *data]) == 1
    assert lines(notes).count("done") == 2
    log = capfd.readouterr().err
    assert "round 1 failed: exit status 3 after" in log
    assert "round 2 failed: exit status 3 after" in log


def test_bad_options_run_no_round(
    story: Path, notes: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(schedule, "CRAWL_COMMAND", fake_crawl(notes))
    data = ["--data", str(story.parent / "data")]
    assert schedule.main([str(story), "--every", "1h", *data, "-s", "DOWNLOAD_DELEY=0"]) == 2
    assert "unknown setting DOWNLOAD_DELEY: did you mean DOWNLOAD_DELAY?" in capfd.readouterr().err
    story.write_text("name = 'Not A Slug'\n")
    assert schedule.main([str(story), "--every", "1h", *data]) == 2
    assert "name: must be a slug" in capfd.readouterr().err
    for every in ("0s", "soon"):
        with pytest.raises(SystemExit) as exited:
            schedule.main([str(story), "--every", every, *data])
        assert exited.value.code == 2
    assert not notes.exists()
    assert not (story.parent / "data").exists()


# --- signals -------------------------------------------------------------------------------------


@pytest.fixture
def run(story: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Starts the schedule of `story` with a crawl command and options, in a new session (so
    that signalling its process group does not reach pytest); kills what is left at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(crawl: tuple[str, str], *options: str) -> subprocess.Popen[str]:
        data = ("--data", str(story.parent / "data"))
        process = subprocess.Popen(
            [sys.executable, "-c", RUN_SCHEDULE, *crawl, str(story), *data, *options],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def read_until(process: subprocess.Popen[str], text: str) -> str:
    """The schedule's log up to the first line that contains `text`."""
    assert process.stderr is not None
    log = ""
    while text not in log:
        line = process.stderr.readline()
        assert line, f"the schedule ended before logging {text!r}:\n{log}"
        log += line
    return log


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    """Poll until `condition` holds; generous, since starting the schedule and its round is two
    Python processes, which took over 30 s on a loaded machine."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def wait_until_asleep(process: subprocess.Popen[str]) -> None:
    """Until `process` is blocked (state S in /proc: waiting for its wake-up socket) rather than
    still on its way there; where there is no /proc, a moment."""
    stat = Path(f"/proc/{process.pid}/stat")
    if not stat.exists():
        time.sleep(0.3)
        return
    # the state is the field after the command name, which is in parentheses
    wait_for(lambda: stat.read_text().rsplit(")", 1)[1].split()[0] == "S")


@pytest.mark.timeout(300)  # a guard against a hang, not a measure: a loaded CI is slow
def test_a_signal_between_rounds_stops_at_once(
    run: Callable[..., subprocess.Popen[str]], notes: Path
) -> None:
    process = run(fake_crawl(notes), "--every", "1h")
    read_until(process, "next round at")
    wait_until_asleep(process)  # in the sleep after the line (a signal before it is no test)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    # Not sleeping out the hour is the point; the bound leaves a loaded machine (2 slow cores,
    # other tests) seconds to schedule and tear down the process.
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    assert time.monotonic() - sent < 20
    assert [line.split()[0] for line in lines(notes)] == ["start", "done"]
    rest = process.communicate()[1]
    assert "SIGTERM: stopping" in rest
    assert rest.rstrip().endswith("stopped")


@pytest.mark.timeout(300)  # a guard against a hang, not a measure: a loaded CI is slow
def test_a_signal_during_a_round_lets_it_finish_then_stops(
    run: Callable[..., subprocess.Popen[str]], notes: Path
) -> None:
    until = notes.with_name("finish")
    process = run(fake_crawl(notes, until=until), "--every", "1s")
    wait_for(lambda: bool(lines(notes)))
    process.send_signal(signal.SIGTERM)
    read_until(process, "SIGTERM: stopping when this round has finished")
    assert len(lines(notes)) == 1  # the round goes on: no 'done' yet
    finish(until)
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    assert [line.split()[0] for line in lines(notes)] == ["start", "done"]  # no second round
    log = process.communicate()[1]
    assert "round 1 finished: exit status 0" in log
    assert "next round" not in log
    assert "round 2" not in log


@pytest.mark.timeout(300)  # a guard against a hang, not a measure: a loaded CI is slow
def test_ctrl_c_twice_passes_sigint_to_the_crawl(
    run: Callable[..., subprocess.Popen[str]], notes: Path
) -> None:
    process = run(fake_crawl(notes, until=notes.with_name("never")), "--every", "1s")
    wait_for(lambda: bool(lines(notes)))
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    # handled before the second comes: two signals pending at once would count as one
    read_until(process, "SIGINT: stopping when this round has finished")
    time.sleep(0.5)  # time for the crawl to react, had it got the signal
    assert process.poll() is None
    assert len(lines(notes)) == 1  # the crawl, in a group of its own, did not get it
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert [line.split()[0] for line in lines(notes)] == ["start", "interrupted"]
    log = process.communicate()[1]
    assert "SIGINT: asking the crawl to stop now (SIGINT)" in log
    assert "round 1 failed: exit status 130" in log


def test_how_much_a_round_says_is_passed_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["story.toml", "--every", "1h", "--data", str(tmp_path)]
    for given, passed in (([], []), (["-v"], ["-v"]), (["-L", "info"], ["-L", "info"]),
                          (["--quiet"], ["--quiet"])):  # fmt: skip
        args = schedule.build_parser().parse_args([*base, *given])
        assert schedule.crawl_options(args)[3:] == passed, given
    monkeypatch.setattr(schedule, "QUIET", True)
    schedule.log("round 1 started")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(schedule, "QUIET", False)
    schedule.log("round 1 started")
    assert "round 1 started" in capsys.readouterr().err


@pytest.mark.timeout(300)  # a guard against a hang: unfixed, the crawl would run its 120 s
def test_signals_while_the_round_is_being_started_are_about_the_round(
    notes: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C twice before the crawl's process exists (its start is slow on a loaded machine):
    the first still lets the round finish, the second still reaches the crawl once it runs."""
    start = subprocess.Popen

    def signalled_while_starting(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        return start(*args, **kwargs)

    crawl = fake_crawl(notes, until=notes.with_name("never"))
    monkeypatch.setattr(schedule.subprocess, "Popen", signalled_while_starting)
    with schedule.Stopper() as stopper:
        code = schedule.Schedule(list(crawl), timedelta(hours=1), None, stopper).run()
    monkeypatch.undo()
    assert code == 130
    assert "done" not in lines(notes)  # stopped by the SIGINT passed on, not run to its end
    log = capfd.readouterr().err
    assert "SIGINT: stopping when this round has finished (again: stop the round)" in log
    assert "SIGINT: asking the crawl to stop now (SIGINT)" in log
    assert "round 1 failed" in log


def test_a_signal_is_held_back_while_the_crawl_is_handed_to_the_stopper() -> None:
    """A signal between `child` being set and the check for signals that came earlier would be
    passed on twice (by the handler and by `started`): the stop signals are blocked meanwhile."""
    masks: list[set[int]] = []

    class Child:
        def send_signal(self, signum: int) -> None:
            masks.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, [])))

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with schedule.Stopper() as stopper:
        stopper.requests = 2  # two signals came while the crawl was being started
        stopper.started(Child())  # type: ignore[arg-type]
    assert masks and set(schedule.STOP_SIGNALS) <= masks[0]  # held while it was passed on
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # and let through after
