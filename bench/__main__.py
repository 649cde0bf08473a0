"""`python -m bench NAME [options]`: run one benchmark."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "recrawl": "first crawl vs recrawl of an unchanged simulated web (pages/s, WARC bytes)",
    "storage": "database cost per page from 1k to 100k stored pages (insert, due query)",
    "warcread": "reading WARC files: warcio vs fastwarc vs the ingest scanner (MB/s)",
    "warcgzip": "each WARC record's gzip member: CPU per page and bytes, zlib vs ISA-L levels",
    "clusters": "shingle size and threshold of the syndication clusters, on simweb texts",
    "extract-quality": "P/R/F1 and CPU on every labelled corpus: ours vs trafilatura settings",
    "extract-metadata": "title, date, time, author exact-match rates on labelled corpora",
    "extract-jsonl": "newsarchive extract DIR --jsonl on 1,000 pages vs extract() alone (CPU/page)",
    "access": "walls found on open articles (false positives) and the detector's CPU per page",
    "workers": "one crawl process vs one and two workers sharing a Redis frontier (pages/s)",
    "crawl": "the whole crawl on the AEB pages served locally vs fetching only vs extraction alone",
    "reextract": "newsarchive reextract on an archive of AEB pages vs extraction alone",
    "search": "full-text search on 100k article versions: queries, --removed, index build",
    "all": "every benchmark in turn (--quick: small sizes, a few minutes)",
}

MODULES = {"all": "run_all"}
"""Benchmarks whose module is not named after them (`all` is a Python keyword)."""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in BENCHMARKS:
        print("usage: python -m bench NAME [options]\n\nbenchmarks:")
        for name, text in BENCHMARKS.items():
            print(f"  {name:<16} {text}")
        return 0 if not args else 2
    module = importlib.import_module(f"bench.{MODULES.get(args[0], args[0].replace('-', '_'))}")
    code: int = module.main(args[1:])
    return code


if __name__ == "__main__":
    sys.exit(main())
