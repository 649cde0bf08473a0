"""Reading WARC files: warcio against fastwarc, and the ingest scanner built on them.

Each reader goes through every record of a file, reads every block to the end (the bodies are
what ingest needs) and checks the digests, as ingest must before it trusts a record. The files
are the test WARCs of tests/data/warcs (the good ones, small: start-up cost dominates) and a
generated one of news-sized pages written by our own `WarcWriter` (one gzip member per record,
bodies gzip-encoded as servers send them).

    python -m bench warcread [--pages N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import string
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from fastwarc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from storage.warc import HttpRequestData, HttpResponseData, WarcWriter
from storage.warcscan import scan

RESULTS = Path(__file__).parent / "results"
TEST_WARCS = Path(__file__).parent.parent / "tests" / "data" / "warcs"
GOOD = (
    "example.warc.gz",
    "example.warc",
    "example-iana.org-chunked.warc",
    "example-resource.warc.gz",
    "post-test.warc.gz",
    "example-wget-bad-target-uri.warc.gz",
)


def generate(path: Path, pages: int) -> Path:
    """A WARC of `pages` exchanges: HTML of about 100 kB, gzip-encoded (about 30 kB)."""
    rng = random.Random(7)
    vocabulary = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10))) for _ in range(5000)
    ]
    start = datetime(2025, 2, 3, tzinfo=UTC)
    with WarcWriter(path, prefix="bench", max_size=1 << 40) as writer:
        for n in range(pages):
            text = " ".join(rng.choices(vocabulary, k=2000))
            html = (
                f"<!doctype html><html><head><title>Article {n}</title></head><body>"
                + "<nav>" + "<a href='/x'>Section</a>" * 200 + "</nav>"
                + f"<article><p>{text}</p></article>"
                + "<script>" + "var a=1;" * 6000 + "</script></body></html>"
            ).encode()  # fmt: skip
            url = f"http://news.example/{n}"
            writer.write_exchange(
                HttpRequestData("GET", url, "HTTP/1.1", [(b"User-Agent", b"bench")]),
                HttpResponseData(
                    200,
                    "OK",
                    "HTTP/1.1",
                    [(b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")],
                    gzip.compress(html, 6),
                ),
                fetched_at=start + timedelta(seconds=n),
            )
    (written,) = path.glob("*.warc.gz")
    return written


def read_warcio(path: Path) -> int:
    """warcio's iterator with digest checks, every block read to the end."""
    records = 0
    with path.open("rb") as stream:
        for record in WarcioIterator(stream, check_digests=True):
            record.raw_stream.read()
            records += 1
    return records


def read_fastwarc(path: Path) -> int:
    """fastwarc's iterator: block digest verified (which reads the block), HTTP parsed."""
    records = 0
    with path.open("rb") as stream:
        for record in FastIterator(stream, parse_http=False):
            record.verify_block_digest(consume=False)
            record.parse_http()
            record.reader.read()
            records += 1
    return records


READERS: dict[str, Callable[[Path], int]] = {
    f"warcio {version('warcio')}": read_warcio,
    f"fastwarc {version('fastwarc')}": read_fastwarc,
    "scan, fastwarc": lambda p: sum(1 for _ in scan(p, parser="fastwarc")),
    "scan, warcio": lambda p: sum(1 for _ in scan(p, parser="warcio")),
}


def measure(reader: Callable[[Path], int], paths: list[Path], repeat: int) -> dict[str, float]:
    """Best of `repeat` runs over all `paths`: seconds, MB/s of file bytes, records."""
    size = sum(p.stat().st_size for p in paths)
    best = float("inf")
    records = 0
    for _ in range(repeat):
        started = time.perf_counter()
        records = sum(reader(p) for p in paths)
        best = min(best, time.perf_counter() - started)
    return {"seconds": best, "mb_per_s": size / best / 1e6, "records": records, "bytes": size}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench warcread", description=__doc__)
    parser.add_argument("--pages", type=int, default=2000, help="pages in the generated WARC")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; best counts")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        big = generate(Path(tmp), args.pages)
        sets = {
            "test WARCs": [TEST_WARCS / name for name in GOOD],
            f"generated, {args.pages} pages": [big],
        }
        print(f"{'files':<24} {'reader':<16} {'MB':>8} {'records':>8} {'seconds':>8} {'MB/s':>8}")
        for label, paths in sets.items():
            results[label] = {}
            for name, reader in READERS.items():
                row = measure(reader, paths, args.repeat)
                results[label][name] = row
                print(
                    f"{label:<24} {name:<16} {row['bytes'] / 1e6:>8.2f} {row['records']:>8.0f} "
                    f"{row['seconds']:>8.3f} {row['mb_per_s']:>8.1f}"
                )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "warcread.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "warcread",
                "pages": args.pages,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
