"""`newsarchive extract`: run the crawl's extraction on saved pages.

One file: the article as indented JSON (exit 1 when the page is not an article). Many files and
directories with `--jsonl`: one JSON object per file, in one pool of extraction processes
(`crawler.extraction.pool`, the crawl's), so that a folder of saved pages costs one process start,
not one per page.

A file goes through exactly what a fetched page goes through (`PageInput`, `extract`), so this is
the way to see what the archive would store for a page, or why it would store no article.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from crawler.cli.common import CliError, CliParser, output_file, writing_to
from crawler.cli.errors import one_error_path
from crawler.extraction.extract import extract
from crawler.extraction.options import FAVORS, ExtractOptions
from crawler.extraction.pool import extraction_pool, quiet_extractors
from crawler.extraction.saved import as_json, extract_chunk, read_page
from storage.atomic import replacing

PROG = "newsarchive extract"
SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")
"""What a directory is searched for (a file named on the command line is read whatever its name;
a `.gz` one is decompressed)."""
CHUNK = 16
"""Files handed to a worker at a time: fewer round trips than one by one, results still in
order."""
UNREADABLE = (OSError, EOFError, gzip.BadGzipFile)


def _parser() -> argparse.ArgumentParser:
    defaults = ExtractOptions()
    parser = CliParser(
        prog=PROG,
        description="Extract the article from saved HTML files. One FILE: print it as indented "
        "JSON (exit status 0 article printed, 1 not an article, 2 the file cannot be read). "
        "With --jsonl, any number of files and directories (searched for *.html, *.htm, "
        "*.xhtml, and those gzipped): one JSON object per file, extracted in a pool of "
        "processes; exit status 0 when every file was read, a page that is not an article or "
        "a file that cannot be read being counted, not fatal.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files, directories")
    parser.add_argument(
        "--url",
        help="the URL the page was fetched from, to resolve relative links; one file only "
        "(default: the page's canonical link or og:url, else the file's file:// URI)",
    )
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="JSON Lines: one object per file, with `file` and the export's field names",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="extraction processes with --jsonl (default 0: one per CPU core); one file is "
        "extracted in this process",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="with --jsonl, write to FILE (appears only once complete) instead of standard output",
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
        help=f"fewer words of main text is not an article (default: {defaults.min_words}; "
        "a page that declares itself an article needs 25 or N, the lower: "
        "EXTRACT_MIN_WORDS_DECLARED)",
    )
    parser.add_argument(
        "--comments", action="store_true", help="append readers' comments to the text"
    )
    parser.add_argument("--no-tables", action="store_true", help="leave out tables")
    return parser


def files_of(paths: Sequence[Path]) -> list[Path]:
    """The files named and those under the directories named (sorted, recursively); a path that
    does not exist, or a directory with no page in it, is a `CliError`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            pages = sorted(
                p for p in path.rglob("*") if p.name.lower().endswith(SUFFIXES) and p.is_file()
            )
            if not pages:
                raise CliError(f"no saved pages ({', '.join(SUFFIXES)}) in {path}")
            found += pages
        elif path.exists():
            found.append(path)
        else:
            raise CliError(f"no such file or directory: {path}")
    return found


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
    if args.workers < 0:
        parser.error(f"--workers must be 0 or more, got {args.workers}")
    if not args.jsonl:
        if len(args.paths) > 1 or args.paths[0].is_dir():
            raise CliError("several files or a directory: give --jsonl to extract them")
        if args.output != "-":
            raise CliError("-o needs --jsonl (one file's JSON goes to standard output)")
        return _one(args.paths[0], args.url, options)
    files = files_of(args.paths)
    if args.url and len(files) > 1:
        raise CliError(f"--url names one page's address, and there are {len(files)} files")
    output = None if args.output == "-" else output_file(Path(args.output))
    workers = args.workers or os.cpu_count() or 1
    if output is None:
        counts = _many(files, options, workers, sys.stdout, args.url)
    else:
        with writing_to(output), replacing(output) as stream:
            counts = _many(files, options, workers, stream, args.url)
    articles, others, errors = counts
    where = "standard output" if output is None else str(output)
    print(
        f"{PROG}: {len(files)} files: {articles} articles, {others} not articles, "
        f"{errors} unreadable; written to {where}",
        file=sys.stderr,
    )
    return 0


def _one(path: Path, url: str | None, options: ExtractOptions) -> int:
    try:
        page, address = read_page(path, url)
    except UNREADABLE as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    extraction = extract(page, options)
    if extraction.article is None:
        print(f"{path}: not an article ({extraction.reason})", file=sys.stderr)
        return 1
    document = as_json(address, extraction.article, extraction.extractor)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def _many(
    files: list[Path], options: ExtractOptions, workers: int, stream: IO[str], url: str | None
) -> tuple[int, int, int]:
    """Write one line per file; (articles, not articles, unreadable)."""
    articles = others = errors = 0
    progress = _Progress(len(files))
    for kind, line in _lines(files, options, workers, url):
        stream.write(line)
        stream.write("\n")
        articles += kind == "article"
        others += kind == "other"
        errors += kind == "error"
        progress.step(articles, others, errors)
    progress.done()
    return articles, others, errors


def _lines(
    files: list[Path], options: ExtractOptions, workers: int, url: str | None
) -> Iterator[tuple[str, str]]:
    if len(files) == 1:  # one page: no processes to start
        quiet_extractors()
        for start in range(0, len(files), CHUNK):
            yield from extract_chunk(files[start : start + CHUNK], options, url)
        return
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    with extraction_pool(workers) as pool:
        for lines in pool.map(extract_chunk, chunks, [options] * len(chunks)):
            yield from lines


class _Progress:
    """A line on standard error at most every two seconds when it is a terminal, every 10 % of
    the files otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.seen = 0
        self.tty = sys.stderr.isatty()
        self.last = time.monotonic()
        self.step_every = max(1, total // 10)

    def step(self, articles: int, others: int, errors: int) -> None:
        self.seen += 1
        now = time.monotonic()
        due = now - self.last >= 2 if self.tty else self.seen % self.step_every == 0
        if due and self.seen < self.total:
            self.last = now
            end = "\r" if self.tty else "\n"
            sys.stderr.write(
                f"{PROG}: {self.seen}/{self.total} files, {articles} articles, "
                f"{others} not articles, {errors} unreadable{end}"
            )
            sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\033[K")
