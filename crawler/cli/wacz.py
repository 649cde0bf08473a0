"""`newsarchive wacz`: one story's archive as a WACZ file, for ReplayWeb.page and pywb
(docs/replay.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from crawler import __version__
from crawler.cli.common import CliError, CliParser, add_data_options, existing_database, output_file
from crawler.cli.errors import one_error_path
from crawler.cli.index import count_warc_files
from crawler.core.datadir import warc_dir
from storage.db.replay import StoryFiles, story_files
from storage.wacz import PageCapture, write_wacz
from storage.warc import OPEN_SUFFIX

PROG = "newsarchive wacz"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Package a story's WARC files, their index and its articles as a WACZ file.",
    )
    add_data_options(parser)
    parser.add_argument("--story", required=True, metavar="NAME", help="the story to package")
    parser.add_argument(
        "-o", "--output", required=True, type=Path, metavar="FILE", help="the WACZ file to write"
    )
    parser.add_argument(
        "--relevant-only",
        action="store_true",
        help="list only the articles judged relevant as pages (the WARC files are the same)",
    )
    parser.add_argument(
        "--include-noarchive",
        action="store_true",
        help="also the captures of pages that asked not to be archived and were flagged for it "
        "(left out of the package by default, docs/archive.md)",
    )
    args = parser.parse_args(argv)
    output_file(args.output)
    try:
        with existing_database(args.data, args.db) as engine:
            files = story_files(
                engine,
                args.story,
                relevant_only=args.relevant_only,
                include_noarchive=args.include_noarchive,
            )
        paths = warc_paths(files, warc_dir(args.data))
        leave_out: dict[Path, list[tuple[int, int]]] = {}
        for name, offset, length in files.noarchive:
            leave_out.setdefault(paths[name], []).append((offset, length))
        summary = write_wacz(
            args.output,
            list(paths.values()),
            (PageCapture(paths[p.warc_filename], p.warc_offset, p.title) for p in files.pages),
            title=files.title,
            description=f"newsarchive story {files.name!r}",
            software=f"newsarchive {__version__}",
            leave_out=leave_out,
        )
    except CliError as exc:
        return exc.report(PROG)
    sys.stderr.write(
        f"{PROG}: {count_warc_files(len(summary.warcs))}, {summary.index_lines} index lines, "
        f"{summary.pages} pages written to {args.output} ({summary.bytes} bytes)\n"
    )
    for count, text in (
        (files.articles_without_capture, "articles without an archived capture, not listed"),
        (summary.unindexed_pages, "article captures that are not replayable records, not listed"),
        (files.unresolved_revisits, "revisits whose original is not in the database"),
        (len(files.noarchive), "captures flagged noarchive, left out (--include-noarchive)"),
    ):
        if count:
            sys.stderr.write(f"{PROG}: warning: {text}: {count}\n")
    return 0


def warc_paths(files: StoryFiles, directory: Path) -> dict[str, Path]:
    """Each WARC file name the captures record, as a path: names are inside `directory`,
    absolute paths stay as they are. A missing file, or one still being written, is a
    `CliError` (1): the package would not hold what the database says was archived."""
    if not files.warc_filenames:
        raise CliError(f"story {files.name!r} has no archived captures", 2)
    paths = {name: directory / name for name in files.warc_filenames}
    open_files = [
        name
        for name, path in paths.items()
        if not path.exists() and path.with_name(path.name + OPEN_SUFFIX).exists()
    ]
    if open_files:
        raise CliError(f"still being written (a crawl is running?): {', '.join(open_files)}", 1)
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise CliError(
            f"{len(missing)} WARC files are missing from {directory}: {', '.join(missing)}", 1
        )
    return paths
