"""A crawl's CPU before its first request and after its last response, in its own process.

    python -m bench.cpu_marks crawl STORY --data DIR [options]   # any `newsarchive` arguments

Runs the `newsarchive` command in this process and prints, on standard error when it exits, the
process's CPU time (user + system; threads included, child processes not) at the first request
that reached the downloader, from the last response received to the exit, and in all, and the
garbage collector's time (`gc.callbacks`). The command runs as the `newsarchive` executable runs
it (`crawler.cli.command`: the heap frozen once the verb returns), so what the interpreter does
after the last `atexit` handler is left out: compare "in all" with `/usr/bin/time` for that.
Wall times of start-up and tail swing with the machine's load; these do much less.
"""

from __future__ import annotations

import atexit
import gc
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.signalmanager import SignalManager

_marks: dict[str, float | None] = {"first": None, "last": None}
_collector = {"started": 0.0, "total": 0.0}
_send = SignalManager.send_catch_log


def _marking(self: SignalManager, signal: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
    if signal is signals.request_reached_downloader and _marks["first"] is None:
        _marks["first"] = time.process_time()
    elif signal is signals.response_received:
        _marks["last"] = time.process_time()
    return _send(self, signal, **kwargs)


def _collecting(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _collector["started"] = time.process_time()
    else:
        _collector["total"] += time.process_time() - _collector["started"]


def _report() -> None:
    end = time.process_time()
    first, last = _marks["first"], _marks["last"]
    if first is None or last is None:
        print("cpu_marks: no request was made", file=sys.stderr)
        return
    print(
        f"cpu_marks: to the first request {first:.2f} s, after the last response "
        f"{end - last:.2f} s, in all {end:.2f} s of CPU; the collector {_collector['total']:.2f} s",
        file=sys.stderr,
    )


def main(argv: list[str]) -> int:
    SignalManager.send_catch_log = _marking  # type: ignore[method-assign]
    atexit.register(_report)
    gc.callbacks.append(_collecting)
    from crawler.cli import main as newsarchive

    status = newsarchive(argv)
    gc.freeze()  # as `crawler.cli.command` does
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
