"""`newsarchive edits --story NAME`: the edits of a story's articles across its publishers, newest
first, each with its kinds (headline, lede, correction, update, removal, byline, dateline,
substantive) and whether it was a stealth edit (docs/versions.md#edit-kinds)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from crawler.cli.common import CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.cli.history import kinds_text, when
from crawler.core.versioning import KINDS
from storage.db import queries
from storage.db.queries import EditRow

PROG = "newsarchive edits"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="List the edits of a story's articles across its publishers, newest first: "
        "each new version with its kinds and whether readers were told (stealth: a rewording "
        "or removal with no correction or update notice).",
    )
    parser.add_argument("--story", metavar="NAME", required=True, help="the story")
    parser.add_argument(
        "--kind", choices=KINDS, help="only the edits of this kind (e.g. correction, removal)"
    )
    add_data_options(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a table for people (default); json: a list of objects, one per edit",
    )
    args = parser.parse_args(argv)
    with existing_database(args.data, args.db) as engine:
        rows = queries.edits(engine, args.story, args.kind)
    if args.format == "json":
        json.dump([edit_json(row) for row in rows], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(edits_text(rows))
    return 0


def edit_json(row: EditRow) -> dict[str, Any]:
    return {
        "url": row.url,
        "publisher": row.publisher,
        "version": row.version,
        "first_seen": row.first_seen.isoformat(),
        "title": row.title,
        "change_kinds": row.change_kinds,
        "stealth": row.stealth,
        "warc_record_id": row.warc_record_id,
    }


def edits_text(rows: Sequence[EditRow]) -> str:
    """One line per edit: when, kinds, version, publisher, URL; a last line counting them."""
    table = [("seen (UTC)", "kinds", "version", "publisher", "url")]
    for row in rows:
        table.append(
            (
                when(row.first_seen),
                kinds_text(row.change_kinds, row.stealth),
                str(row.version),
                row.publisher or "-",
                row.url,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    stealthy = sum(row.stealth for row in rows)
    lines.append(f"{len(rows)} edit{'' if len(rows) == 1 else 's'}, {stealthy} stealth")
    return "\n".join(lines) + "\n"
