"""`newsarchive reextract`: extract the archived responses again, with today's extractor or other
options, and keep the texts that changed as new versions. No network: only the WARC files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from crawler import settings as defaults
from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_wait_option,
    existing_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.cli.options import add_extract_options, extract_options
from crawler.core.datadir import warc_dir as warc_directory
from crawler.extraction.extract import extractor_name
from crawler.extraction.options import ExtractOptions
from crawler.services.reextract import Summary, reextract
from crawler.stopping import finish_then_stop
from storage.db.engine import check_writable
from storage.db.reextract import story_definitions

PROG = "newsarchive reextract"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Extract every archived HTML response again from the WARC files (no "
        "network), with this version of the extractor and the extraction options given, and "
        "store a new article version wherever the text differs from every version there is. "
        "Captures already extracted by this extractor with these options are skipped, so a "
        "second run does nothing and a stopped run goes on where it was. Exit status: 0 done, "
        "1 some captures could not be read, 2 bad options or nothing to work on.",
    )
    add_data_options(parser)
    parser.add_argument("--story", metavar="NAME", help="only captures of this story's publishers")
    parser.add_argument(
        "--since",
        type=_moment,
        metavar="DATE",
        help="only captures fetched then or later (YYYY-MM-DD, or an ISO 8601 time; UTC)",
    )
    parser.add_argument(
        "--all",
        dest="force",
        action="store_true",
        help="extract again captures this extractor and these options have extracted already "
        "(versions are still only added for texts that differ)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="extraction processes (default: EXTRACT_WORKERS, else one per core)",
    )
    add_extract_options(parser)
    add_wait_option(parser)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="captures per transaction, rounded up to whole articles (default: 500)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="stop after about N captures (whole articles): try options on a sample first",
    )
    parser.add_argument(
        "--progress",
        type=float,
        default=defaults.NEWSARCHIVE_PROGRESS_INTERVAL,
        metavar="SECONDS",
        help="seconds between progress lines on standard error (0: none; "
        f"default: {defaults.NEWSARCHIVE_PROGRESS_INTERVAL:g})",
    )
    return parser


def _moment(value: str) -> datetime:
    """A --since value: a date (midnight UTC) or a time (UTC unless it says otherwise)."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or time: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    chosen, workers = extract_options(args, args.workers)
    if args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        raise CliError("--batch-size and --limit must be 1 or more", 2)
    if workers < 0:
        raise CliError(f"--workers must be 0 (one per core) or more, got {workers}", 2)
    with (
        data_dir_lock(args.data, "reextract", wait=args.wait, create=False),
        existing_database(args.data, args.db) as engine,
    ):
        check_writable(engine)
        if args.story is not None:
            story_definitions(engine, args.story)  # an unknown story: one line, before any work
        sys.stderr.write(
            f"{PROG}: {extractor_name()}, options {chosen.digest} ({_described(chosen)})\n"
        )
        with finish_then_stop(PROG) as stop:
            summary = reextract(
                engine,
                warc_directory(args.data),
                chosen,
                story=args.story,
                since=args.since,
                workers=workers,
                force=args.force,
                batch_size=args.batch_size,
                limit=args.limit,
                progress_interval=args.progress,
                stop=lambda: stop.requested,
            )
    sys.stdout.write(report(summary, forced=args.force))
    if stop.status is not None:
        sys.stderr.write(f"{PROG}: interrupted; run it again to go on where it stopped\n")
        return stop.status
    return 1 if summary.errors else 0


def nothing_done(summary: Summary) -> bool:
    """Whether a run read no capture and has nothing else to tell."""
    return not (
        summary.read
        or summary.errors
        or summary.not_pages
        or summary.missing_files
        or summary.unjudged_stories
    )


def _described(options: ExtractOptions) -> str:
    return (
        f"favor={options.favor}, min_words={options.min_words}, "
        f"include_tables={options.include_tables}, include_comments={options.include_comments}"
    )


def report(summary: Summary, *, forced: bool = False) -> str:
    """The summary printed at the end of a run: one line when there was nothing to do."""
    if nothing_done(summary):
        if forced:
            return "nothing to re-extract: no capture was chosen (see --story, --since)\n"
        return (
            "nothing to re-extract: every capture chosen was extracted with this extractor and "
            "these options already (--all extracts them again)\n"
        )
    counts = summary.counts
    lines = [
        ("captures read", summary.read),
        ("re-extracted", summary.reextracted),
        ("unchanged", counts.unchanged),
        ("new versions", counts.new_versions),
        ("not articles", counts.not_articles),
        ("walled", counts.walled),
        ("story judgements changed", counts.story_links),
        ("not pages", summary.not_pages),
        ("errors", summary.errors),
    ]
    if not counts.walled:
        lines.remove(("walled", 0))  # the line is there only when a wall was met
    width = max(len(name) for name, _ in lines)
    text = "".join(f"{name + ':':<{width + 1}} {value}\n" for name, value in lines)
    for name, count in sorted(summary.missing_files.items()):
        text += f"missing WARC file {name}: {count} capture{'s' if count != 1 else ''} skipped\n"
    if summary.unjudged_stories:
        text += (
            "stories stored without their story file, not judged again (crawl them once to "
            f"store it): {', '.join(summary.unjudged_stories)}\n"
        )
    return text
