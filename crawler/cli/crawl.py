"""`newsarchive crawl STORY.toml`: discover, fetch, archive, extract and store one story."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_redis_option,
    add_setting_option,
    add_wait_option,
    redis_prefix,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.core.datadir import database_url
from crawler.core.story import load_story
from crawler.run import CrawlFailed, check_settings, crawl_settings, run_crawl
from crawler.stopping import SIGNAL_STAT, exit_status

PROG = "newsarchive crawl"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Crawl the sources of a story: every response is archived to WARC files, "
        "every article extracted and stored. Run it again to pick up new coverage.",
    )
    parser.add_argument("story", type=Path, help="the story file (TOML, see docs/story-file.md)")
    add_data_options(parser)
    add_setting_option(parser)
    parser.add_argument(
        "--revisit",
        choices=("due", "all", "none"),
        default=None,
        help="which known articles to fetch again: those due by the story's revisit policy "
        "(default), all of them, or none (only new URLs)",
    )
    add_redis_option(
        parser,
        "a Redis server: crawl as one of several workers sharing its frontier "
        "(docs/distributed.md)",
    )
    parser.add_argument(
        "-L", "--loglevel", default=None, help="log level (default: INFO, or LOG_LEVEL)"
    )
    add_wait_option(parser)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    """Exit status: 0 finished, 1 failed, no source could be fetched, or writes were lost (a
    WARC record or a database batch that could not be written: a disk full…), 2 a mistake in
    the story file, options or settings, or the data directory in use; 128 + N stopped by
    signal N (130: Ctrl-C)."""
    args = build_parser().parse_args(argv)
    story = load_story(args.story)
    settings = crawl_settings(args.data, database_url(args.data, args.db), args.settings)
    if args.revisit:
        settings.set("NEWSARCHIVE_REVISIT", args.revisit, priority="cmdline")
    if args.loglevel:
        settings.set("LOG_LEVEL", args.loglevel.upper(), priority="cmdline")
    if args.redis:
        from crawler import distributed

        distributed.enable(settings, args.redis)
        # $NEWSARCHIVE_REDIS_PREFIX replaces the default; -s NEWSARCHIVE_REDIS_PREFIX wins over it
        settings.set("NEWSARCHIVE_REDIS_PREFIX", redis_prefix(), priority="project")
    # distributed workers on one machine may share a data directory (crawler/cli/lock.py)
    verb = "crawl --redis" if args.redis else "crawl"
    with data_dir_lock(args.data, verb, wait=args.wait, shared=bool(args.redis)):
        check_settings(settings)
        try:
            stats = run_crawl(story, settings)
        except CrawlFailed as exc:
            raise CliError(f"the crawl failed: {exc} (see the log above)", 1) from exc
    return crawl_status(stats, story.name)


def crawl_status(stats: Mapping[str, Any], story: str) -> int:
    """The exit status of a crawl of `story` that ended with these stats."""
    stopped_by = stats.get(SIGNAL_STAT)
    if isinstance(stopped_by, str):
        return exit_status(signal.Signals[stopped_by])
    if not stats.get("downloader/response_count"):
        print(f"{PROG}: {nothing_fetched(stats, story)}", file=sys.stderr)
        return 1
    lost = lost_writes(stats)
    if lost:
        print(f"{PROG}: {lost}", file=sys.stderr)
        return 1
    return 0 if stats.get("finish_reason") == "finished" else 1


def lost_writes(stats: Mapping[str, Any]) -> str:
    """What the crawl could not write, as its stats tell ('' when nothing was lost)."""
    records, rows = stats.get("warc/errors", 0), stats.get("db/lost", 0)
    if not records and not rows:
        return ""
    lost = []
    if records:
        lost.append(
            f"{records} responses could not be archived (the next crawl fetches them again)"
        )
    if rows:
        lost.append(
            f"{rows} database rows could not be written (the next crawl stores them from the "
            "WARC files before it starts)"
        )
    return "; ".join(lost) + ": see the errors above (a full disk?)"


def nothing_fetched(stats: Mapping[str, Any], story: str) -> str:
    """Why a crawl fetched no page, as its stats tell: it points at warnings only when some
    were logged."""
    reason = stats.get("finish_reason")
    if reason != "finished":
        return f"the crawl stopped ({reason}) before any page was fetched"
    if stats.get("redis/run") is not None:
        from crawler import distributed

        cause = distributed.nothing_fetched(stats, story)
        if cause:
            return cause
    if stats.get("log_count/WARNING"):
        return "no source could be fetched; see the warnings above"
    if stats.get("log_count/ERROR") or stats.get("log_count/CRITICAL"):
        return "no source could be fetched; see the errors above"
    outcomes = sorted(
        (name.removeprefix("outcome/"), count)
        for name, count in stats.items()
        if name.startswith("outcome/")
    )
    if outcomes:
        shown = ", ".join(f"{why} {count}" for why, count in outcomes)
        return f"no page was fetched; what became of the URLs met: {shown}"
    return "no page was fetched: the story's sources led to no request"
