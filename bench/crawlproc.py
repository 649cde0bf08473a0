"""The crawling process alone: its own CPU per page (not its extraction workers') and its tail.

`python -m bench crawl` measures whole process trees; the thin-process goal (issue 15) is about
the `newsarchive crawl` process itself: its CPU beyond what the extraction workers spend, and how
long it runs after the last page was stored. Here the crawl runs in a child process
(`python -m bench.crawlproc --child OUT -- ARGS`) that calls the CLI in-process and writes its
own CPU time (`time.process_time`: every thread of the process, no child process) and the moment
`main` returned; the parent serves the pages, and reads the last stored capture's and article
version's times from the database. With `--profile FILE` the child runs under cProfile (the
reactor thread only), timed by the wall clock; with `--profile-cpu` as well, by the reactor
thread's own CPU time (`time.thread_time`), which the load of a shared machine swings much less:
a call that waits for a lock, a pipe or the GIL then costs only what it computed.

    python -m bench.crawlproc [--pages 1000] [--repeat 3] [-s NAME=VALUE ...] [--profile FILE
                              [--profile-cpu]]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.aebweb import AebWeb
from bench.crawl import FAST


def child(out: Path, args: list[str], profile: str | None, cpu_clock: bool = False) -> int:
    """Run the CLI in this process and write what it cost."""
    from crawler.cli import main

    start_cpu, start = time.process_time(), time.time()
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time) if cpu_clock else cProfile.Profile()
        code = profiler.runcall(main, args)
        profiler.dump_stats(profile)
    else:
        code = main(args)
    out.write_text(
        json.dumps(
            {
                "code": code,
                "cpu_s": time.process_time() - start_cpu,
                "start": start,
                "returned": time.time(),
                "datasketch": "datasketch" in sys.modules,
                "scipy": "scipy" in sys.modules,
            }
        )
    )
    return 0


def last_store(db: Path) -> float:
    """The latest fetch of the crawl: a capture's fetch or a version's
    first sight (the database's own clock, UTC)."""
    with sqlite3.connect(db) as conn:
        moments = [
            conn.execute("select max(fetched_at) from captures").fetchone()[0],
            conn.execute("select max(first_seen) from article_versions").fetchone()[0],
        ]
    stamps = [datetime.fromisoformat(m) for m in moments if m]
    return max(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps).timestamp()


def one(
    web: AebWeb,
    tmp: Path,
    n: int,
    settings: list[str],
    profile: str | None,
    cpu_clock: bool = False,
) -> dict[str, float]:
    story = tmp / "story.toml"
    story.write_text(web.story_toml())
    data = tmp / f"run{n}"
    out = tmp / f"run{n}.json"
    web.served.clear()
    args = ["crawl", str(story), "--data", str(data), *FAST, *settings]
    command = [sys.executable, "-m", "bench.crawlproc", "--child", str(out)]
    if profile:
        command += ["--profile", profile, *(["--profile-cpu"] if cpu_clock else [])]
    subprocess.run([*command, "--", *args], check=True)
    ended = time.time()
    measured = json.loads(out.read_text())
    if web.served.get("p", 0) < web.pages:
        raise SystemExit(f"{web.served.get('p', 0)} pages fetched, expected {web.pages}")
    stored = last_store(data / "newsarchive.db")
    return {
        "cpu_ms_per_page": measured["cpu_s"] / web.pages * 1000,
        "wall_s": measured["returned"] - measured["start"],
        "tail_s": measured["returned"] - stored,
        "exit_tail_s": ended - stored,
        "datasketch": measured["datasketch"],
        "served": web.served.get("p", 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawlproc", description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("-s", dest="settings", action="append", default=[])
    parser.add_argument("--profile", help="cProfile output (the crawling process)")
    parser.add_argument(
        "--profile-cpu",
        action="store_true",
        help="time the profile by the reactor thread's CPU, not the wall clock",
    )
    parser.add_argument("--keep", help="copy the last run's data directory here")
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args(argv)
    if args.child:
        return child(Path(args.child), args.rest, args.profile, args.profile_cpu)
    settings = [x for s in args.settings for x in ("-s", s)]
    with tempfile.TemporaryDirectory() as name, AebWeb(args.pages) as web:
        for n in range(args.repeat):
            row = one(web, Path(name), n, settings, args.profile, args.profile_cpu)
            print(
                f"pages {web.pages}  crawling-process CPU {row['cpu_ms_per_page']:.2f} ms/page  "
                f"wall {row['wall_s']:.1f} s  after the last fetch {row['tail_s']:.2f} s "
                f"(to exit {row['exit_tail_s']:.2f} s)  datasketch imported: {row['datasketch']}  "
                f"served {row['served']}  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        if args.keep:
            shutil.copytree(Path(name) / f"run{args.repeat - 1}", args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
