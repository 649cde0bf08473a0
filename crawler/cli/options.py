"""Extraction options, resolved one way for every verb that extracts (`reextract`, `ingest`,
`verify --repair`): the `EXTRACT_*` settings (the crawl's), then `-s NAME=VALUE`, then the flags,
through `ExtractOptions.from_settings`, as the crawl does."""

from __future__ import annotations

import argparse

from crawler.cli.common import CliError, add_setting_option
from crawler.extraction.options import FAVORS, ExtractOptions
from crawler.run import SettingError, crawl_settings


def add_extract_options(parser: argparse.ArgumentParser) -> None:
    """--favor, --min-words, --comments, --no-tables and -s, with the same meaning in every verb."""
    group = parser.add_argument_group("extraction (as in a crawl: the EXTRACT_* settings)")
    group.add_argument(
        "--favor", choices=FAVORS, help="less but surer text, or more text (EXTRACT_FAVOR)"
    )
    group.add_argument(
        "--min-words",
        type=int,
        metavar="N",
        help="fewer words of main text is not an article (EXTRACT_MIN_WORDS)",
    )
    group.add_argument(
        "--comments",
        action="store_true",
        help="append readers' comments to the text (EXTRACT_INCLUDE_COMMENTS=True)",
    )
    group.add_argument(
        "--no-tables", action="store_true", help="leave out tables (EXTRACT_INCLUDE_TABLES=False)"
    )
    add_setting_option(parser, "e.g. -s EXTRACT_FAVOR=recall; ")


def extract_options(
    args: argparse.Namespace, workers: int | None = None
) -> tuple[ExtractOptions, int]:
    """The extraction options and worker count: the crawl's settings (with `-s`), then flags
    (and `workers`, when the verb takes --workers)."""
    try:
        settings = crawl_settings(args.data, None, args.settings)
    except SettingError as exc:
        raise CliError(str(exc), 2) from exc
    flags = {
        "EXTRACT_FAVOR": args.favor,
        "EXTRACT_MIN_WORDS": args.min_words,
        "EXTRACT_INCLUDE_COMMENTS": True if args.comments else None,
        "EXTRACT_INCLUDE_TABLES": False if args.no_tables else None,
        "EXTRACT_WORKERS": workers,
    }
    for name, value in flags.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    try:
        return ExtractOptions.from_settings(settings), settings.getint("EXTRACT_WORKERS")
    except ValueError as exc:
        raise CliError(f"invalid extraction options: {exc}", 2) from exc
