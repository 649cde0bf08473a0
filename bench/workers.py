"""One crawl process vs one and two workers sharing a frontier in Redis.

Each configuration crawls its own fresh simulated web (same seed, same pages) into its own
database, with the delays off. Pages/s is over the time from the start of the processes to the
last request the web answered; the wall time also counts start-up and the end of the run (a worker
waits `NEWSARCHIVE_REDIS_IDLE_TIME`, here 1 s, to be sure nothing is left).

    python -m bench workers [--extra N] [--redis URL] [--db URL|sqlite]

Each row also gives the CPU per page of all its processes together, and the coordination's CPU
per page: that less the one-process crawl's (what Redis, the shared frontier and the
acknowledgements cost).

Two workers on one 2-core machine compete for the same cores (and with the simulated web, which
runs in this process): the number says what the coordination costs and how the work splits, not
how far the crawl scales on machines of its own.
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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema

from crawler.simweb import SimWeb

RESULTS = Path(__file__).parent / "results"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS=32",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0",
    "-s", "NEWSARCHIVE_REDIS_IDLE_TIME=1",
    "-s", "LOG_LEVEL=WARNING",
]  # fmt: skip


@contextmanager
def database(db: str, tmp: Path, name: str) -> Iterator[str]:
    """A fresh database for one configuration: a SQLite file, or a PostgreSQL schema."""
    if db == "sqlite":
        yield f"sqlite:///{tmp / name / 'newsarchive.db'}"
        return
    server = make_url(db)
    schema = f"bench_workers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(CreateSchema(schema))
    try:
        url = server.update_query_dict({"options": f"-c search_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        admin.dispose()


def run(
    name: str, workers: int, args: argparse.Namespace, tmp: Path
) -> dict[str, float | int | str]:
    """Crawl a fresh simulated web with `workers` processes (0: one process without Redis)."""
    with SimWeb(extra_articles=args.extra) as web, database(args.db, tmp, name) as db_url:
        story = tmp / f"{name}.toml"
        story.write_text(web.story_toml())
        command = [
            sys.executable, "-m", "crawler", "crawl", str(story), "--data", str(tmp / name),
            "--db", db_url, *FAST, "-s", f"EXTRACT_WORKERS={args.extract_workers}",
        ]  # fmt: skip
        env = {**os.environ, "NEWSARCHIVE_REDIS_PREFIX": f"bench-workers-{uuid.uuid4().hex[:8]}"}
        if workers:
            command += ["--redis", args.redis]
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, started_at = time.monotonic(), time.time()  # the web logs time.time()
        processes = [
            subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(max(workers, 1))
        ]
        errors = [process.communicate()[1] for process in processes]
        wall = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        failed = [err for process, err in zip(processes, errors, strict=True) if process.returncode]
        if failed:
            raise SystemExit(f"{name}: a crawl failed:\n{failed[0][-3000:]}")
        entries = web.log.entries()
        crawl = max(entry.time for entry in entries) - started_at
    pages = len(entries)
    return {
        "config": name,
        "workers": max(workers, 1),
        "pages": pages,
        "crawl_s": crawl,
        "wall_s": wall,
        "pages_per_s": pages / crawl,
        "cpu_s": (usage.ru_utime - usage_before.ru_utime)
        + (usage.ru_stime - usage_before.ru_stime),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench workers", description=__doc__)
    parser.add_argument("--extra", type=int, default=1000, help="extra articles (default 1000)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--db", default=POSTGRES, help=f"PostgreSQL server URL, or 'sqlite' (default {POSTGRES})"
    )
    parser.add_argument(
        "--extract-workers", type=int, default=1, help="extraction processes per crawl process"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    configs = [("1 process, no Redis", 0), ("1 worker", 1), ("2 workers", 2)]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(name, workers, args, Path(tmp)) for name, workers in configs]
    plain_ms = 1000 * float(rows[0]["cpu_s"]) / int(rows[0]["pages"])
    for row in rows:
        row["cpu_ms_per_page"] = 1000 * float(row["cpu_s"]) / int(row["pages"])
        # What the shared frontier costs: CPU per page beyond the same crawl in one process.
        row["coordination_ms_per_page"] = float(row["cpu_ms_per_page"]) - plain_ms
    print(
        f"{'config':<20} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'wall s':>7} {'CPU s':>7}"
        f" {'CPU ms/page':>12} {'coord. ms/page':>15}"
    )
    for row in rows:
        print(
            f"{row['config']:<20} {row['pages']:>6} {row['crawl_s']:>8.1f} "
            f"{row['pages_per_s']:>8.1f} {row['wall_s']:>7.1f} {row['cpu_s']:>7.1f}"
            f" {row['cpu_ms_per_page']:>12.2f} {row['coordination_ms_per_page']:>15.2f}"
        )
    speedup = float(rows[2]["pages_per_s"]) / float(rows[1]["pages_per_s"])
    print(f"2 workers vs 1: {speedup:.2f}x pages/s")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "workers.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "workers",
                "extra_articles": args.extra,
                "extract_workers": args.extract_workers,
                "database": "sqlite" if args.db == "sqlite" else "postgresql",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "rows": rows,
                "speedup_2_vs_1": speedup,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
