"""Stopping on SIGINT and SIGTERM: the first signal lets the work in flight finish, a second one
stops at once.

Ctrl-C in a terminal sends SIGINT to the whole process group. The first SIGINT or SIGTERM asks a
crawl (or `reextract`, `ingest`) to finish what it has started: the pages being downloaded or
extracted, the batch being written, the WARC file being closed, the summary. A second one stops
the process at once, without a traceback; what it leaves (an unfinished `.open` WARC file,
records without captures) is what a crash leaves, and the next crawl or `verify --repair`
recovers it. A command stopped by a signal exits with 128 + the signal's number (130 for SIGINT,
143 for SIGTERM), the status a shell gives a process that the signal ended.

Extraction workers ignore SIGINT (`crawler.extraction.pool`), so that only this process decides.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcess

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SIGNAL_STAT = "shutdown/signal"
"""The crawl's stat naming the signal that stopped it (`SIGINT`, `SIGTERM`)."""
FORCED_STAT = "shutdown/forced"
"""Set (to 1) when a second signal stopped the crawl at once."""
_Handler = Callable[[int], None]


def exit_status(signum: int) -> int:
    """The exit status of a command stopped by signal `signum`: 128 + its number."""
    return 128 + signum


class StopSignals:
    """While installed (a context manager), SIGINT and SIGTERM call `first` the first time and
    `second` every time after. `signum` is the first signal received, None until then.

    The handlers run in the main thread, between two bytecodes of whatever it was doing, so
    `first` and `second` must only set flags, hand work to a loop, or raise.
    """

    def __init__(self, first: _Handler, second: _Handler) -> None:
        self._first = first
        self._second = second
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signum is not None

    @property
    def status(self) -> int | None:
        """The exit status a stop asks for (`exit_status`), None without a stop."""
        return None if self.signum is None else exit_status(self.signum)

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            self._old[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old.clear()

    def __enter__(self) -> StopSignals:
        self.install()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            self._first(signum)
        else:
            self._second(signum)


def finish_then_stop(prog: str) -> StopSignals:
    """Signals for a verb's own loop (`reextract`, `ingest`): the first writes a line and makes
    `requested` true, for the loop to stop at its next boundary; the second raises
    KeyboardInterrupt, which leaves the work at once."""

    def first(signum: int) -> None:
        # os.write: a write to sys.stderr may be what the signal interrupted.
        name = signal.Signals(signum).name
        os.write(2, f"{prog}: {name}: finishing the work in flight (again: stop now)\n".encode())

    def second(signum: int) -> None:
        raise KeyboardInterrupt

    return StopSignals(first, second)


def stop_crawls_on_signals(process: CrawlerProcess) -> StopSignals:
    """Scrapy's own shutdown handlers, with the signal recorded in every crawler's stats
    (`SIGNAL_STAT`, `FORCED_STAT`) so that the command can exit with its status. Installed once
    the reactor runs; start the process with `install_signal_handlers=False`.

    First signal: every crawler stops gracefully (the engine finishes the pages in flight, the
    pipelines and the WARC extension close), then the reactor stops. Second: the reactor stops.
    """
    from twisted.internet import reactor

    def stat(name: str, value: object) -> None:
        for crawler in process.crawlers:
            if crawler.stats is not None:
                crawler.stats.set_value(name, value)

    def first(signum: int) -> None:
        # recorded at once (a dict assignment), for the exit status even if the reactor is
        # already past running what is handed to it
        stat(SIGNAL_STAT, signal.Signals(signum).name)
        reactor.callFromThread(graceful, signum)

    def graceful(signum: int) -> None:
        logger.info(
            "Received %s: finishing the pages in flight, then closing (send it again to stop "
            "at once)",
            signal.Signals(signum).name,
        )
        process.stop().addBoth(lambda _: _stop_reactor())

    def forced(signum: int) -> None:
        logger.warning(
            "Received %s again: stopping at once; the next crawl (or `newsarchive verify "
            "--repair`) recovers what this one leaves unfinished",
            signal.Signals(signum).name,
        )
        stat(FORCED_STAT, 1)
        _stop_reactor()

    stop = StopSignals(first, lambda signum: reactor.callFromThread(forced, signum))
    reactor.callWhenRunning(stop.install)
    return stop


def _stop_reactor() -> None:
    from twisted.internet import reactor

    with contextlib.suppress(RuntimeError):  # stopped already, or stopping
        reactor.stop()  # type: ignore[misc]
