"""First crawl vs recrawl of an unchanged simulated web.

A recrawl revisits every known page: unchanged pages come back as 304 or as the same bytes, are
archived as small revisit records and are not extracted again. This measures how much faster
that is than the first crawl (pages per second of the whole process, start-up included) and how
many WARC bytes each round writes.

    python -m bench recrawl [--extra N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def crawl(story: Path, data: Path, now: datetime, workers: int) -> dict[str, float]:
    """One crawl in its own process; wall time and CPU time of that process."""
    before_bytes = sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(data), *FAST,
         "-s", f"EXTRACT_WORKERS={workers}", "-s", f"NEWSARCHIVE_NOW={now.isoformat()}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stderr[-3000:]}")
    after_bytes = sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))
    return {
        "wall_s": wall,
        "cpu_s": (usage.ru_utime - usage_before.ru_utime)
        + (usage.ru_stime - usage_before.ru_stime),
        "warc_bytes": after_bytes - before_bytes,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench recrawl", description=__doc__)
    parser.add_argument("--extra", type=int, default=1000, help="extra articles (default 1000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, SimWeb(extra_articles=args.extra) as web:
        story = Path(tmp) / "story.toml"
        story.write_text(web.story_toml())
        data = Path(tmp) / "data"
        now = datetime.now(UTC)
        first = crawl(story, data, now, args.workers)
        first_pages = len(web.log.entries())
        web.log.clear()
        # everything known is due two hours later (the policy's first interval is one hour)
        again = crawl(story, data, now + timedelta(hours=2), args.workers)
        again_pages = len(web.log.entries())
        statuses: dict[int, int] = {}
        for entry in web.log.entries():
            statuses[entry.status] = statuses.get(entry.status, 0) + 1

    rows = {
        "first crawl": {**first, "pages": first_pages},
        "recrawl": {**again, "pages": again_pages},
    }
    print(f"{'round':<12} {'pages':>7} {'wall s':>8} {'pages/s':>8} {'CPU s/page':>11} "
          f"{'WARC bytes':>12}")  # fmt: skip
    for name, row in rows.items():
        rate = row["pages"] / row["wall_s"]
        row["pages_per_s"] = rate
        print(
            f"{name:<12} {row['pages']:>7.0f} {row['wall_s']:>8.1f} {rate:>8.1f} "
            f"{row['cpu_s'] / row['pages'] * 1000:>9.2f}ms {row['warc_bytes']:>12,.0f}"
        )
    speedup = rows["recrawl"]["pages_per_s"] / rows["first crawl"]["pages_per_s"]
    share = rows["recrawl"]["warc_bytes"] / rows["first crawl"]["warc_bytes"]
    print(f"recrawl speed-up: {speedup:.1f}x pages/s; recrawl WARC bytes: {share:.1%} of the first")
    print(f"recrawl answers by status: {dict(sorted(statuses.items()))}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "recrawl.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "recrawl",
                "extra_articles": args.extra,
                "workers": args.workers,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "rounds": rows,
                "speedup": speedup,
                "warc_share": share,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
