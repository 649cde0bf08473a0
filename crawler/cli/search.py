"""`newsarchive search QUERY`: full-text search over every version of every article, and the
edits that added or removed a match (docs/search.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from crawler.cli.common import (
    CliError,
    CliParser,
    add_data_options,
    add_filter_options,
    existing_database,
)
from crawler.cli.errors import one_error_path
from crawler.cli.history import when
from crawler.core.search import QueryError, parse
from crawler.services.search import Change, ChangeKind, changes
from crawler.versions.diff import use_colour
from crawler.versions.passages import unmark
from storage.db.queries import ArticleFilter
from storage.db.search import MARK_END, MARK_START, Hit, SearchResult, search

PROG = "newsarchive search"
BOLD_YELLOW = "\x1b[1;33m"
RESET = "\x1b[0m"


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Search the title and text of the archived articles: their current "
        "versions, every version, or the edits that added or removed a match.",
        epilog='Query syntax: words (all of them), "a phrase", prefix*, AND, OR, NOT and '
        "(parentheses), e.g. 'cecot OR \"terrorism confinement\" NOT bitcoin'. Case does not "
        "matter; see docs/search.md.",
    )
    parser.add_argument("query", help="what to search for (quote it for the shell)")
    add_data_options(parser)
    add_filter_options(
        parser,
        dates="; with --added/--removed: edits first seen {which} this day",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--all-versions",
        action="store_true",
        help="every matching version, not only each article's current one",
    )
    scope.add_argument(
        "--added",
        action="store_true",
        help="the edits that added a match: versions that match where the one before did not, "
        "or whose new text holds a match",
    )
    scope.add_argument(
        "--removed",
        action="store_true",
        help="the edits that removed a match, and when (between which captures)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=50,
        metavar="N",
        help="show at most N hits, best first (default 50; 0: all); not for --added/--removed",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )
    args = parser.parse_args(argv)
    if args.limit < 0:
        parser.error("--limit must be 0 (all) or more")
    try:
        query = parse(args.query)
    except QueryError as exc:
        return CliError(f"bad query: {exc}", 2).report(PROG)
    filters = ArticleFilter(
        story=args.story, publishers=tuple(args.publisher), since=args.since, until=args.until
    )
    try:
        with existing_database(args.data, args.db) as engine:
            if args.added or args.removed:
                kind: ChangeKind = "added" if args.added else "removed"
                found = changes(engine, query, kind, filters)
            else:
                result = search(
                    engine, query, filters, all_versions=args.all_versions, limit=args.limit or None
                )
    except CliError as exc:
        return exc.report(PROG)
    colour = args.format == "text" and use_colour(sys.stdout)
    if args.added or args.removed:
        if args.format == "json":
            _dump([change_json(c) for c in found])
        else:
            sys.stdout.write(changes_text(args.query, kind, found, colour))
        return 0
    if args.format == "json":
        _dump(result_json(args.query, result, args.all_versions))
    else:
        sys.stdout.write(result_text(args.query, result, args.all_versions, colour))
    return 0


def marked(text: str, colour: bool) -> str:
    """Matches in colour on a terminal, else between [ and ]."""
    start, end = (BOLD_YELLOW, RESET) if colour else ("[", "]")
    return text.replace(MARK_START, start).replace(MARK_END, end)


def result_text(query: str, result: SearchResult, all_versions: bool, colour: bool) -> str:
    what = "versions" if all_versions else "articles (current versions)"
    lines = [f"{result.total} {what} match {query!r}"]
    if len(result.hits) < result.total:
        lines[0] += f"; the best {len(result.hits)} (--limit to see more)"
    for hit in result.hits:
        state = "current" if hit.current else "not current"
        lines += [
            "",
            f"{hit.title or '(no title)'} — {hit.publisher or '(no publisher)'}",
            f"  {hit.url}",
            f"  version {hit.number} ({state}), first seen {when(hit.first_seen)} UTC, "
            f"last seen {when(hit.last_seen)} UTC",
            f"  {marked(' '.join(hit.snippet.split()), colour)}",
        ]
    return "\n".join(lines) + "\n"


def changes_text(query: str, kind: str, found: list[Change], colour: bool) -> str:
    edits = "edit" if len(found) == 1 else "edits"
    lines = [f"{len(found)} {edits} {kind} a match for {query!r}"]
    sign = "+" if kind == "added" else "-"
    for change in found:
        with_it, without = ("without", "with") if kind == "added" else ("with", "without")
        lines += [
            "",
            f"{change.title or '(no title)'} — {change.publisher or '(no publisher)'}",
            f"  {change.url}",
            f"  version {change.previous} → {change.version}: {kind} between "
            f"{when(change.previous_last_seen)} UTC (last seen {with_it} it) and "
            f"{when(change.first_seen)} UTC (first seen {without} it)",
        ]
        lines += [f"  {sign} {marked(passage, colour)}" for passage in change.passages]
    return "\n".join(lines) + "\n"


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "url": hit.url,
        "publisher": hit.publisher,
        "title": hit.title,
        "version": hit.number,
        "current": hit.current,
        "first_seen": hit.first_seen.isoformat(),
        "last_seen": hit.last_seen.isoformat(),
        "published": hit.published.isoformat() if hit.published else None,
        "score": round(hit.score, 6),
        **_text_and_highlights(hit.snippet, "snippet"),
    }


def result_json(query: str, result: SearchResult, all_versions: bool) -> dict[str, Any]:
    return {
        "query": query,
        "all_versions": all_versions,
        "total": result.total,
        "hits": [hit_json(hit) for hit in result.hits],
    }


def change_json(change: Change) -> dict[str, Any]:
    return {
        "change": change.kind,
        "url": change.url,
        "publisher": change.publisher,
        "title": change.title,
        "from_version": change.previous,
        "to_version": change.version,
        "after": change.previous_last_seen.isoformat(),
        "before": change.first_seen.isoformat(),
        "passages": [_text_and_highlights(passage, "text") for passage in change.passages],
    }


def _text_and_highlights(text: str, key: str) -> dict[str, Any]:
    """{key: the text without marks, "highlights": [[start, end], …] of its matches}."""
    found = unmark(text, MARK_START, MARK_END)
    return {key: found.text, "highlights": [list(span) for span in found.spans]}


def _dump(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
