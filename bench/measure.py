"""Running a command and measuring the whole process: wall time, CPU and peak memory.

The command runs under a small launcher (`python -m bench.measure OUT -- COMMAND…`) that waits
for it with `os.wait4`, which gives the resource use of that one child together with every
descendant it waited for. Two things make the launcher necessary: the bench process is large (it
serves the pages), and on Linux a child keeps its parent's peak RSS across fork and exec, so it
must be started from a small process; and a descendant nobody waits for (the crawl's extraction
workers are children of multiprocessing's fork server, which outlives the crawl for a moment)
would be lost, so the launcher makes itself a "child subreaper": such orphans are handed to it,
and it waits for them too.

The peak of the whole tree is sampled besides (every 0.5 s, from /proc on Linux): the sum of the
proportional set sizes (PSS: a page shared by n processes counts 1/n in each, so pages a fork
shares are not counted twice) of the command and all its descendants.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True, slots=True)
class Run:
    wall_s: float
    cpu_s: float
    """User and system CPU of the process and of all its descendants."""
    peak_rss_mb: float
    """The largest resident set of the process or of any one descendant (not their sum)."""
    peak_tree_mb: float
    """The largest sum of the proportional set sizes of the whole process tree, sampled."""
    stdout: str
    stderr: str
    started_at: float = 0.0
    """Epoch seconds (`time.time()`) when the command was started, for start-up times."""
    ended_at: float = 0.0
    """Epoch seconds when the command itself exited (its orphans may outlive it)."""

    def row(self, pages: int) -> dict[str, float]:
        return {
            "pages": pages,
            "wall_s": self.wall_s,
            "pages_per_s": pages / self.wall_s,
            "cpu_ms_per_page": self.cpu_s / pages * 1000,
            "peak_rss_mb": self.peak_rss_mb,
            "peak_tree_mb": self.peak_tree_mb,
        }


def run(args: list[str], check: bool = True) -> Run:
    """Run `args` to the end under the launcher; a failure raises SystemExit with its stderr."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        open(Path(tmp) / "out", "w+") as out,
        open(Path(tmp) / "err", "w+") as err,
    ):
        usage = Path(tmp) / "usage.json"
        launcher = [sys.executable, "-m", "bench.measure", str(usage), "--", *args]
        code = subprocess.run(launcher, stdout=out, stderr=err, check=False).returncode
        out.seek(0)
        err.seek(0)
        measured = json.loads(usage.read_text())
        result = Run(
            wall_s=measured["wall_s"],
            cpu_s=measured["cpu_s"],
            peak_rss_mb=measured["peak_rss_kb"] / 1024,
            peak_tree_mb=measured["peak_tree_kb"] / 1024,
            stdout=out.read(),
            stderr=err.read(),
            started_at=measured.get("started_at", 0.0),
            ended_at=measured.get("ended_at", 0.0),
        )
    if check and code != 0:
        raise SystemExit(f"{' '.join(args[:4])} … failed ({code}):\n{result.stderr[-3000:]}")
    return result


def python(*args: str) -> list[str]:
    """A command line running this interpreter."""
    return [sys.executable, *args]


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # The command name (2nd field) is in parentheses and may hold spaces.
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    return children


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # gone meanwhile, or no smaps_rollup
    return 0


def tree_pss_kb(root: int) -> int:
    """The summed PSS of `root`'s descendants (not of `root` itself: the launcher)."""
    children = _children()
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        total += _pss_kb(pid)
        stack.extend(children.get(pid, []))
    return total


class TreeSampler(threading.Thread):
    """Samples `tree_pss_kb` of this process until stopped; `peak_kb` is the largest seen."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, tree_pss_kb(os.getpid()))
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kb


def launch(usage_file: Path, args: list[str]) -> int:
    """In the launcher: run `args`, wait for it and every orphan it leaves, write the usage."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    started_at = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(args)
    sampler = TreeSampler()
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    ended_at = time.time()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    while True:  # the orphans handed to this process, until none is left
        try:
            _, _, orphan = os.wait4(-1, 0)
        except ChildProcessError:
            break
        cpu += orphan.ru_utime + orphan.ru_stime
        peak = max(peak, orphan.ru_maxrss)
    usage_file.write_text(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_kb": peak,
                "peak_tree_kb": sampler.stop(),
                "started_at": started_at,
                "ended_at": ended_at,
            }
        )
    )
    return process.returncode


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        raise SystemExit("usage: python -m bench.measure USAGE_FILE -- COMMAND [ARG…]")
    raise SystemExit(launch(Path(sys.argv[1]), sys.argv[3:]))
