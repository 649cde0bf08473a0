"""`python -m bench all` knows every benchmark, and each takes the arguments it is given."""

from __future__ import annotations

import subprocess
import sys

from bench import run_all
from bench.__main__ import BENCHMARKS


def test_every_benchmark_is_in_all() -> None:
    assert set(run_all.SIZES) == set(BENCHMARKS) - {"all"}


def test_all_quick_dry_run_wires_every_benchmark() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--quick", "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for name in BENCHMARKS.keys() - {"all"}:
        assert f"=== {name}: python -m bench {name} " in result.stdout


def test_full_sizes_parse_too() -> None:
    assert run_all.main(["--dry-run"]) == 0
