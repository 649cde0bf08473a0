"""`newsarchive db upgrade|current`: the database schema's revision, and upgrading it.

Crawls and the other verbs refuse a database whose schema is behind this newsarchive's (see
docs/database.md): upgrading one that several crawlers share is this deliberate step.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from crawler.cli.common import CliError, CliParser, add_data_options, unusable_database
from crawler.cli.errors import one_error_path
from crawler.core.datadir import database_url
from storage.db.engine import (
    DatabaseNotFound,
    DatabaseUnusable,
    SchemaMismatch,
    SchemaState,
    open_database,
    parse_url,
    schema_state,
    upgrade_database,
)

PROG = "newsarchive db"


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG, description="Show or upgrade the revision of the database's schema."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade_parser = actions.add_parser(
        "upgrade",
        help="apply the migrations the database lacks (creates an empty database at the latest)",
        description="Apply every migration the database lacks, in one transaction. Stop the "
        "crawls that use the database first: they refuse a schema that is not theirs.",
    )
    add_data_options(upgrade_parser)
    current = actions.add_parser(
        "current",
        help="the database's revision and the one this newsarchive needs",
        description="Print the database's schema revision and the one this newsarchive needs.",
    )
    add_data_options(current)
    return parser


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = database_url(args.data, args.db)
    try:
        shown = parse_url(url).render_as_string(hide_password=True)
        if args.action == "upgrade":
            print(f"{shown}: {run_upgrade(url)}")
        else:
            print(describe(current_state(url)))
    except CliError as exc:
        return exc.report(PROG)
    return 0


def run_upgrade(url: str) -> str:
    """Bring the database at `url` to the latest revision; what was done, in words."""
    try:
        before, after = upgrade_database(url)
    except (SchemaMismatch, DatabaseUnusable) as exc:
        raise unusable_database(exc) from exc
    if not before.current:
        return f"created at revision {', '.join(after.current)}"
    if before.at_head:
        return f"at revision {', '.join(after.current)}, the latest: nothing to upgrade"
    return f"upgraded from revision {', '.join(before.current)} to {', '.join(after.current)}"


def current_state(url: str) -> SchemaState:
    """The revision of an existing database (none is created)."""
    try:
        engine = open_database(url, create=False)
    except SchemaMismatch as exc:
        return exc.state
    except DatabaseNotFound as exc:
        raise CliError(f"{exc}: run a crawl or `newsarchive db upgrade` first", 2) from exc
    except DatabaseUnusable as exc:
        raise unusable_database(exc) from exc
    try:
        return schema_state(engine)
    finally:
        engine.dispose()


def describe(state: SchemaState) -> str:
    current, needs = ", ".join(state.current), ", ".join(state.heads)
    if state.at_head:
        return f"{current} (the latest)"
    if state.known:
        return f"{current} (behind: this newsarchive needs {needs}; run `newsarchive db upgrade`)"
    return f"{current} (unknown to this newsarchive, which needs {needs})"
