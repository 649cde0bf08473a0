"""`newsarchive crawl STORY.toml`: discover, fetch, archive, extract and store one story."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crawler.cli.common import (
    add_data_options,
    add_redis_option,
    add_setting_option,
    redis_prefix,
)
from crawler.core.datadir import database_url
from crawler.core.story import StoryError, load_story
from crawler.run import SettingError, check_settings, crawl_settings, run_crawl


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsarchive crawl",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        story = load_story(args.story)
    except StoryError as exc:
        print(f"newsarchive crawl: {exc}", file=sys.stderr)
        return 2
    try:
        settings = crawl_settings(args.data, database_url(args.data, args.db), args.settings)
    except SettingError as exc:
        print(f"newsarchive crawl: {exc}", file=sys.stderr)
        return 2
    if args.revisit:
        settings.set("NEWSARCHIVE_REVISIT", args.revisit, priority="cmdline")
    if args.loglevel:
        settings.set("LOG_LEVEL", args.loglevel.upper(), priority="cmdline")
    if args.redis:
        from crawler import distributed

        distributed.enable(settings, args.redis)
        # $NEWSARCHIVE_REDIS_PREFIX replaces the default; -s NEWSARCHIVE_REDIS_PREFIX wins over it
        settings.set("NEWSARCHIVE_REDIS_PREFIX", redis_prefix(), priority="project")
    try:
        check_settings(settings)
    except SettingError as exc:
        print(f"newsarchive crawl: {exc}", file=sys.stderr)
        return 2
    stats = run_crawl(story, settings)
    if not stats.get("downloader/response_count"):
        print(f"newsarchive crawl: {nothing_fetched(stats, story.name)}", file=sys.stderr)
        return 1
    return 0 if stats.get("finish_reason") == "finished" else 1


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
