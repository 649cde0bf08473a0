"""The `newsarchive` command: one module per verb, each with `main(argv=None) -> int`."""

from __future__ import annotations

import difflib
import gc
import importlib
import sys
from collections.abc import Sequence

from crawler import __version__

VERBS = {
    "crawl": "crawl a story: discover, fetch, archive, extract, store",
    "demo": "crawl the built-in simulated news web, offline",
    "extract": "extract one HTML file and print the article as JSON",
    "status": "counts of captures, articles, WARC files and URL outcomes",
    "export": "write the stored articles as JSON Lines, CSV or Parquet",
    "clusters": "group copies of the same text across publishers and list them",
    "history": "list the versions of one article (or, with --captures, its captures)",
    "edits": "list a story's edits across publishers, newest first, with their kinds",
    "diff": "show word by word what changed between two versions of an article",
    "search": "search every version of every article; the edits that added or removed a match",
    "stories": "list the stories in the database, with their counts",
    "serve": "browse the archive in a web browser (Datasette on 127.0.0.1)",
    "schedule": "crawl a story again and again, every DURATION, until stopped",
    "ingest": "add WARC/ARC files from other crawlers to the database",
    "backfill": "copy the story's pages from web archives (Wayback, Common Crawl, pywb)",
    "index": "write a CDXJ index of the WARC files, for replay",
    "report": "write a story's coverage report as one self-contained HTML page",
    "wacz": "package a story's WARC files, index and pages as a WACZ file",
    "reextract": "extract the archived pages again (new extractor or options), offline",
    "db": "show the database's schema revision, or upgrade it",
    "workers": "show the workers and shared frontier of distributed crawls (Redis)",
    "verify": "check the WARC files and the captures; --repair fixes what it safely can",
}

USAGE = (
    "usage: newsarchive [--version] VERB [options]\n\nverbs:\n"
    + "".join(f"  {verb:<9} {text}\n" for verb, text in VERBS.items())
    + "\n`newsarchive VERB --help` describes one verb.\n"
)


def command() -> int:
    """The `newsarchive` executable (and `python -m crawler`): `main` on the command line, then
    `gc.freeze()` before the interpreter exits.

    At exit the interpreter tears its modules down and collects cycles among everything a verb
    loaded (after a crawl, 130,000 objects of Scrapy, Twisted and SQLAlchemy): 0.4 s of CPU,
    about 1 s of the wall time on a loaded machine, after the work is done. Frozen objects are
    left to the operating system instead. The verb has closed its files and databases by then;
    atexit handlers and the joining of threads still run. Not in `main`, which tests call in
    their own process."""
    status = main()
    gc.freeze()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # while the verb's modules were being imported
        sys.stderr.write("newsarchive: interrupted\n")
        return 130


def _main(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        print(f"newsarchive {__version__}")
        return 0
    verb, rest = args[0], args[1:]
    if verb not in VERBS:
        close = difflib.get_close_matches(verb, VERBS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        sys.stderr.write(
            f"newsarchive: unknown verb {verb!r}: {hint}`newsarchive --help` lists them\n"
        )
        return 2
    from crawler.cli.errors import run_verb

    def verb_main(verb_args: Sequence[str] | None) -> int:
        code: int = importlib.import_module(f"crawler.cli.{verb}").main(verb_args)
        return code

    return run_verb(f"newsarchive {verb}", verb_main, rest)
