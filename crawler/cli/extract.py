"""`newsarchive extract FILE.html`: run the crawl's extraction on one saved page, print JSON.

The file goes through exactly what a fetched page goes through (`PageInput`, `extract`), so this is
the way to see what the archive would store for a page, or why it would store no article.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from crawler.cli.common import CliParser
from crawler.cli.errors import one_error_path
from crawler.core.article import Article
from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.options import FAVORS, ExtractOptions

PROG = "newsarchive extract"


def _parser() -> argparse.ArgumentParser:
    defaults = ExtractOptions()
    parser = CliParser(
        prog=PROG,
        description="Extract the article from one HTML file and print it as JSON. "
        "Exit status: 0 article printed, 1 not an article, 2 the file cannot be read.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.html", help="the saved page")
    parser.add_argument(
        "--url",
        help="the URL the page was fetched from, to resolve relative links "
        "(default: the file's file:// URI)",
    )
    parser.add_argument(
        "--favor",
        choices=FAVORS,
        default=defaults.favor,
        help=f"less but surer text, or more text (default: {defaults.favor})",
    )
    parser.add_argument(
        "--min-words",
        type=int,
        default=defaults.min_words,
        metavar="N",
        help=f"fewer words of main text is not an article (default: {defaults.min_words})",
    )
    parser.add_argument(
        "--comments", action="store_true", help="append readers' comments to the text"
    )
    parser.add_argument("--no-tables", action="store_true", help="leave out tables")
    return parser


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _as_json(url: str, article: Article, extractor: str) -> dict[str, object]:
    return {
        "url": url,
        "title": article.title,
        "authors": list(article.authors),
        "published": _iso(article.published),
        "modified": _iso(article.modified),
        "language": article.language,
        "site_name": article.site_name,
        "canonical_url": article.canonical_url,
        "text": article.text,
        "word_count": article.word_count,
        "text_sha256": article.text_sha256,
        "extractor": extractor,
    }


@one_error_path(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        options = ExtractOptions(
            favor=args.favor,
            include_tables=not args.no_tables,
            include_comments=args.comments,
            min_words=args.min_words,
        )
    except ValueError as exc:
        parser.error(str(exc))

    path: Path = args.file
    try:
        body = path.read_bytes()
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as exc:
        print(f"{parser.prog}: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    url = args.url or path.resolve().as_uri()
    page = PageInput(
        url=url,
        final_url=url,
        status=200,
        headers=(("Content-Type", "text/html"),),
        body=body,
        fetched_at=fetched_at,
    )
    extraction = extract(page, options)
    if extraction.article is None:
        print(f"{path}: not an article ({extraction.reason})", file=sys.stderr)
        return 1
    document = _as_json(url, extraction.article, extraction.extractor)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0
