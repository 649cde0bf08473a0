"""`newsarchive export`: the stored articles as JSON Lines, CSV or Parquet, one row per article
(or, with `--all-versions`, per version)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crawler.cli.common import CliError, add_data_options, add_filter_options, existing_database
from storage import export as formats
from storage.atomic import replacing
from storage.db import queries
from storage.db.queries import ArticleFilter, ExportRow

PROG = "newsarchive export"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the latest version of each stored article (or every version) as JSON "
        "Lines, CSV or Parquet.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--format",
        choices=formats.FORMATS,
        default="jsonl",
        help="jsonl (default): one JSON object per line; csv: RFC 4180 with a header row; "
        "parquet: typed columns (needs -o)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="where to write ('-', the default, is standard output); a file appears only once "
        "the export is complete",
    )
    add_filter_options(parser)
    parser.add_argument(
        "--relevant-only", action="store_true", help="only articles judged relevant to a story"
    )
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="one row per version of each article, oldest first, instead of only the latest",
    )
    args = parser.parse_args(argv)
    output = None if args.output == "-" else Path(args.output)
    if output is not None and not output.parent.is_dir():
        sys.stderr.write(f"{PROG}: no such directory: {output.parent}\n")
        return 2
    if output is None and args.format == "parquet":
        sys.stderr.write(f"{PROG}: --format parquet needs -o FILE\n")
        return 2
    filters = ArticleFilter(
        story=args.story,
        publishers=tuple(args.publisher),
        since=args.since,
        until=args.until,
        relevant_only=args.relevant_only,
    )

    try:
        with existing_database(args.data, args.db) as engine:
            rows = queries.article_rows(engine, filters, all_versions=args.all_versions)
            if output is None:
                count = write(args.format, rows, sys.stdout)
            else:
                count = write_atomically(args.format, rows, output)
    except CliError as exc:
        return exc.report(PROG)
    where = "standard output" if output is None else str(output)
    noun = "version" if args.all_versions else "article"
    sys.stderr.write(f"{PROG}: {count} {noun}{'' if count == 1 else 's'} written to {where}\n")
    return 0


def write(fmt: str, rows: Iterable[ExportRow], stream: Any) -> int:
    """Write `rows` in format `fmt` to `stream`: a text stream for jsonl and csv (opened with
    `newline=""` for csv), a binary one for parquet."""
    if fmt == "jsonl":
        return formats.write_jsonl(rows, stream)
    if fmt == "csv":
        return formats.write_csv(rows, stream)
    return formats.write_parquet(rows, stream)


_OPEN: dict[str, dict[str, str]] = {
    "jsonl": {"mode": "w", "newline": "\n"},
    "csv": {"mode": "w", "newline": ""},
    "parquet": {"mode": "wb"},
}


def write_atomically(fmt: str, rows: Iterable[ExportRow], path: Path) -> int:
    """Write to a hidden temporary file beside `path` and rename it into place when complete, so
    an interrupted export leaves `path` as it was."""
    with replacing(path, **_OPEN[fmt]) as stream:
        return write(fmt, rows, stream)
