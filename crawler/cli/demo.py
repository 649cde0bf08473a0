"""`newsarchive demo`: the whole job, offline, on the built-in simulated news web.

Starts the simulated publishers on 127.0.0.1, writes the demo story file, crawls it with delays
off (the only server is this process), then shows what was found and where it is kept.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import CliError, CliParser
from crawler.cli.crawl import crawl_status
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.core.datadir import lock_file, warc_dir
from crawler.core.story import load_story
from crawler.run import check_settings, crawl_settings, run_crawl
from crawler.simweb import SimWeb

MARKER = ".newsarchive-demo"
"""Marks a directory the demo made, so a rerun may replace it and nothing else."""

LOCAL_SETTINGS = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=4",
]

PROG = "newsarchive demo"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Serve the built-in simulated news web on 127.0.0.1 and crawl the demo "
        "story from it. Nothing leaves this machine.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("newsarchive-demo"),
        metavar="DIR",
        help="where to put the demo's story file, WARC files and database "
        "(default: ./newsarchive-demo; a previous demo there is replaced)",
    )
    parser.add_argument(
        "--extra",
        type=int,
        default=0,
        metavar="N",
        help="add N generated off-topic articles to the simulated web",
    )
    parser.add_argument(
        "-L",
        "--loglevel",
        default=None,
        help="log level (default: WARNING; INFO shows Scrapy's lines and the database's revision)",
    )
    return parser


def prepare(data: Path) -> str | None:
    """Why `data` cannot hold a fresh demo, or None: it must be a directory that is empty (but
    for its lock) or made by an earlier demo."""
    if data.exists() and not data.is_dir():
        return f"{data} is not a directory: choose another --data"
    others = data.exists() and any(p != lock_file(data) for p in data.iterdir())
    if others and not (data / MARKER).exists():
        return f"{data} is not empty and was not made by the demo: choose another --data"
    return None


def clear(data: Path) -> None:
    """Empty a demo's directory, but for the lock this demo holds, and mark it as the demo's."""
    for path in data.iterdir():
        if path == lock_file(data):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (data / MARKER).write_text("made by `newsarchive demo`; rerunning the demo replaces it\n")


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.extra < 0:
        raise CliError(f"--extra must be 0 or more, got {args.extra}", 2)
    problem = prepare(args.data)
    if problem:
        raise CliError(problem, 2)
    # always the demo's own SQLite file, whatever $NEWSARCHIVE_DB says
    db_url = f"sqlite:///{(args.data / 'newsarchive.db').resolve()}"
    settings = crawl_settings(args.data, db_url, LOCAL_SETTINGS)
    if args.loglevel:
        settings.set("LOG_LEVEL", args.loglevel.upper(), priority="cmdline")
    with data_dir_lock(args.data, "demo"):
        clear(args.data)
        check_settings(settings)
        with SimWeb(extra_articles=args.extra) as web:
            story_path = args.data / "story.toml"
            story_path.write_text(web.story_toml())
            story = load_story(story_path)
            print(f"Simulated news web: {len(web.publishers)} publishers on 127.0.0.1")
            for publisher in web.publishers:
                print(f"  {publisher.name:<24} {publisher.base_url}")
            started = time.monotonic()
            stats = run_crawl(story, settings)
            elapsed = time.monotonic() - started
        report(args.data, db_url, story.name, stats, elapsed)
    return crawl_status(stats, story.name)


def report(data: Path, db_url: str, story: str, stats: dict[str, object], elapsed: float) -> None:
    """What the crawl found, and where it is."""
    from storage.db import queries
    from storage.db.engine import open_database

    engine = open_database(db_url)
    try:
        relevant = list(queries.iter_articles(engine, story, relevant_only=True))
        total = queries.status(engine, story, warc_dir=warc_dir(data)).total
    finally:
        engine.dispose()
    print()
    print(
        f"Crawled in {elapsed:.1f} s: {stats.get('downloader/response_count', 0)} responses "
        f"archived, {total.articles} articles stored, {total.relevant} relevant to the story."
    )
    print("Relevant articles:")
    for article in sorted(relevant, key=lambda a: (str(a["published"]), str(a["publisher"]))):
        # the day (the export's `published` may carry a time and its offset)
        day = str(article["published"] or "")[:10] or "????-??-??"
        print(f"  {day}  {article['publisher']:<24} {article['title']}")
        print(f"  {'':10}  {article['url']}")
    print()
    print(
        f"Archive:   {warc_dir(data)}  ({total.warc_files} WARC files, {total.warc_bytes:,} bytes)"
    )
    print(f"Database:  {db_url}")
    print(f"Story:     {data / 'story.toml'}")
    print(f"Next:      newsarchive status --data {data}")
    print(f"           newsarchive export --data {data} --format jsonl -o articles.jsonl")
