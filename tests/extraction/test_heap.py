"""Trimming the heap only once a process has grown past its mark, in every extraction worker."""

from __future__ import annotations

import sys

import pytest

from crawler.extraction import heap, pool
from crawler.extraction.heap import Trimmer, malloc_trim, resident_bytes
from crawler.extraction.pool import extraction_pool

MB = 2**20


class FakeProcess:
    """A resident set the test sets, and a trim that brings it down to `after_trim`."""

    def __init__(self, resident: int) -> None:
        self.resident = resident
        self.after_trim = resident
        self.trims = 0

    def trim(self) -> None:
        self.trims += 1
        self.resident = self.after_trim


def test_no_trim_until_the_process_has_grown_by_the_growth() -> None:
    process = FakeProcess(200 * MB)
    trimmer = Trimmer(16 * MB, process.trim, lambda: process.resident)
    process.resident = 215 * MB
    assert not trimmer.check() and process.trims == 0
    process.resident, process.after_trim = 216 * MB, 205 * MB
    assert trimmer.check() and process.trims == 1
    # the mark is where the trim left the process, not where it started
    assert trimmer.mark == 205 * MB
    process.resident = 220 * MB
    assert not trimmer.check()
    process.resident = 221 * MB
    assert trimmer.check() and trimmer.trims == 2


def test_without_malloc_trim_or_proc_nothing_is_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "malloc_trim", lambda: None)
    assert not Trimmer(0, resident=lambda: 500 * MB).check()
    process = FakeProcess(0)  # /proc/self/statm unreadable
    assert not Trimmer(0, process.trim, lambda: 0).check() and process.trims == 0


@pytest.mark.skipif(sys.platform != "linux", reason="glibc and /proc")
def test_glibc_trim_and_the_resident_set_are_found() -> None:
    trim = malloc_trim()
    assert trim is not None
    trim()
    assert resident_bytes() > MB


def _force_trims() -> int:
    """In a worker: make the next check trim whatever the growth, and say how many so far."""
    assert pool._trimmer is not None
    pool._trimmer.growth = -(2**62)
    return pool._trimmer.trims


def _trims() -> int:
    assert pool._trimmer is not None
    return pool._trimmer.trims


def _trims_of(_: object) -> int:
    return _trims()


@pytest.mark.skipif(sys.platform != "linux", reason="glibc and /proc")
def test_every_worker_checks_its_heap_after_each_task() -> None:
    with extraction_pool(1) as workers:
        before = workers.submit(_force_trims).result(timeout=120)
        # the check after the first task trimmed, and so does the one after this task
        assert workers.submit(_trims).result(timeout=60) == before + 1
        # map goes through submit: each of its tasks is checked after too
        assert list(workers.map(_trims_of, [1, 2], timeout=60)) == [before + 2, before + 3]
        assert workers.submit(_trims).result(timeout=60) == before + 4
