"""`newsarchive status`: what the archive holds, per publisher and in total."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from crawler.cli.common import CliError, add_data_options, existing_database, warc_dir
from storage.db import queries
from storage.db.queries import Counts, StatusReport

PROG = "newsarchive status"
COLUMNS = ("captures", "articles", "relevant", "WARC files", "WARC size")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Counts of captures, articles and WARC files, per publisher."
    )
    add_data_options(parser)
    parser.add_argument(
        "--story", metavar="NAME", help="only the publishers and articles of this story"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)

    try:
        with existing_database(args.data, args.db) as engine:
            report = queries.status(engine, args.story, warc_dir=warc_dir(args.data))
    except CliError as exc:
        return exc.report(PROG)

    if args.format == "json":
        json.dump(as_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(report, warc_dir(args.data).as_posix()))
    return 0


def as_json(report: StatusReport) -> dict[str, Any]:
    return {
        "story": report.story,
        "publishers": [
            {"publisher": row.publisher, "host": row.host, **asdict(row.counts)}
            for row in report.publishers
        ],
        "total": asdict(report.total),
        "missing_warc_files": list(report.missing_warc_files),
    }


def as_text(report: StatusReport, warc_location: str) -> str:
    """An aligned table: one line per publisher, then the total."""
    table: list[tuple[str, ...]] = [("publisher", "host", *COLUMNS)]
    table += [(r.publisher, r.host or "-", *_cells(r.counts)) for r in report.publishers]
    table.append(("total", "", *_cells(report.total)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    if report.story is not None:
        lines.append(f"story: {report.story}")
    for row in table:
        left = [cell.ljust(width) for cell, width in zip(row[:2], widths[:2], strict=True)]
        right = [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(left + right).rstrip())
    missing = report.missing_warc_files
    if missing:
        files = "file is" if len(missing) == 1 else "files are"
        lines.append("")
        lines.append(
            f"{len(missing)} WARC {files} missing from {warc_location}: {', '.join(missing)}"
        )
    return "\n".join(lines) + "\n"


def _cells(counts: Counts) -> tuple[str, ...]:
    return (
        str(counts.captures),
        str(counts.articles),
        str(counts.relevant),
        str(counts.warc_files),
        human_size(counts.warc_bytes),
    )


def human_size(size: int) -> str:
    """Bytes in decimal units: '950 B', '1.2 kB', '3.4 GB'."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} TB"
