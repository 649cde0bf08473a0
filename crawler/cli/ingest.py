"""`newsarchive ingest FILE.warc.gz... --data DIR`: WARC and ARC files from other crawlers into the
database (docs/ingest.md).

Exit status: 0 every record read, 1 something was skipped (damage in a file, a file that could not
be read on), 2 a usage error (a missing file, a bad story file, a --copy name taken).
"""

from __future__ import annotations

import argparse
import filecmp
import gzip
import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import (
    STORY_RULE,
    CliError,
    CliParser,
    add_data_options,
    add_wait_option,
    is_story_file,
    own_id,
    story_option,
    writable_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.lock import data_dir_lock
from crawler.cli.options import add_extract_options, extract_options
from crawler.core.datadir import warc_dir
from crawler.services.ingest import Ingester, ingest_files
from crawler.stopping import finish_then_stop
from storage.db.repository import Repository
from storage.recompress import gzipped_whole, recompress

PROG = "newsarchive ingest"


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description="Add the response, resource and revisit records of WARC (1.0, 1.1, 0.17, "
        "0.18) and ARC files to the database, their pages extracted as in a crawl (with the "
        "crawl's EXTRACT_* settings). What is wrong with a record that can be read is flagged on "
        "its capture; bytes that hold no record are reported and skipped. Exit status: 0 all "
        "read, 1 something skipped, 2 usage error.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="WARC or ARC files")
    add_data_options(parser)
    parser.add_argument(
        "--story",
        metavar="NAME|FILE",
        help=f"record the story and judge each article's relevance to it; {STORY_RULE}",
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
    add_extract_options(parser)
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
    options, _ = extract_options(args)
    # a story file is read before any work; a story's name once the database is open
    story = story_option(None, args.story) if args.story and is_story_file(args.story) else None
    directory = warc_dir(args.data)
    with data_dir_lock(args.data, "ingest", wait=args.wait):
        data_dir = own_id(args.data)
        engine = writable_database(args.data, args.db)  # refused before any file is copied
        try:
            if args.story and story is None:
                story = story_option(engine, args.story)
            pairs = _targets(files, directory, copy=args.copy)
            with finish_then_stop(PROG) as stop:
                ingester = Ingester(
                    Repository(engine),
                    warc_dir=directory,
                    story=story,
                    options=options,
                    workers=args.workers,
                    batch_size=args.batch_size,
                    progress_interval=args.progress,
                    stop=lambda: stop.requested,
                    data_dir=data_dir,
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


def _targets(files: Sequence[Path], directory: Path, *, copy: bool) -> list[tuple[Path, str]]:
    """Each file to read, with the name its captures record: a recompressed copy of a file
    gzipped whole (with or without --copy: a copy is needed), the copy made by --copy, else the
    file where it is."""
    pairs = []
    for path in files:
        recompressed = _recompressed(path, directory)
        if recompressed is not None:
            pairs.append((recompressed, recompressed.name))
        elif copy:
            pairs.append((_copy_in(path, directory), path.name))
        else:
            pairs.append((path, str(path)))
    return pairs


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


def _recompressed(path: Path, directory: Path) -> Path | None:
    """For a file gzipped whole (no record readable at an offset): its copy with one gzip member
    per record in `directory`, made unless there already (docs/ingest.md); else None."""
    if not gzipped_whole(path):
        return None
    target = directory / (path.name.removesuffix(".open").removesuffix(".bad"))
    if not target.name.endswith((".gz", ".gzip")):
        target = target.with_name(target.name + ".gz")
    if target.exists() and target.resolve() == path.resolve():  # never rewritten in place
        stem, dot, rest = target.name.partition(".")
        target = target.with_name(f"{stem}.records{dot}{rest}")
    if target.exists():
        if _inflated_digest(target) != _inflated_digest(path):
            raise CliError(f"{target} exists and differs from {path}: rename one of them", 2)
        return target
    recompress(path, target)
    sys.stderr.write(
        f"{path}: gzipped whole, so no record can be read at its offset: recompressed record by "
        f"record into {target}, which the captures point at\n"
    )
    return target


def _inflated_digest(path: Path) -> str:
    """SHA-256 of a gzipped file's content once inflated (every member)."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
