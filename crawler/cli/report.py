"""`newsarchive report --story NAME -o report.html`: the story's coverage on one page."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import CliError, add_data_options, existing_database
from crawler.report.render import render_report
from crawler.services.report import MOST_EDITED, report_data
from storage.atomic import replacing

PROG = "newsarchive report"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Write one self-contained HTML page about a story: a coverage timeline, "
        "the publishers, syndication clusters, the most edited articles with their changes, and "
        "extraction health per publisher. The page loads nothing from the network.",
    )
    parser.add_argument("--story", required=True, metavar="NAME", help="the story's name")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.html", help="where to write"
    )
    parser.add_argument(
        "--most-edited",
        type=int,
        default=MOST_EDITED,
        metavar="N",
        help=f"articles shown with their changes (default: {MOST_EDITED})",
    )
    add_data_options(parser)
    args = parser.parse_args(argv)
    if args.most_edited < 0:
        parser.error("--most-edited must be 0 or more")

    try:
        with existing_database(args.data, args.db) as engine:
            data = report_data(engine, args.story, most_edited=args.most_edited)
        html = render_report(data)
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            with replacing(args.output) as stream:
                stream.write(html)
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror or exc}", 1) from exc
    except CliError as exc:
        return exc.report(PROG)
    sys.stderr.write(
        f"{PROG}: {args.output}: {len(data.articles)} articles, "
        f"{sum(a.relevant for a in data.articles)} relevant, {len(data.edited)} edited shown\n"
    )
    return 0
