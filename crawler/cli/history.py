"""`newsarchive history URL`: the versions of one article, and how much each one changed."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from crawler.cli.common import CliError, CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.versions.diff import word_diff
from storage.db import queries
from storage.db.queries import ArticleHistory, CaptureRow, UnknownUrl, VersionRow

PROG = "newsarchive history"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="List the versions of an article: when each was first and last seen, "
        "how many words it added and removed, and what kind of edit it was.",
    )
    parser.add_argument("url", help="the article's URL, or any URL that redirected to it")
    add_data_options(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: an aligned table, a line per version (default); "
        "json: a list, an object per version",
    )
    parser.add_argument(
        "--captures",
        action="store_true",
        help="list every capture of the article instead: its status, access (open or the wall "
        "it showed), noarchive flag, the version it made or why none, and its WARC record",
    )
    args = parser.parse_args(argv)
    if args.captures:
        return _captures(args.data, args.db, args.url, args.format)

    try:
        history = load_history(args.data, args.db, args.url)
    except CliError as exc:
        return exc.report(PROG)
    rows = history.versions
    changes = [None, *(change_counts(old, new) for old, new in pairwise(rows))]
    if args.format == "json":
        json.dump(
            [as_json(row, counts, history) for row, counts in zip(rows, changes, strict=True)],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(history, changes))
    return 0


def load_history(data: Path, db: str | None, url: str) -> ArticleHistory:
    """The versions of the article at `url`; a `CliError` (2) when there are none."""
    with existing_database(data, db) as engine:
        try:
            history = queries.versions(engine, url)
        except UnknownUrl as exc:
            raise CliError(str(exc), 2) from exc
    if not history.versions:
        raise CliError(f"{history.url} is in the database, but not as an article", 2)
    return history


def change_counts(old: VersionRow, new: VersionRow) -> tuple[int, int]:
    """(words added, words removed) from `old` to `new`, title and text together."""
    title = word_diff(old.title or "", new.title or "")
    text = word_diff(old.text, new.text)
    return title.words_added + text.words_added, title.words_removed + text.words_removed


def as_json(
    row: VersionRow, counts: tuple[int, int] | None, history: ArticleHistory
) -> dict[str, Any]:
    """One version as documented in docs/versions.md: word counts are null for version 1, and
    every version carries the article's deleted state, as in `export --all-versions`."""
    return {
        "version": row.number,
        "first_seen": row.first_seen.isoformat(),
        "last_seen": row.last_seen.isoformat(),
        "words_added": None if counts is None else counts[0],
        "words_removed": None if counts is None else counts[1],
        "title": row.title,
        "text_sha256": row.text_sha256,
        "extractor": row.extractor,
        "captured_at": _iso(row.captured_at),
        "warc_filename": row.warc_filename,
        "warc_offset": row.warc_offset,
        "warc_record_id": row.warc_record_id,
        "via": row.via,
        "change_kinds": row.change_kinds,
        "stealth": row.stealth,
        "deleted": history.deleted,
        "deleted_at": _iso(history.deleted_at),
    }


def as_text(history: ArticleHistory, changes: Sequence[tuple[int, int] | None]) -> str:
    """The article's URL, an aligned table of its versions, and a last line if it was deleted."""
    rows = history.versions
    table = [
        (
            "version",
            "first seen (UTC)",
            "last seen (UTC)",
            "via",
            "added",
            "removed",
            "kinds",
            "title",
        )
    ]
    for row, counts in zip(rows, changes, strict=True):
        added, removed = ("", "") if counts is None else (f"+{counts[0]}", f"-{counts[1]}")
        table.append(
            (
                str(row.number),
                when(row.first_seen),
                when(row.last_seen),
                row.via or "-",
                added,
                removed,
                kinds_text(row.change_kinds, row.stealth),
                row.title or "-",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    lines = [history.url]
    for line in table:
        version, first, last, via, added, removed, kinds, title = line
        cells = [
            version.rjust(widths[0]),
            first.ljust(widths[1]),
            last.ljust(widths[2]),
            via.ljust(widths[3]),
            added.rjust(widths[4]),
            removed.rjust(widths[5]),
            kinds.ljust(widths[6]),
            title,
        ]
        lines.append("  ".join(cells))
    if history.deleted_at is not None:
        lines.append(f"deleted: found gone (404 or 410) at {when(history.deleted_at)} UTC")
    return "\n".join(lines) + "\n"


def kinds_text(kinds: Sequence[str] | None, stealth: bool | None) -> str:
    """A version's edit kinds for people: 'substantive,removal (stealth)'; '-' for none."""
    if not kinds:
        return "-"
    return ",".join(kinds) + (" (stealth)" if stealth else "")


def _captures(data: Path, db: str | None, url: str, fmt: str) -> int:
    with existing_database(data, db) as engine:
        try:
            article_url, rows = queries.captures(engine, url)
        except UnknownUrl as exc:
            raise CliError(str(exc), 2) from exc
    if fmt == "json":
        json.dump([capture_json(row) for row in rows], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(captures_text(article_url, rows))
    return 0


def capture_json(row: CaptureRow) -> dict[str, Any]:
    """One capture as documented in docs/versions.md#captures."""
    return {
        "captured_at": row.captured_at.isoformat(),
        "url": row.url,
        "status": row.status,
        "record_type": row.record_type,
        "access": row.access,
        "access_reason": row.access_reason,
        "noarchive": row.noarchive,
        "rights": row.rights,
        "version": row.version,
        "why": row.why,
        "warc_filename": row.warc_filename,
        "warc_offset": row.warc_offset,
        "warc_record_id": row.warc_record_id,
    }


def captures_text(url: str, rows: Sequence[CaptureRow]) -> str:
    """The article's URL and an aligned table of its captures."""
    table = [("captured (UTC)", "status", "access", "noarchive", "version", "WARC file", "offset")]
    for row in rows:
        table.append(
            (
                when(row.captured_at),
                str(row.status) + (" revisit" if row.record_type == "revisit" else ""),
                row.access or "-",
                "noarchive" if row.noarchive else "-",
                str(row.version) if row.version is not None else f"none: {row.why or '-'}",
                row.warc_filename,
                str(row.warc_offset),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [url]
    for line in table:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def when(moment: datetime) -> str:
    """A stored time (UTC) to the second, for people."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
