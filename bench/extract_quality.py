"""Extraction quality on the article-extraction benchmark (AEB): our `extract()` against plain
trafilatura, on the same 181 real pages, with the benchmark's own metric (bench/aeb.py).

Each page goes through exactly the crawl's path: a `PageInput` built from the page's HTML and
URL, then `extract(page, ExtractOptions())`. A page that `extract()` rejects (too short, no text)
scores as an empty prediction, as it would be missing from the archive's articles. Plain
trafilatura is `trafilatura.extract(html, url=url)` with its defaults.

Scores are also given for two fixed halves of the pages (bench/aeb.py `halves`), so that a change
that helps on only one half shows. Sockets are refused while extracting, and the bench fails if
anything tried to open one: extraction must be pure.

    python -m bench extract-quality [--aeb DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import trafilatura

from bench import aeb
from crawler.core.page import PageInput
from crawler.extraction.extract import extract, extractor_name
from crawler.extraction.options import ExtractOptions

RESULTS = Path(__file__).parent / "results"
FETCHED_AT = datetime(2020, 6, 1, tzinfo=UTC)
"""A capture time after every benchmark page was published (they were collected in 2019-2020)."""

Extractor = Callable[[aeb.Page], str]


def ours(page: aeb.Page) -> str:
    """The article text the crawl would store for `page`, or '' when it stores none."""
    page_input = PageInput(
        url=page.url,
        final_url=page.url,
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"),),  # AEB's pages are UTF-8
        body=page.html,
        fetched_at=FETCHED_AT,
    )
    article = extract(page_input, ExtractOptions()).article
    return article.text if article else ""


def plain_trafilatura(page: aeb.Page) -> str:
    """`trafilatura.extract` with its defaults."""
    return trafilatura.extract(page.html.decode("utf-8"), url=page.url) or ""


@contextmanager
def no_network() -> Iterator[list[str]]:
    """Refuse every socket connection and name lookup; yields the attempts made."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("extraction must not use the network")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
    ):
        yield attempts


def run(extractor: Extractor, pages: list[aeb.Page], repeat: int) -> tuple[dict[str, str], float]:
    """Predictions for every page and the fastest pass's mean seconds per page."""
    predictions: dict[str, str] = {}
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        predictions = {page.id: extractor(page) for page in pages}
        best = min(best, (time.process_time() - started) / len(pages))
    return predictions, best


def report(predictions: dict[str, str], pages: list[aeb.Page]) -> dict[str, Any]:
    """Scores on all pages and on each half, and each page's precision and recall."""
    truths = {page.id: page.truth for page in pages}
    scores = {key: aeb.score_page(predictions[key], truths[key]) for key in sorted(truths)}
    first, second = aeb.halves(truths)
    return {
        "all": aeb.aggregate(scores.values()).as_dict(),
        "half_a": aeb.aggregate(scores[key] for key in sorted(first)).as_dict(),
        "half_b": aeb.aggregate(scores[key] for key in sorted(second)).as_dict(),
        "empty_pages": sum(1 for text in predictions.values() if not text.strip()),
        "pages": {key: [s.precision, s.recall] for key, s in scores.items()},
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench extract-quality", description=__doc__)
    parser.add_argument(
        "--aeb",
        type=Path,
        default=aeb.DEFAULT_DIR,
        help=f"the benchmark's directory (default {aeb.DEFAULT_DIR})",
    )
    parser.add_argument("--repeat", type=int, default=1, help="passes to time (the fastest counts)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pages = aeb.load_pages(aeb.check_dir(args.aeb))

    systems: dict[str, Extractor] = {
        f"newsarchive ({extractor_name()})": ours,
        f"plain trafilatura {trafilatura.__version__}": plain_trafilatura,
    }
    rows: dict[str, dict[str, Any]] = {}
    for name, extractor in systems.items():
        with no_network() as attempts:
            predictions, seconds = run(extractor, pages, max(1, args.repeat))
        if attempts:
            raise SystemExit(f"{name} tried to use the network: {attempts[:3]}")
        rows[name] = {**report(predictions, pages), "ms_per_page": seconds * 1000}

    truths = {page.id: page.truth for page in pages}
    published = {
        f"published: {path.stem}": aeb.evaluate(aeb.load_predictions(path), truths).as_dict()
        for path in sorted((args.aeb / "output").glob("*.json"))
    }

    print(f"AEB: {len(pages)} pages; halves A/B by rank in id order (bench/aeb.py)")
    print(
        f"{'system':<34} {'P':>6} {'R':>6} {'F1':>6}  {'F1 A':>6} {'F1 B':>6} "
        f"{'empty':>5} {'ms/page':>8}"
    )
    for name, row in rows.items():
        print(
            f"{name:<34} {row['all']['precision']:>6.3f} {row['all']['recall']:>6.3f} "
            f"{row['all']['f1']:>6.3f}  {row['half_a']['f1']:>6.3f} {row['half_b']['f1']:>6.3f} "
            f"{row['empty_pages']:>5} {row['ms_per_page']:>8.1f}"
        )
    for name, score in published.items():
        print(f"{name:<34} {score['precision']:>6.3f} {score['recall']:>6.3f} {score['f1']:>6.3f}")
    ours_ms, plain_ms = (row["ms_per_page"] for row in rows.values())
    print(f"our extraction time per page: {ours_ms / plain_ms:.2f}x plain trafilatura's")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "extract-quality.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "extract-quality",
                "aeb": str(args.aeb),
                "repeat": args.repeat,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "systems": rows,
                "published": published,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
