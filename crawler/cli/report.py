"""`newsarchive report --story NAME -o report.html`: the story's coverage on one page."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    existing_database,
    output_file,
    writing_to,
)
from crawler.cli.errors import one_error_path
from crawler.report.links import DEFAULT_REPLAY, ReplayLinks, check_template
from crawler.report.render import render_report
from crawler.services.report import MOST_EDITED, report_data
from storage.atomic import replacing

PROG = "newsarchive report"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Write one self-contained HTML page about a story: a coverage timeline, "
        "the publishers, syndication clusters, the most edited articles with their changes, what "
        "changed (edits by kind, stealth edits first, walled and noarchive captures), and "
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
    parser.add_argument(
        "--replay",
        default=DEFAULT_REPLAY,
        metavar="TEMPLATE",
        help="where the links to articles go: their archived copy, by a URL template with "
        "{url} (percent-encoded), {raw_url} and {timestamp} (default: newsarchive serve's "
        f"replay, {DEFAULT_REPLAY}; pywb: http://127.0.0.1:8080/COLLECTION/{{timestamp}}/"
        "{raw_url}); see docs/report.md",
    )
    parser.add_argument(
        "--include-noarchive",
        action="store_true",
        help="also the articles of pages that asked not to be archived and were flagged for it "
        "(left out by default, docs/archive.md)",
    )
    add_data_options(parser)
    args = parser.parse_args(argv)
    if args.most_edited < 0:
        parser.error("--most-edited must be 0 or more")
    try:
        links = ReplayLinks(check_template(args.replay))
    except ValueError as exc:
        raise CliError(f"--replay: {exc}", 2) from None

    output_file(args.output)
    try:
        with existing_database(args.data, args.db) as engine:
            data = report_data(
                engine,
                args.story,
                most_edited=args.most_edited,
                include_noarchive=args.include_noarchive,
            )
        html = render_report(data, links)
        with writing_to(args.output), replacing(args.output) as stream:
            stream.write(html)
    except CliError as exc:
        return exc.report(PROG)
    sys.stderr.write(
        f"{PROG}: {args.output}: {len(data.articles)} articles, "
        f"{sum(a.relevant for a in data.articles)} relevant, {len(data.edited)} edited shown\n"
    )
    return 0
