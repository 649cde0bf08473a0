"""`newsarchive clusters`: bring the syndication clusters up to date and list them."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from crawler import settings
from crawler.cli.common import CliError, CliParser, add_data_options, existing_database
from crawler.cli.errors import one_error_path
from crawler.clustering.signatures import ClusterOptions
from crawler.core.clusters import Cluster
from crawler.services.clusters import ClusterUpdate, update_clusters
from storage.db import queries

PROG = "newsarchive clusters"


def _threshold(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1]: {value}")
    return number


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = CliParser(
        prog=PROG,
        description="Group copies of the same text across publishers (syndication, wire "
        "stories) and list the groups with their publishers and dates.",
    )
    add_data_options(parser)
    parser.add_argument(
        "--story", metavar="NAME", help="only clusters holding an article of this story"
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=settings.CLUSTER_THRESHOLD,
        help="estimated Jaccard similarity of word shingles at or above which two texts are "
        f"copies (default {settings.CLUSTER_THRESHOLD}, as CLUSTER_THRESHOLD); a new "
        "threshold recomputes every cluster",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="recompute every signature and cluster instead of only what new articles change",
    )
    parser.add_argument(
        "--singletons", action="store_true", help="list articles that are alone, too"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: an aligned table, a line per article, clusters in turn (default); "
        "json: one object with every cluster and its members",
    )
    args = parser.parse_args(argv)
    options = ClusterOptions(threshold=args.threshold)

    try:
        with existing_database(args.data, args.db) as engine:
            if args.story is not None:
                queries.clusters(engine, args.story)  # an unknown story fails before any work
            update = update_clusters(engine, options, rebuild=args.rebuild)
            found = queries.clusters(engine, args.story, singletons=args.singletons)
    except CliError as exc:
        return exc.report(PROG)

    if args.format == "json":
        json.dump(as_json(found, args.story, options), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(found))
    sys.stderr.write(summary(update, found, options))
    return 0


def summary(update: ClusterUpdate, found: Sequence[Cluster], options: ClusterOptions) -> str:
    how = "rebuilt" if update.rebuilt else "updated"
    plural = "" if len(found) == 1 else "s"
    return (
        f"{PROG}: {how}: {update.signed} articles signed, {update.changed} reassigned; "
        f"{len(found)} cluster{plural} listed (threshold {options.threshold:g}, "
        f"{options.shingle_words}-word shingles)\n"
    )


def as_json(found: Sequence[Cluster], story: str | None, options: ClusterOptions) -> dict[str, Any]:
    return {
        "story": story,
        "threshold": options.threshold,
        "shingle_words": options.shingle_words,
        "clusters": [
            {
                "cluster_id": cluster.cluster_id,
                "size": len(cluster.members),
                "members": [
                    {
                        "url": member.url,
                        "publisher": member.publisher,
                        "title": member.title,
                        "published": member.published and member.published.isoformat(),
                        "first_captured": member.first_captured.isoformat(),
                        "is_original": member.is_original,
                    }
                    for member in cluster.members
                ],
            }
            for cluster in found
        ],
    }


def as_text(found: Sequence[Cluster]) -> str:
    """An aligned table: one line per article, its cluster's id and size on the first, the
    original marked with `*`."""
    table: list[tuple[str, ...]] = [
        ("cluster", "size", "original", "published", "publisher", "url")
    ]
    for cluster in found:
        for index, member in enumerate(cluster.members):
            table.append(
                (
                    str(cluster.cluster_id) if index == 0 else "",
                    str(len(cluster.members)) if index == 0 else "",
                    "*" if member.is_original else "",
                    member.published.isoformat() if member.published else "-",
                    member.publisher or "-",
                    member.url,
                )
            )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for row in table:
        cells = [
            cell.rjust(width) if i < 2 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
