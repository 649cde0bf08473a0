"""`newsarchive ingest FILE.warc.gz... --data DIR`: WARC and ARC files from other crawlers into the
database (docs/ingest.md).

Exit status: 0 every record read, 1 something was skipped (damage in a file, a file that could not
be read on), 2 a usage error (a missing file, a bad story file, a --copy name taken).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_wait_option,
    writable_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.core.datadir import warc_dir
from crawler.core.story import load_story
from crawler.services.ingest import Ingester, ingest_files
from crawler.stopping import finish_then_stop
from storage.db.repository import Repository

PROG = "newsarchive ingest"


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Add the response, resource and revisit records of WARC (1.0, 1.1, 0.18) "
        "and ARC files to the database, their pages extracted as in a crawl. Damaged stretches "
        "are reported and skipped. Exit status: 0 all read, 1 something skipped, 2 usage error.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="WARC or ARC files")
    add_data_options(parser)
    parser.add_argument(
        "--story",
        type=Path,
        metavar="STORY.toml",
        help="record the story and judge each article's relevance to it",
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="copy the files into DIR/warc and point there (default: point at them where they are)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="extraction processes (default: one per core; 1 extracts in this process)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=200, metavar="N", help="records per database write"
    )
    parser.add_argument(
        "--progress",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="print progress on standard error this often (0: never; default 5)",
    )
    add_wait_option(parser)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.workers < 1 or args.batch_size < 1:
        raise CliError("--workers and --batch-size must be 1 or more", 2)
    files = _check_files(args.files)
    story = load_story(args.story) if args.story is not None else None
    directory = warc_dir(args.data)
    with data_dir_lock(args.data, "ingest", wait=args.wait):
        engine = writable_database(args.data, args.db)  # refused before any file is copied
        try:
            targets = [_copy_in(p, directory) for p in files] if args.copy else None
            pairs = (
                [(p, p.name) for p in targets]
                if targets is not None
                else [(p, str(p)) for p in files]
            )
            with finish_then_stop(PROG) as stop:
                ingester = Ingester(
                    Repository(engine),
                    warc_dir=directory,
                    story=story,
                    workers=args.workers,
                    batch_size=args.batch_size,
                    progress_interval=args.progress,
                    stop=lambda: stop.requested,
                )
                try:
                    reports = ingest_files(ingester, pairs, out=print)
                finally:
                    ingester.close()
        finally:
            engine.dispose()
    if stop.status is not None:
        sys.stderr.write(f"{PROG}: interrupted; ingest the same files again to go on\n")
        return stop.status
    return 0 if all(r.clean for r in reports) else 1


def _check_files(paths: Sequence[Path]) -> list[Path]:
    """The files as absolute paths; a missing or unreadable one is a usage error."""
    missing = [str(p) for p in paths if not p.is_file() or not os.access(p, os.R_OK)]
    if missing:
        raise CliError(f"no such readable file: {', '.join(missing)}", 2)
    return [p.resolve() for p in paths]


def _copy_in(path: Path, directory: Path) -> Path:
    """`path` copied into `directory` under its own name (kept if an identical copy is there)."""
    target = directory / path.name
    if target.exists():
        if filecmp.cmp(path, target, shallow=False):
            return target
        raise CliError(f"{target} exists and differs from {path}: rename one of them", 2)
    directory.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(path, partial)
    partial.rename(target)
    sys.stderr.write(f"{path}: copied to {target}\n")
    return target
