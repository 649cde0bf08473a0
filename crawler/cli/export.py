"""`newsarchive export`: the stored articles as JSON Lines, one object per article (or, with
`--all-versions`, per version)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from crawler.cli.common import CliError, add_data_options, existing_database
from storage.db import queries
from storage.db.queries import ExportRow

PROG = "newsarchive export"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write the latest version of each stored article (or every version), one "
        "JSON object per line.",
    )
    add_data_options(parser)
    parser.add_argument("--format", choices=("jsonl",), default="jsonl", help="JSON Lines")
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="where to write ('-', the default, is standard output); a file appears only once "
        "the export is complete",
    )
    parser.add_argument("--story", metavar="NAME", help="only the articles of this story")
    parser.add_argument(
        "--relevant-only", action="store_true", help="only articles judged relevant to a story"
    )
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="one line per version of each article, oldest first, instead of only the latest",
    )
    args = parser.parse_args(argv)
    output = None if args.output == "-" else Path(args.output)
    if output is not None and not output.parent.is_dir():
        sys.stderr.write(f"{PROG}: no such directory: {output.parent}\n")
        return 2

    try:
        with existing_database(args.data, args.db) as engine:
            rows = queries.iter_articles(
                engine,
                args.story,
                relevant_only=args.relevant_only,
                all_versions=args.all_versions,
            )
            count = (
                write_jsonl(rows, sys.stdout) if output is None else write_atomically(rows, output)
            )
    except CliError as exc:
        return exc.report(PROG)
    where = "standard output" if output is None else str(output)
    noun = "version" if args.all_versions else "article"
    sys.stderr.write(f"{PROG}: {count} {noun}{'' if count == 1 else 's'} written to {where}\n")
    return 0


def write_jsonl(rows: Iterable[ExportRow], stream: TextIO) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count


def write_atomically(rows: Iterable[ExportRow], path: Path) -> int:
    """Write to a hidden temporary file beside `path` and rename it into place when complete, so
    an interrupted export leaves `path` as it was."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    # os.open with 0o666 lets the umask decide the permissions, as for any file the user creates.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as stream:
            count = write_jsonl(rows, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count
