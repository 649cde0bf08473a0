"""`newsarchive index`: a CDXJ index of the WARC files, for replay tools (docs/replay.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import CliParser, output_file
from crawler.cli.errors import one_error_path
from crawler.core.datadir import warc_dir
from storage.cdxj import update_index

PROG = "newsarchive index"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Write a sorted CDXJ index of every WARC file in DIR/warc, as pywb and "
        "ReplayWeb.page read it. Only files the previous index does not name are read.",
    )
    parser.add_argument(
        "--data",
        default="data",
        type=Path,
        metavar="DIR",
        help="data directory: WARC files in DIR/warc (default: ./data)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the index file (default: DIR/indexes/index.cdxj)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="read every WARC file again, not only new ones"
    )
    args = parser.parse_args(argv)
    source = warc_dir(args.data)
    output = args.output or args.data / "indexes" / "index.cdxj"
    if not source.is_dir():
        sys.stderr.write(f"{PROG}: no WARC directory {source}: run a crawl first\n")
        return 2
    if args.output is not None:
        output_file(output)
    update = update_index(source, output, rebuild=args.rebuild)
    dropped = f", {len(update.dropped)} gone" if update.dropped else ""
    sys.stderr.write(
        f"{PROG}: {count_warc_files(len(update.indexed))} indexed, {len(update.kept)} unchanged"
        f"{dropped}; {update.lines} lines in {output}\n"
    )
    return 0


def count_warc_files(count: int) -> str:
    """'1 WARC file', '2 WARC files'."""
    return f"{count} WARC file{'' if count == 1 else 's'}"
