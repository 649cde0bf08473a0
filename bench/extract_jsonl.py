"""`newsarchive extract DIR --jsonl` on many saved pages against `extract()` alone: CPU per page.

    python -m bench extract-jsonl [--pages N] [--workers W]

N files (default 1,000) are written to a temporary folder: AEB's 181 pages in turn, decompressed,
each copy with its own name. Then, each measured as a whole process with its descendants
(`bench.measure`: user + system CPU, wall time):

- `jsonl`: `newsarchive extract DIR --jsonl --workers W -o OUT` (a pool of W processes);
- `alone`: one Python process that reads the same files and calls `extract()` on each, writing
  nothing: the cost of extraction itself plus one interpreter's start and imports.

Inside `alone`, the CPU of the `extract()` calls themselves is also counted (`extract_only`), so
the overhead of the process and imports shows. The claim in docs/benchmarks.md: `jsonl`'s CPU per
page is within 10 % of `alone`'s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import aeb, measure
from bench.extract_quality import RESULTS

ALONE = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from crawler.extraction.saved import read_page
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import quiet_extractors
quiet_extractors()
options = ExtractOptions()
spent = 0.0
articles = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    page, _ = read_page(path, None)
    start = time.process_time()
    articles += extract(page, options).article is not None
    spent += time.process_time() - start
print(spent, articles)
"""


def write_pages(folder: Path, count: int) -> int:
    """`count` files cycling through AEB's pages; returns how many distinct pages."""
    pages = sorted((aeb.DEFAULT_DIR / "html").glob("*.html.gz"))
    for i in range(count):
        source = pages[i % len(pages)]
        name = source.name.removesuffix(".html.gz")
        (folder / f"{i:05d}-{name[:16]}.html").write_bytes(gzip.decompress(source.read_bytes()))
    return len(pages)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench extract-jsonl")
    parser.add_argument("--pages", type=int, default=1000, metavar="N")
    parser.add_argument("--workers", type=int, default=2, metavar="W")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        distinct = write_pages(folder, args.pages)
        out = Path(tmp) / "out.jsonl"
        started = time.monotonic()
        jsonl = measure.run(
            [
                sys.executable,
                "-m",
                "crawler",
                "extract",
                str(folder),
                "--jsonl",
                "--workers",
                str(args.workers),
                "-o",
                str(out),
            ]
        )
        lines = out.read_text(encoding="utf-8").splitlines()
        articles_jsonl = sum(json.loads(line)["reason"] is None for line in lines)
        alone = measure.run([sys.executable, "-c", ALONE, str(folder)])
        spent, articles_alone = alone.stdout.split()
        wall = time.monotonic() - started
    pages = args.pages
    rows = {
        "jsonl": jsonl.row(pages) | {"articles": articles_jsonl, "workers": args.workers},
        "alone": alone.row(pages) | {"articles": int(articles_alone)},
        "extract_only": {"cpu_ms_per_page": float(spent) / pages * 1000},
    }
    ratio = rows["jsonl"]["cpu_ms_per_page"] / rows["alone"]["cpu_ms_per_page"]
    print(f"{pages} files ({distinct} distinct AEB pages), {args.workers} workers")
    print(f"{'run':<14}{'CPU ms/page':>12}{'wall s':>9}{'articles':>10}")
    for name in ("jsonl", "alone"):
        row = rows[name]
        print(
            f"{name:<14}{row['cpu_ms_per_page']:>12.1f}{row['wall_s']:>9.1f}{row['articles']:>10}"
        )
    print(f"{'extract_only':<14}{rows['extract_only']['cpu_ms_per_page']:>12.1f}")
    print(f"jsonl / alone: {ratio:.3f} (CPU per page); bench took {wall:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    result = RESULTS / "extract_jsonl.json"
    result.write_text(json.dumps(rows | {"ratio": ratio}, indent=2) + "\n")
    print(f"written to {result}")
    return 0 if articles_jsonl == int(articles_alone) else 1
