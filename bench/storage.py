"""Database cost per page as the archive grows: does writing and scheduling stay flat?

Synthetic crawl batches (a capture and an article page each, as the store pipeline writes them)
are written through `Repository.write_batch` until the database holds `--max` pages. At each
checkpoint one more batch is timed (time per stored page) and the crawl-start frontier query
(`storage.db.frontier.load_frontier`, which finds the due articles) is timed (total, and per
known article). Flat means the per-page numbers do not grow with the size of the database.

    python -m bench storage [--max 100000] [--batch 500] [--db URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.core.article import Article, Extraction, Relevance
from crawler.core.capture import Capture
from crawler.core.story import Source, Story
from storage.db.engine import open_database
from storage.db.frontier import load_frontier
from storage.db.records import PageRecord
from storage.db.repository import Repository

RESULTS = Path(__file__).parent / "results"
SOURCE = Source(name="Bench Daily", url="http://bench.example:8080/")
STORY = Story(name="bench", title="Storage bench", sources=(SOURCE,))
RELEVANT = Relevance(relevant=True, score=0.8, matched_terms=("bench",), reason="all")
T0 = datetime(2025, 2, 1, tzinfo=UTC)
CHECKPOINTS = (1_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000)


def batch(start: int, size: int) -> tuple[list[Capture], list[PageRecord]]:
    """Pages `start` … `start + size - 1`: one response capture and one article page each."""
    captures, pages = [], []
    for n in range(start, start + size):
        url = f"{SOURCE.url}{n // 1000}/article-{n}.html"
        fetched = T0 + timedelta(seconds=n)
        record = f"<urn:uuid:bench-{n:012d}>"
        captures.append(
            Capture(
                url=url,
                fetched_at=fetched,
                status=200,
                content_type="text/html; charset=utf-8",
                location=None,
                warc_filename="bench.warc.gz",
                warc_offset=n * 30_000,
                warc_length=30_000,
                warc_record_id=record,
                request_record_id=None,
                payload_digest=f"sha1:{n:032d}",
                etag=f'"{n}"',
            )
        )
        text = f"Article {n} about the storage bench. " * 40
        article = Article(
            title=f"Article {n}",
            authors=("A. Writer",),
            published=fetched.date(),
            modified=None,
            language="en",
            site_name="Bench Daily",
            canonical_url=None,
            description=None,
            text=text,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            word_count=len(text.split()),
        )
        pages.append(
            PageRecord(
                url=url,
                final_url=url,
                aliases=(),
                publisher_host=SOURCE.host,
                warc_record_id=record,
                discovered_via="feed",
                fetched_at=fetched,
                extraction=Extraction(article, None, "bench", "bench"),
                relevance=RELEVANT,
            )
        )
    return captures, pages


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench storage", description=__doc__)
    parser.add_argument("--max", type=int, default=100_000, help="pages at the end (100000)")
    parser.add_argument("--batch", type=int, default=500, help="pages per batch (500)")
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temp dir)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    checkpoints = [c for c in CHECKPOINTS if c <= args.max] or [args.max]

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        backend = engine.dialect.name
        repository = Repository(engine)
        story_id = repository.ensure_story(STORY)
        rows: list[dict[str, float]] = []
        stored = 0
        started = time.perf_counter()
        print(f"{'pages':>9} {'insert µs/page':>15} {'due query ms':>13} {'µs/article':>11}")
        for checkpoint in checkpoints:
            while stored + args.batch < checkpoint:
                repository.write_batch(*batch(stored, args.batch), story_id)
                stored += args.batch
            size = checkpoint - stored
            timed = batch(stored, size)
            t = time.perf_counter()
            repository.write_batch(*timed, story_id)
            insert_s = time.perf_counter() - t
            stored += size
            # every article is due a day after the last one was fetched
            now = T0 + timedelta(seconds=stored, days=2)
            t = time.perf_counter()
            frontier = load_frontier(engine, STORY.name, [SOURCE.host], now, "due")
            query_s = time.perf_counter() - t
            if len(frontier.due) != stored:
                found = len(frontier.due)
                raise SystemExit(f"expected {stored} due articles, the query found {found}")
            row = {
                "pages": stored,
                "insert_us_per_page": insert_s / size * 1e6,
                "due_query_ms": query_s * 1e3,
                "due_query_us_per_article": query_s / stored * 1e6,
            }
            rows.append(row)
            print(
                f"{stored:>9,} {row['insert_us_per_page']:>15.0f} {row['due_query_ms']:>13.0f} "
                f"{row['due_query_us_per_article']:>11.1f}",
                flush=True,
            )
        engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "storage.json"
    out.write_text(
        json.dumps(
            {
                "backend": backend,
                "batch": args.batch,
                "total_s": time.perf_counter() - started,
                "machine": platform.platform(),
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
