"""`newsarchive crawl STORY.toml`: discover, fetch, archive, extract and store one story."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crawler.cli.common import (
    CliError,
    CliParser,
    add_console_options,
    add_data_options,
    add_redis_option,
    add_setting_option,
    add_wait_option,
    console_settings,
    redis_prefix,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.core.datadir import database_url, warc_dir
from crawler.core.story import Story, load_story
from crawler.extensions.progress import COUNTS, failures, publisher_counts
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
    add_console_options(parser)
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
    talk = console_settings(args)
    settings = crawl_settings(args.data, database_url(args.data, args.db), args.settings + talk)
    if args.revisit:
        settings.set("NEWSARCHIVE_REVISIT", args.revisit, priority="cmdline")
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
    if not args.quiet:
        sys.stdout.write(summary(stats, story, args.data, settings.get("DB_URL")))
        sys.stdout.flush()
    return crawl_status(stats, story.name)


def summary(stats: Mapping[str, Any], story: Story, data: Path, db_url: str | None) -> str:
    """What the crawl did, per publisher and in total, where it is kept, and what to run next:
    printed at every log level (not with --quiet)."""
    elapsed = float(stats.get("elapsed_time_seconds") or 0)
    reason = stats.get(SIGNAL_STAT) or stats.get("finish_reason") or "unknown"
    table: list[tuple[str, ...]] = [("publisher", *COUNTS)]
    totals = dict.fromkeys(COUNTS, 0)
    hosts = [source.host for source in story.sources]
    names = {source.host: source.name for source in story.sources}
    others = {key.split("/")[1] for key in stats if key.startswith("publisher/")} - set(hosts)
    for host in [*hosts, *sorted(others)]:
        counts = publisher_counts(dict(stats), host)
        for count in COUNTS:
            totals[count] += counts[count]
        table.append((names.get(host, host), *(str(counts[c]) for c in COUNTS)))
    totals["errors"] = max(totals["errors"], failures(dict(stats)))
    totals["fetched"] = max(totals["fetched"], int(stats.get("downloader/response_count", 0)))
    table.append(("total", *(str(totals[c]) for c in COUNTS)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "",
        f"Crawled {story.name!r} in {elapsed:.1f} s ({reason}): {totals['fetched']} pages "
        f"fetched, {totals['articles']} articles, {totals['relevant']} relevant, "
        f"{totals['errors']} errors.",
    ]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells))
    quoted, name = shlex.quote(str(data)), shlex.quote(story.name)
    files = int(stats.get("warc/files", 0))
    lines.append(
        f"Archive:   {warc_dir(data)}  ({files} new WARC file{'' if files == 1 else 's'}, "
        f"{int(stats.get('warc/bytes', 0)):,} bytes written)"
    )
    if db_url:
        lines.append(f"Database:  {db_url}")
    if stats.get("downloader/response_count"):
        lines.append(f"Next:      newsarchive status --data {quoted} --story {name}")
        lines.append(f"           newsarchive report --data {quoted} --story {name} -o report.html")
        lines.append(f"           newsarchive search --data {quoted} --story {name} WORDS")
        lines.append(f"           newsarchive serve --data {quoted}")
    return "\n".join(lines) + "\n"


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
