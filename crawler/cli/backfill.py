"""`newsarchive backfill STORY.toml --data DIR`: the story's sources as the web archives named
in its `[[archives]]` tables hold them, for the story window (docs/backfill.md).

Exit status: 0 every capture listed was stored, 1 some could not be fetched or archived, 2 a
usage error (a bad story file, an archive that cannot be reached), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler import settings as defaults
from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_wait_option,
    own_id,
    writable_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.cli.options import add_extract_options, extract_options
from crawler.clustering.signatures import cluster_options
from crawler.core.datadir import warc_dir
from crawler.core.story import load_story
from crawler.run import SettingError, crawl_settings
from crawler.services.backfill import Backfill, BackfillError
from crawler.services.clusters import update_clusters
from crawler.stopping import finish_then_stop
from storage.db.repository import Repository

PROG = "newsarchive backfill"


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Ask the web archives named in the story file ([[archives]]: a Wayback-style "
        "CDX server with raw replay, or a Common Crawl index and its WARC files) for the "
        "captures of the story's sources in its window, copy those not stored yet into the "
        "WARC files and store them as captures with their original times. Exit status: 0 all "
        "stored, 1 some could not be fetched, 2 usage error.",
    )
    parser.add_argument("story", type=Path, metavar="STORY.toml", help="the story file")
    add_data_options(parser)
    parser.add_argument(
        "--batch-size", type=int, default=50, metavar="N", help="captures per database write"
    )
    parser.add_argument(
        "--progress",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="print progress on standard error this often (0: never; default 5)",
    )
    add_extract_options(parser)
    add_wait_option(parser)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.batch_size < 1:
        raise CliError("--batch-size must be 1 or more", 2)
    if args.progress < 0:
        raise CliError("--progress must be 0 or more", 2)
    story = load_story(args.story)
    if not story.archives:
        raise CliError(f"{args.story}: names no [[archives]] to backfill from", 2)
    options, _ = extract_options(args)
    try:
        settings = crawl_settings(args.data, None, args.settings)
    except SettingError as exc:
        raise CliError(str(exc), 2) from exc
    with data_dir_lock(args.data, "backfill", wait=args.wait):
        data_dir = own_id(args.data)
        engine = writable_database(args.data, args.db)
        try:
            with finish_then_stop(PROG) as stop:
                backfill = Backfill(
                    Repository(engine),
                    story,
                    warc_dir=Path(settings.get("WARC_DIR") or warc_dir(args.data)),
                    options=options,
                    user_agent=settings.get("USER_AGENT") or defaults.USER_AGENT,
                    warc_prefix=settings.get("WARC_PREFIX", defaults.WARC_PREFIX),
                    warc_max_size=settings.getint("WARC_MAX_SIZE", defaults.WARC_MAX_SIZE),
                    warc_gzip=settings.getbool("WARC_GZIP", defaults.WARC_GZIP),
                    warc_gzip_level=settings.getint("WARC_GZIP_LEVEL", defaults.WARC_GZIP_LEVEL),
                    batch_size=args.batch_size,
                    progress_interval=args.progress,
                    err=sys.stderr,
                    stop=lambda: stop.requested,
                    data_dir=data_dir,
                )
                try:
                    report = backfill.run()
                except BackfillError as exc:
                    raise CliError(str(exc), 2) from exc
            clustering = cluster_options(settings)
            if clustering is not None and report.fetched:
                update_clusters(engine, clustering)
        finally:
            engine.dispose()
    for line in report.summary(story.archives):
        print(line)
    if stop.status is not None:
        sys.stderr.write(f"{PROG}: interrupted; run it again to go on\n")
        return stop.status
    return 1 if report.failed else 0
