"""`newsarchive diff URL`: what changed in an article's title and text between two versions, or
with `--extractions`, between two extractions of one capture (another extractor or options)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from crawler.cli.common import CliError, CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.cli.history import load_history, when
from crawler.versions.diff import VersionDiff, as_json, render, version_diff
from storage.db.queries import (
    ArticleHistory,
    ExtractionRow,
    UnknownCapture,
    UnknownUrl,
    VersionRow,
    capture_extractions,
)

PROG = "newsarchive diff"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Show word by word how an article's title and text changed between two "
        "versions: in colour on a terminal, else as [-removed-]{+added+}.",
    )
    parser.add_argument("url", help="the article's URL, or any URL that redirected to it")
    parser.add_argument(
        "--from",
        dest="old",
        type=int,
        metavar="N",
        help="the older version (default: the one before --to)",
    )
    parser.add_argument(
        "--to", dest="new", type=int, metavar="M", help="the newer version (default: the current)"
    )
    parser.add_argument(
        "--extractions",
        action="store_true",
        help="compare the two most recent extractions of one capture (extractor and options) "
        "instead of two versions",
    )
    parser.add_argument(
        "--capture",
        metavar="ID",
        help="with --extractions: the capture, by id or WARC-Record-ID (default: the article's "
        "latest capture)",
    )
    add_data_options(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the changed words, in colour on a terminal, else marked "
        "[-removed-]{+added+} (default); json: the two versions and their edits as one object",
    )
    args = parser.parse_args(argv)
    if args.capture is not None and not args.extractions:
        parser.error("--capture goes with --extractions")
    if args.extractions:
        if args.old is not None or args.new is not None:
            parser.error("--from and --to choose versions, not extractions")
        return extractions_main(args)

    try:
        history = load_history(args.data, args.db, args.url)
        rows = history.versions
        current = history.current if history.current is not None else rows[-1].number
        new = pick(history, args.new if args.new is not None else current)
        if args.old is None and new is rows[0]:
            why = (
                "has only one version" if len(rows) == 1 else f"has no version before {new.number}"
            )
            sys.stderr.write(f"{PROG}: {history.url} {why}: nothing to compare\n")
            return 0
        old = pick(history, args.old) if args.old is not None else rows[rows.index(new) - 1]
    except CliError as exc:
        return exc.report(PROG)

    changes = version_diff(old.title, old.text, new.title, new.text)
    if args.format == "json":
        json.dump(
            diff_json(history.url, old, new, changes), sys.stdout, indent=2, ensure_ascii=False
        )
        sys.stdout.write("\n")
    else:
        sys.stdout.write(diff_text(history.url, old, new, changes))
    return 0


def pick(history: ArticleHistory, number: int) -> VersionRow:
    """Version `number` of the article, or a `CliError` (2) naming the versions there are."""
    for row in history.versions:
        if row.number == number:
            return row
    numbers = [row.number for row in history.versions]
    first, last = min(numbers), max(numbers)
    have = f"only version {first}" if first == last else f"versions {first} to {last}"
    raise CliError(f"{history.url} has no version {number} (it has {have})", 2)


def diff_text(url: str, old: VersionRow, new: VersionRow, changes: VersionDiff) -> str:
    """A header naming the two versions and the word counts, then the title and the text with
    their changes marked (in colour when standard output is a terminal)."""
    header = (
        f"version {old.number} (first seen {when(old.first_seen)} UTC) → "
        f"version {new.number} (first seen {when(new.first_seen)} UTC)"
    )
    return "\n".join([url, *_changes_lines(header, new.title, changes)]) + "\n"


def _changes_lines(header: str | None, new_title: str | None, changes: VersionDiff) -> list[str]:
    """`header: N words added, M removed`, then the title and the text with their changes."""
    added, removed = changes.words_added, changes.words_removed
    counts = f"{added} word{'' if added == 1 else 's'} added, {removed} removed"
    lines = [
        f"{header}: {counts}" if header else counts,
        "",
        "title: " + render(changes.title, sys.stdout)
        if changes.title.changed
        else f"title (unchanged): {new_title}",
        "text:" + ("" if changes.text.changed else " unchanged"),
    ]
    if changes.text.changed:
        lines.append(render(changes.text, sys.stdout))
    return lines


def diff_json(url: str, old: VersionRow, new: VersionRow, changes: VersionDiff) -> dict[str, Any]:
    """The shape documented in docs/versions.md."""
    return {
        "url": url,
        "from": _version(old),
        "to": _version(new),
        "title": as_json(changes.title),
        "text": as_json(changes.text),
    }


def _version(row: VersionRow) -> dict[str, Any]:
    return {
        "version": row.number,
        "first_seen": row.first_seen.isoformat(),
        "last_seen": row.last_seen.isoformat(),
        "text_sha256": row.text_sha256,
    }


def extractions_main(args: argparse.Namespace) -> int:
    """`--extractions`: the two most recent extractions of one capture, word by word."""
    try:
        with existing_database(args.data, args.db) as engine:
            try:
                found = capture_extractions(engine, args.url, args.capture)
            except (UnknownUrl, UnknownCapture) as exc:
                raise CliError(str(exc), 2) from exc
    except CliError as exc:
        return exc.report(PROG)
    if len(found.extractions) < 2:
        sys.stderr.write(
            f"{PROG}: capture {found.capture_id} has only one recorded extraction: "
            "nothing to compare (run `newsarchive reextract` with other options first)\n"
        )
        return 0
    new, old = found.extractions[:2]
    changes = version_diff(old.title, old.text or "", new.title, new.text or "")
    if args.format == "json":
        document = {
            "url": found.url,
            "capture": {
                "id": found.capture_id,
                "warc_record_id": found.warc_record_id,
                "fetched_at": found.fetched_at.isoformat(),
            },
            "from": _extraction(old),
            "to": _extraction(new),
            "title": as_json(changes.title),
            "text": as_json(changes.text),
        }
        json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    lines = [
        found.url,
        f"capture {found.capture_id} {found.warc_record_id} (fetched {when(found.fetched_at)} UTC)",
        f"from: {_described(old)}",
        f"to:   {_described(new)}",
        *_changes_lines(None, new.title, changes),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _described(row: ExtractionRow) -> str:
    made = f"{row.extractor}, options {row.options_digest}, extracted {when(row.extracted_at)} UTC"
    if row.version is None:
        return f"{made}: not an article ({row.reason})"
    return f"{made}: version {row.version}"


def _extraction(row: ExtractionRow) -> dict[str, Any]:
    return {
        "extractor": row.extractor,
        "options_digest": row.options_digest,
        "extracted_at": row.extracted_at.isoformat(),
        "version": row.version,
        "reason": row.reason,
    }
