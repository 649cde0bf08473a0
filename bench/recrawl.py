"""First crawl vs recrawl of an unchanged simulated web, against Scrapy's floor.

A recrawl revisits every known page: unchanged pages come back as 304 or as the same bytes, are
archived as small revisit records and are not extracted again. Three kinds of run:

- **first crawl**: `newsarchive crawl` of the simulated web into an empty data directory;
- **recrawl**: the same crawl two hours later on the test clock (every known article is due), on
  a fresh copy of the data directory the first crawl left;
- **fetch only**: that recrawl with `-s WARC_ENABLED=False -s EXTRACT_ENABLED=False
  -s DB_ENABLED=False -s REQUISITES_ENABLED=False`, on another fresh copy: the same requests (the
  frontier is still read, so revisits are as conditional and get the same 304s) with nothing
  archived, extracted or stored. That is Scrapy's floor for these requests. Requisites are off
  too: this web's pages load none, and without the archive every page would look new to the
  requisites middleware, which would read all of them (a recrawl reads none that came back
  unchanged), so the floor would do work the recrawl does not.

Recrawl and fetch-only runs alternate, `--repeat` times each; medians are shown. Each run is one
whole process measured by `bench/measure.py` (CPU of the process and of all its descendants).
Start-up is from the process's start to the web's first request; tail, from the web's last
answer to the process's exit.

    python -m bench recrawl [--extra N] [--workers N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.measure import run
from crawler.simweb import SimWeb

RESULTS = Path(__file__).parent / "results"
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS=32",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0",
    "-s", "LOG_LEVEL=WARNING",
]  # fmt: skip
FETCH_ONLY = [
    "-s", "WARC_ENABLED=False", "-s", "EXTRACT_ENABLED=False", "-s", "DB_ENABLED=False",
    "-s", "REQUISITES_ENABLED=False",
]  # fmt: skip


def warc_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))


def crawl(
    web: SimWeb, story: Path, data: Path, now: datetime, workers: int, extra: list[str]
) -> dict[str, Any]:
    """One crawl in its own process, measured; the web's log of it is cleared afterwards."""
    before = warc_bytes(data) if data.exists() else 0
    web.log.clear()
    measured = run(
        [sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(data), *FAST,
         "-s", f"EXTRACT_WORKERS={workers}", "-s", f"NEWSARCHIVE_NOW={now.isoformat()}", *extra]
    )  # fmt: skip
    entries = web.log.entries()
    web.log.clear()
    statuses: dict[int, int] = {}
    for entry in entries:
        statuses[entry.status] = statuses.get(entry.status, 0) + 1
    row: dict[str, Any] = dict(measured.row(len(entries)))
    row.update(
        warc_bytes=(warc_bytes(data) if data.exists() else 0) - before,
        startup_s=min(e.time for e in entries) - measured.started_at,
        tail_s=measured.ended_at - max(e.time for e in entries),
        statuses=dict(sorted(statuses.items())),
    )
    return row


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each number over repeated runs (statuses: the first run's)."""
    out: dict[str, Any] = {"runs": len(rows), "statuses": rows[0]["statuses"]}
    for key, value in rows[0].items():
        if isinstance(value, int | float):
            out[key] = statistics.median(r[key] for r in rows)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench recrawl", description=__doc__)
    parser.add_argument("--extra", type=int, default=1000, help="extra articles (default 1000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="recrawl and fetch-only runs each (default 3)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, SimWeb(extra_articles=args.extra) as web:
        story = Path(tmp) / "story.toml"
        story.write_text(web.story_toml())
        first_data = Path(tmp) / "first"
        now = datetime.now(UTC)
        first = crawl(web, story, first_data, now, args.workers, [])
        # everything known is due two hours later (the policy's first interval is one hour)
        later = now + timedelta(hours=2)
        runs: dict[str, list[dict[str, Any]]] = {"recrawl": [], "fetch only": []}
        for n in range(args.repeat):
            order = ["fetch only", "recrawl"] if n % 2 == 0 else ["recrawl", "fetch only"]
            for name in order:
                data = Path(tmp) / f"run-{n}-{name.replace(' ', '-')}"
                shutil.copytree(first_data, data)
                extra = FETCH_ONLY if name == "fetch only" else []
                runs[name].append(crawl(web, story, data, later, args.workers, extra))
                shutil.rmtree(data)

    rows = {"first crawl": first, **{name: median_row(rs) for name, rs in runs.items()}}
    print(
        f"{'run':<12} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'CPU/page':>9} "
        f"{'start-up s':>10} {'tail s':>7} {'WARC bytes':>12}"
    )
    for name, row in rows.items():
        print(
            f"{name:<12} {row['pages']:>6.0f} {row['wall_s']:>7.2f} {row['pages_per_s']:>8.1f} "
            f"{row['cpu_ms_per_page']:>7.2f}ms {row['startup_s']:>10.2f} {row['tail_s']:>7.2f} "
            f"{row['warc_bytes']:>12,.0f}"
        )
    floor = rows["recrawl"]["pages_per_s"] / rows["fetch only"]["pages_per_s"]
    speedup = rows["recrawl"]["pages_per_s"] / rows["first crawl"]["pages_per_s"]
    share = rows["recrawl"]["warc_bytes"] / rows["first crawl"]["warc_bytes"]
    print(
        f"recrawl / fetch only: {floor:.2f}x pages/s (medians of {args.repeat}); "
        f"recrawl / first crawl: {speedup:.1f}x; recrawl WARC bytes: {share:.1%} of the first"
    )
    print(f"recrawl answers by status: {rows['recrawl']['statuses']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "recrawl.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "recrawl",
                "extra_articles": args.extra,
                "workers": args.workers,
                "repeat": args.repeat,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "rounds": rows,
                "runs": runs,
                "recrawl_vs_fetch_only": floor,
                "speedup": speedup,
                "warc_share": share,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
