"""Handing freed heap back to the system once a process has grown: `malloc_trim`, only when due.

glibc keeps what a process frees inside its heap for later allocations, so one page far larger
than the rest leaves its high-water mark resident for the rest of the process's life. The
10,000-link home page of the 10,000-page bench web (2.2 MB of HTML) lifted an extraction worker
from 216 to 259 MB, and `malloc_trim(0)` brought it back to 204 (docs/benchmarks.md, memory on a
10,000-page crawl). Trimming after every page costs about 0.8 ms of CPU a page; reading
/proc/self/statm costs about 11 µs, so `Trimmer.check` runs after every task of a worker (a page
in a crawl; a chunk of files or a batch in `extract` and `reextract`) and after every page in
the crawling process, and trims only when the resident set has grown by `GROWTH` bytes since
the last trim.

Where there is no glibc (`malloc_trim` missing) or no /proc, `check` never trims.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

GROWTH = 4 * 2**20
"""How far the resident set may grow past its level after the last trim before trimming again.
Measured on a pool of two extracting the 181 AEB pages three times: 4 MB left the two workers'
peak PSS 11 MB lower than 16 MB did, with no CPU per page to tell them apart (a check reads
/proc/self/statm: 11 µs)."""


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident set in bytes (0 where /proc/self/statm cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def malloc_trim() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)` (frees whole free pages anywhere in the heap, not only at its
    top), or None where the C library has none."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class Trimmer:
    """Trims the heap when the resident set has grown by `growth` bytes since the last trim."""

    def __init__(
        self,
        growth: int = GROWTH,
        trim: Callable[[], object] | None = None,
        resident: Callable[[], int] = resident_bytes,
    ) -> None:
        self.growth = growth
        self._trim = trim if trim is not None else malloc_trim()
        self._resident = resident
        self.mark = resident()
        """The resident set after the last trim (at the start: when the trimmer was made)."""
        self.trims = 0

    def check(self) -> bool:
        """Trim if the process has grown past the mark; True when it did."""
        if self._trim is None:
            return False
        now = self._resident()
        if now == 0 or now < self.mark + self.growth:
            return False
        self._trim()
        self.trims += 1
        self.mark = self._resident()
        return True
