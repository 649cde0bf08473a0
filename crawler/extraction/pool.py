"""The process pool that runs `extract()`: one kind for the crawl, `reextract` and `ingest`.

Extraction is CPU-bound, so it runs in worker processes. They are started by multiprocessing's
fork server (forking a process that runs threads or a reactor is unsafe), quiet trafilatura's
logging (outcomes are counted instead), and exit when the process that started them dies, even
by SIGKILL, instead of waiting for work for ever and keeping the fork server alive.

Ctrl-C in a terminal sends SIGINT to the whole process group, workers included. A worker that
took it as a KeyboardInterrupt would hand the page it was extracting back as that exception and
break the pool; so workers ignore SIGINT, and the process that started them decides when to
stop: it lets the pages in flight finish, and the workers end with it. (SIGTERM still ends a
worker: the pool itself terminates its workers with it once one has died.)

After each task a worker gives its freed heap back to the system if it has grown by more than
`crawler.extraction.heap.GROWTH` since it last did (one outsized page would otherwise keep its
high-water mark resident for the worker's whole life).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import ParamSpec, TypeVar

from crawler.extraction.heap import Trimmer

P = ParamSpec("P")
T = TypeVar("T")


class ExtractionPool(ProcessPoolExecutor):
    """A process pool that, left by an exception (a second Ctrl-C, say), drops the work not
    started yet instead of doing it all first; the work in flight still finishes."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.shutdown(wait=True, cancel_futures=exc_type is not None)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """`fn(*args, **kwargs)` in a worker, which then trims its heap if it has grown."""
        return super().submit(_then_trim, fn, *args, **kwargs)


_trimmer: Trimmer | None = None
"""In a worker: trims its heap after a task that left it larger (`_start_worker` sets it)."""


def _then_trim(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """In a worker: run the task, then give freed heap back if the worker has grown."""
    try:
        return fn(*args, **kwargs)
    finally:
        if _trimmer is not None:
            _trimmer.check()


PRELOAD = ["crawler.extraction.extract", "crawler.extraction.access", "crawler.extraction.warm"]
"""Imported once by the fork server, before it forks the workers: each then starts with
extraction's libraries (trafilatura, lxml, htmldate) loaded instead of importing them anew
(about a second of CPU per worker), and with the data they load on first use (py3langid's model:
`crawler.extraction.warm`) shared with the others instead of a copy each."""


def extraction_pool(workers: int, preload: Sequence[str] = ()) -> ExtractionPool:
    """A pool of `workers` extraction processes (at least one) tied to this process's life;
    `preload` names more modules the workers will need (imported once, by the fork server)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*PRELOAD, *preload])
    return ExtractionPool(
        max_workers=max(1, workers),
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


def _start_worker(parent_pid: int) -> None:
    """In a worker: ignore Ctrl-C, quiet the extractors, trim the heap when it has grown after a
    task, and die with the parent."""
    global _trimmer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _trimmer = Trimmer()
    quiet_extractors()
    threading.Thread(
        target=_exit_with, args=(parent_pid,), name="exit-with-parent", daemon=True
    ).start()


def quiet_extractors() -> None:
    """trafilatura and htmldate log their doubts about every odd page; the outcome is counted
    instead, so only their critical messages remain."""
    for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _exit_with(pid: int) -> None:
    """Exit as soon as process `pid` has ended. A worker of a process killed with SIGKILL would
    otherwise wait for work for ever, its siblings holding its queue's pipes open, and keep the
    fork server alive with it."""
    try:
        handle = os.pidfd_open(pid)  # Linux: readable once the process has ended
    except (AttributeError, OSError):  # no pidfd (or the parent is gone already): poll
        while _alive(pid):
            time.sleep(1.0)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
