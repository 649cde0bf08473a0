"""The launcher measures one command with all its descendants, orphans included."""

from __future__ import annotations

import sys

import pytest

from bench.measure import python, run

BUSY = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_peak_memory_is_the_commands_not_the_bench_process() -> None:
    small = run(python("-c", "print('hi')"))
    large = run(python("-c", "block = bytearray(300 * 2**20); block[::4096] = b'x' * 76800"))
    assert small.stdout == "hi\n"
    assert small.peak_rss_mb < 100
    assert large.peak_rss_mb > 300


@pytest.mark.skipif(sys.platform != "linux", reason="orphans are handed over on Linux only")
def test_cpu_of_an_orphaned_grandchild_is_counted() -> None:
    # the child starts a grandchild that keeps working after the child has exited
    spawn = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {BUSY!r}])"
    measured = run(python("-c", spawn))
    assert measured.cpu_s >= 0.4


def test_a_failing_command_stops_the_bench() -> None:
    with pytest.raises(SystemExit, match="failed"):
        run(python("-c", "raise SystemExit(3)"))


HOLD = (
    "import sys, time\n"
    "block = bytearray(150 * 2**20); block[::4096] = b'x' * 38400\n"
    "print('holding', flush=True); sys.stdin.read()\n"
)
"""`python -c` program: hold 150 MB until standard input closes."""


@pytest.mark.skipif(sys.platform != "linux", reason="the tree is sampled from /proc")
def test_the_trees_peak_sums_every_process_of_it() -> None:
    """Two processes holding 150 MB each at once: each alone is under 200 MB, the tree over 250.

    The parent holds its block until the child says it holds its own, then both hold for several
    of the sampler's intervals (bench.measure samples every 0.5 s): with fixed sleeps a slow
    start of the child on a loaded machine left no overlap, or none that a sample saw."""
    spawn = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {HOLD!r}], stdin=subprocess.PIPE,"
        " stdout=subprocess.PIPE, text=True)\n"
        "block = bytearray(150 * 2**20); block[::4096] = b'x' * 38400\n"
        "assert child.stdout.readline() == 'holding\\n'\n"
        "time.sleep(3)\n"
        "child.stdin.close(); child.wait()\n"
    )
    measured = run(python("-c", spawn))
    assert measured.peak_rss_mb < 200
    assert measured.peak_tree_mb > 250
