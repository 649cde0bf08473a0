"""Re-extraction from the archive against extraction alone.

The AEB web (`bench.aebweb`) is crawled once with the full pipeline, so the archive holds
`--pages` real article pages and the database their captures. Then, each a whole process with its
start-up:

- `newsarchive reextract --all --workers 2` (read the WARC records, extract in a pool, compare
  with the stored versions, write);
- `trafilatura.extract` alone on the same bodies in 2 processes (the limit), and the same with
  the settings we give trafilatura (metadata, extensive date search, precision);
- our `extract()` alone on the same bodies in 2 processes, which separates what our extraction
  costs beyond trafilatura's from what re-extraction adds around it.

The ratio is reextract pages/s over the limit's (the goal is 0.9).

    python -m bench reextract [--pages 1000] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.aebweb import AebWeb
from bench.crawl import crawl, limit, table, write
from bench.extractpool import EXTRACTORS
from bench.measure import python, run

WORKERS = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench reextract", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="archived pages (default 1000)")
    parser.add_argument("--quick", action="store_true", help="200 pages")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pages = 200 if args.quick else args.pages

    labels = {
        "reextract": f"newsarchive reextract --all, {WORKERS} procs",
        "trafilatura": f"limit: trafilatura.extract, {WORKERS} procs",
        "trafilatura-meta": f"trafilatura.extract as we set it, {WORKERS} procs",
        "ours": f"our extract() alone, {WORKERS} procs",
    }
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with AebWeb(pages) as web:
            crawl(web, tmp, "data", [])
            # the limits render the same bodies from the (now idle) web's pages and address
            for extractor in EXTRACTORS:
                runs[extractor] = limit(web, tmp, WORKERS, extractor).row(pages)
        again = run(
            python("-m", "crawler", "reextract", "--all", "--workers", str(WORKERS),
                   "--data", str(tmp / "data"))
        )  # fmt: skip
        runs["reextract"] = again.row(pages)

    rows = {labels[key]: runs[key] for key in labels}
    table(rows)
    rate = {key: row["pages_per_s"] for key, row in runs.items()}
    ratios = {
        "reextract_over_limit": rate["reextract"] / rate["trafilatura"],
        "reextract_over_our_extract": rate["reextract"] / rate["ours"],
        "our_extract_over_trafilatura": rate["ours"] / rate["trafilatura"],
        "trafilatura_as_set_over_defaults": rate["trafilatura-meta"] / rate["trafilatura"],
    }
    print(
        f"reextract / limit (trafilatura alone): {ratios['reextract_over_limit']:.2f} (goal 0.9); "
        f"reextract / our extract() alone: {ratios['reextract_over_our_extract']:.2f}\n"
        f"our extract() / trafilatura: {ratios['our_extract_over_trafilatura']:.2f}; "
        "trafilatura as we set it / its defaults: "
        f"{ratios['trafilatura_as_set_over_defaults']:.2f}"
    )
    write("reextract", pages, rows, workers=WORKERS, **ratios)
    return 0
