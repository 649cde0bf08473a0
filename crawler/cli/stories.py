"""`newsarchive stories`: the stories in a data directory, with their counts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from crawler.cli.common import CliError, CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.cli.history import when
from storage.db.stories import StorySummary, story_summaries

PROG = "newsarchive stories"
HEADER = ("story", "publishers", "articles", "relevant", "versions", "captures", "last crawl")


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="List the stories in the database: publishers watched, articles judged, "
        "relevant ones, their versions, the publishers' captures, and the last crawl.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )
    args = parser.parse_args(argv)
    try:
        with existing_database(args.data, args.db) as engine:
            stories = story_summaries(engine)
    except CliError as exc:
        return exc.report(PROG)
    if args.format == "json":
        json.dump([as_json(s) for s in stories], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(stories))
    return 0


def as_json(story: StorySummary) -> dict[str, Any]:
    document = asdict(story)
    document["last_crawl"] = story.last_crawl.isoformat() if story.last_crawl else None
    return document


def as_text(stories: list[StorySummary]) -> str:
    if not stories:
        return "no stories yet: `newsarchive crawl STORY.toml --data DIR` records one\n"
    rows = [HEADER] + [
        (
            s.name,
            str(s.publishers),
            str(s.articles),
            str(s.relevant),
            str(s.versions),
            str(s.captures),
            _last(s),
        )
        for s in stories
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        cells.append(row[-1])
        lines.append("  ".join(cells).rstrip())
    titles = [f"{s.name}: {s.title}" for s in stories]
    return "\n".join([*lines, "", *titles]) + "\n"


def _last(story: StorySummary) -> str:
    if story.last_crawl is None:
        return "-"
    return f"{when(story.last_crawl)} UTC ({story.last_finish or 'not finished'})"
