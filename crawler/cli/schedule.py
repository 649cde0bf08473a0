"""`newsarchive schedule STORY.toml --every 1h`: crawl rounds in a loop until stopped.

Each round is `newsarchive crawl` in a child process, because Twisted's reactor cannot be
started twice in one process. The child runs in a process group of its own, so that Ctrl-C in
the terminal reaches only this loop: the first SIGINT or SIGTERM lets the running round finish
(its WARC file closed properly) and ends the loop, or ends it at once between rounds; a second one
is passed on to the crawl as SIGINT, on which it finishes the pages in flight and stops.

The schedule holds the data directory's lock for its whole life and hands it to each round
(crawler/cli/lock.py): a second schedule or crawl of the same data directory is refused.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from crawler.cli.common import (
    CliParser,
    add_console_options,
    add_data_options,
    add_setting_option,
    add_wait_option,
    console_arguments,
    console_settings,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import LOCK_FD_ENV, data_dir_lock
from crawler.core.datadir import database_url
from crawler.core.revisit import parse_duration
from crawler.core.story import load_story
from crawler.run import check_settings, crawl_settings
from crawler.stopping import exit_status

PROG = "newsarchive schedule"
CRAWL_COMMAND: tuple[str, ...] = (sys.executable, "-m", "crawler", "crawl")
"""What a round runs, before the story and the options passed through (tests replace it)."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def interval(text: str) -> timedelta:
    """An argparse type: a positive duration like '1h'."""
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if duration <= timedelta(0):
        raise argparse.ArgumentTypeError(f"must be longer than zero, got {text!r}")
    return duration


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Crawl a story again and again: each round runs `newsarchive crawl` with "
        "the options given, then waits until the next round is due. SIGINT or SIGTERM stops "
        "the loop once the running round has finished; a second one stops the round too.",
    )
    parser.add_argument("story", type=Path, help="the story file (TOML, see docs/story-file.md)")
    parser.add_argument(
        "--every",
        required=True,
        type=interval,
        metavar="DURATION",
        help="time from the start of one round to the start of the next, e.g. 30m, 1h, 1d; a "
        "round that takes longer is followed at once",
    )
    add_data_options(parser)
    parser.add_argument(
        "--revisit",
        choices=("due", "all", "none"),
        help="passed to each crawl: which known articles to fetch again (default: due)",
    )
    add_setting_option(parser, "passed to each crawl: ")
    parser.add_argument(
        "--rounds", type=positive, metavar="N", help="stop after N rounds (default: never)"
    )
    add_console_options(parser)
    add_wait_option(parser)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    load_story(args.story)  # each round reads it again: edits apply from the next round
    talk = console_settings(args)
    settings = crawl_settings(args.data, database_url(args.data, args.db), args.settings + talk)
    global QUIET
    QUIET = args.quiet
    with data_dir_lock(args.data, "schedule", wait=args.wait) as lock:
        check_settings(settings)  # rather than every round failing on it
        command = [*CRAWL_COMMAND, *crawl_options(args)]
        with Stopper() as stopper:
            return Schedule(command, args.every, args.rounds, stopper, lock).run()


def crawl_options(args: argparse.Namespace) -> list[str]:
    """The `crawl` arguments that the schedule's options stand for."""
    options = [str(args.story), "--data", str(args.data)]
    if args.db:
        options += ["--db", args.db]
    if args.revisit:
        options += ["--revisit", args.revisit]
    for setting in args.settings:
        options += ["-s", setting]
    return options + console_arguments(args)


QUIET = False
"""--quiet: the schedule's own lines are not printed either (a round's failure is in its exit
status, and the crawl prints its errors)."""


def log(message: str) -> None:
    """A line on standard error, dated like the Scrapy log lines of the rounds around it."""
    if QUIET:
        return
    sys.stderr.write(_log_line(message))
    sys.stderr.flush()


def _log_line(message: str) -> str:
    return f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S} [{PROG}] {message}\n"


class Stopper:
    """Turns SIGINT and SIGTERM into a request to stop, for the loop to act on at a round
    boundary, and wakes a `sleep` at once when one comes.

    The handler runs in the main thread wherever it happens to be, so it only counts, writes its
    log line straight to file descriptor 2 (writing to `sys.stderr` from inside one of its own
    writes would raise), and from the second signal on passes SIGINT to the running crawl. A
    sleep waits on a socket that `signal.set_wakeup_fd` writes to when a signal arrives, so it
    ends without polling.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.signum: int | None = None
        """The first signal received."""
        self.child: subprocess.Popen[bytes] | None = None
        self.in_round = False
        """Set before the round's crawl is started: a signal that comes while it is being started
        (`child` still None) is about the round all the same."""
        self._wake, self._wakeup = socket.socketpair()

    def __enter__(self) -> Stopper:
        for sock in (self._wake, self._wakeup):
            sock.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._wakeup.fileno())
        self._old_handlers = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._old_fd)
        self._wake.close()
        self._wakeup.close()

    @property
    def stopping(self) -> bool:
        return self.requests > 0

    @property
    def status(self) -> int:
        """The schedule's exit status once stopped: 128 + the first signal's number."""
        return exit_status(self.signum or signal.SIGINT)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requests += 1
        if self.signum is None:
            self.signum = signum
        name = signal.Signals(signum).name
        if not self.in_round:
            message = f"{name}: stopping"
        elif self.requests == 1:
            message = f"{name}: stopping when this round has finished (again: stop the round)"
        else:
            message = f"{name}: asking the crawl to stop now (SIGINT)"
            if self.child is not None:  # else `started` passes it on
                self.child.send_signal(signal.SIGINT)
        os.write(2, _log_line(message).encode())

    def started(self, child: subprocess.Popen[bytes]) -> None:
        """The round's crawl is running: from now on the handler passes SIGINT to it; a second
        signal that came while it was being started is passed on now.

        The stop signals are held back meanwhile: one arriving between setting `child` and the
        check would otherwise be passed on twice, by the handler and here, and a crawl's second
        SIGINT is a forced shutdown."""
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self.child = child
            if self.requests > 1:
                child.send_signal(signal.SIGINT)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or until a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            self._wake.settimeout(left)
            try:
                self._wake.recv(64)  # a signal arrived: the handler has run, check again
            except TimeoutError:
                return


class Schedule:
    """Rounds at a fixed rate, start to start, one at a time: a late round delays the next one
    rather than overlapping it, since two crawls of one story would fetch and store twice."""

    def __init__(
        self,
        command: list[str],
        every: timedelta,
        rounds: int | None,
        stopper: Stopper,
        lock: int | None = None,
    ) -> None:
        self.command = command
        self.every = every
        self.rounds = rounds
        self.stopper = stopper
        self.lock = lock
        """The data directory's lock, which each round's crawl inherits (crawler/cli/lock.py)."""

    def run(self) -> int:
        """Run rounds until stopped or `rounds` are done. Stopped by a signal: 128 + its number
        (130 for SIGINT); after `rounds`, 0 if the last round succeeded, else 1."""
        log(f"every {self.every}: {shlex.join(self.command)}")
        for number in itertools.count(1):
            started = time.monotonic()
            code = self.round(number)
            if self.stopper.stopping:
                break
            if number == self.rounds:
                return 0 if code == 0 else 1
            wait = max(0.0, started + self.every.total_seconds() - time.monotonic())
            log(f"next round at {datetime.now().astimezone() + timedelta(seconds=wait):%H:%M:%S}")
            self.stopper.sleep(wait)
            if self.stopper.stopping:
                break
        log("stopped")
        return self.stopper.status

    def round(self, number: int) -> int:
        """Run one crawl to its end, with its output going where ours goes; its exit status."""
        log(f"round {number} started")
        started = time.monotonic()
        # stdin closed: a background process group reading the terminal would be stopped.
        inherit: dict[str, Any] = {}
        if self.lock is not None:
            env = {**os.environ, LOCK_FD_ENV: str(self.lock)}
            inherit = {"pass_fds": (self.lock,), "env": env}
        self.stopper.in_round = True
        try:
            child = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, process_group=0, **inherit
            )
            self.stopper.started(child)
            code = child.wait()
        finally:
            self.stopper.child = None
            self.stopper.in_round = False
        outcome = "finished" if code == 0 else "failed"
        status = f"exit status {code}" if code >= 0 else f"killed by {signal.Signals(-code).name}"
        log(f"round {number} {outcome}: {status} after {time.monotonic() - started:.1f} s")
        return code
