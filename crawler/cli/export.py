"""`newsarchive export`: the stored articles as JSON Lines, CSV or Parquet, one row per article
(or, with `--all-versions`, per version)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_filter_options,
    existing_database,
    output_file,
    writing_to,
)
from crawler.cli.errors import one_error_path
from storage import export as formats
from storage.atomic import replacing
from storage.db import queries
from storage.db.queries import ArticleFilter, ExportRow

PROG = "newsarchive export"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Write the latest version of each stored article (or every version) as JSON "
        "Lines, CSV or Parquet.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--format",
        choices=formats.FORMATS,
        default=None,
        help="jsonl: one JSON object per line; csv: RFC 4180 with a header row; parquet: typed "
        "columns (needs -o). Default: from -o's suffix (.jsonl, .ndjson, .csv, .parquet), else "
        "jsonl",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="where to write ('-', the default, is standard output); a file appears only once "
        "the export is complete",
    )
    parser.add_argument(
        "--csv-raw",
        action="store_true",
        help="CSV: write cells as stored, even those a spreadsheet would run as a formula "
        "(starting with =, +, -, @, tab or CR; by default they get a leading ')",
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
    parser.add_argument(
        "--include-noarchive",
        action="store_true",
        help="also the versions of pages that asked not to be archived (X-Robots-Tag or meta "
        "robots noarchive) and were flagged for it, left out by default (docs/archive.md)",
    )
    args = parser.parse_args(argv)
    output = None if args.output == "-" else output_file(Path(args.output))
    fmt = output_format(args.format, output)
    if args.csv_raw and fmt != "csv":
        raise CliError(f"--csv-raw is for CSV, and this export is {fmt}", 2)
    if output is None and fmt == "parquet":
        sys.stderr.write(f"{PROG}: --format parquet needs -o FILE\n")
        return 2
    filters = ArticleFilter(
        story=args.story,
        publishers=tuple(args.publisher),
        since=args.since,
        until=args.until,
        relevant_only=args.relevant_only,
        include_noarchive=args.include_noarchive,
    )

    try:
        with existing_database(args.data, args.db) as engine:
            rows = queries.article_rows(engine, filters, all_versions=args.all_versions)
            if output is None:
                count = write(fmt, rows, sys.stdout, csv_raw=args.csv_raw)
            else:
                count = write_atomically(fmt, rows, output, csv_raw=args.csv_raw)
    except CliError as exc:
        return exc.report(PROG)
    where = "standard output" if output is None else str(output)
    noun = "version" if args.all_versions else "article"
    sys.stderr.write(f"{PROG}: {count} {noun}{'' if count == 1 else 's'} written to {where}\n")
    return 0


SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
"""The format a file name's suffix stands for."""
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".br")


def output_format(fmt: str | None, output: Path | None) -> str:
    """The export's format: `--format` if given, else the one `-o`'s suffix names, else jsonl.
    A `--format` that contradicts the suffix, a suffix that names no format, or one of a
    compressed file (which the export would not compress) is a `CliError` (2)."""
    if output is None:
        return fmt or "jsonl"
    suffix = output.suffix.lower()
    if suffix in COMPRESSED:
        raise CliError(
            f"-o {output.name}: the export is not compressed; write to standard output and "
            f"compress that, e.g. `newsarchive export … | gzip > {output.name}`",
            2,
        )
    named = SUFFIXES.get(suffix)
    if fmt is None:
        if named is None and suffix:
            raise CliError(
                f"-o {output.name}: {suffix} is none of the export's formats' suffixes "
                f"({', '.join(SUFFIXES)}): give --format to write that file anyway",
                2,
            )
        return named or "jsonl"
    if named is not None and named != fmt:
        raise CliError(f"--format {fmt} does not match -o {output.name}: change one of them", 2)
    return fmt


def write(fmt: str, rows: Iterable[ExportRow], stream: Any, *, csv_raw: bool = False) -> int:
    """Write `rows` in format `fmt` to `stream`: a text stream for jsonl and csv (opened with
    `newline=""` for csv), a binary one for parquet."""
    if fmt == "jsonl":
        return formats.write_jsonl(rows, stream)
    if fmt == "csv":
        return formats.write_csv(rows, stream, raw=csv_raw)
    return formats.write_parquet(rows, stream)


_OPEN: dict[str, dict[str, str]] = {
    "jsonl": {"mode": "w", "newline": "\n"},
    "csv": {"mode": "w", "newline": ""},
    "parquet": {"mode": "wb"},
}


def write_atomically(
    fmt: str, rows: Iterable[ExportRow], path: Path, *, csv_raw: bool = False
) -> int:
    """Write to a hidden temporary file beside `path` and rename it into place when complete, so
    an interrupted export leaves `path` as it was."""
    with writing_to(path), replacing(path, **_OPEN[fmt]) as stream:
        return write(fmt, rows, stream, csv_raw=csv_raw)
