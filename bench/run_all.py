"""Every benchmark in turn, each in its own process, each printing its table.

    python -m bench all [--quick] [--dry-run]

`--quick` gives each benchmark a small size (a few minutes in all on two cores; the numbers are
then only a smoke test; `workers` needs Redis and PostgreSQL); without it each runs at its
documented size. `--dry-run` only checks that every benchmark takes its arguments, and prints
the commands.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time

SIZES: dict[str, tuple[list[str], list[str]]] = {
    "recrawl": (["--extra", "1000"], ["--extra", "100", "--repeat", "1"]),
    "storage": (["--max", "100000"], ["--max", "2000"]),
    "search": (["--versions", "100000"], ["--versions", "2000", "--repeat", "1"]),
    "warcread": (["--pages", "2000", "--repeat", "3"], ["--pages", "200", "--repeat", "1"]),
    "warcgzip": (["--repeat", "3"], ["--repeat", "1"]),
    "clusters": (["--extra", "500"], ["--extra", "100"]),
    "extract-quality": (["--repeat", "3"], ["--repeat", "1", "--only", "aeb"]),
    "extract-metadata": ([], []),
    "extract-jsonl": (["--pages", "1000"], ["--pages", "100"]),
    "access": ([], ["--limit", "40"]),
    "crawl": (["--pages", "1000"], ["--quick"]),
    "reextract": (["--pages", "1000"], ["--quick"]),
    "workers": (["--extra", "1000"], ["--extra", "100"]),
}
"""Each benchmark's arguments: (full, quick)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--dry-run", action="store_true", help="check the wiring, run nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    durations: dict[str, float] = {}
    for name, (full, quick) in SIZES.items():
        options = quick if args.quick else full
        command = [sys.executable, "-m", "bench", name, *options]
        module = importlib.import_module(f"bench.{name.replace('-', '_')}")
        module.build_parser().parse_args(options)
        print(f"\n=== {name}: python -m bench {name} {' '.join(options)}", flush=True)
        if args.dry_run:
            continue
        started = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        durations[name] = time.perf_counter() - started
        if code != 0:
            print(f"{name} failed with exit status {code}", file=sys.stderr)
            return code
    if durations:
        print(f"\n{'benchmark':<16} {'wall s':>7}")
        for name, seconds in durations.items():
            print(f"{name:<16} {seconds:>7.1f}")
        print(f"{'all':<16} {sum(durations.values()):>7.1f}  (load average now {os.getloadavg()})")
    return 0
