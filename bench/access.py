"""Walls on open articles: how many pages of labelled extraction corpora, every one an open
article, the access detector calls a wall (each one a false positive), and what it costs.

Each page goes through the crawl's path: a `PageInput` (status 200, the corpus's URL), then
`extract()`, then `check_access()` (crawler/extraction/access.py), the part that runs in the
extraction worker. A page the page-only step only suspects is then judged twice
(`judge_access`, crawler/versions/access.py):

- against a *feed description*: the page's own `<meta name="description">`, which is what feeds
  and news sitemaps usually carry;
- against a *last open version*: the corpus's reference text of the article, where it has one.
  Harsher than a crawl, whose last version comes from the same extraction: a page our extraction
  cuts short looks truncated against a human reference.

The rights signals (`noarchive`) found in the same pages are counted too: real pages that ask
not to be archived.

    python -m bench access [--corpus DIR ...] [--limit N]

A corpus DIR is laid out as bench/data/aeb: `html/<id>.html.gz` and `ground-truth.json`
(`{id: {"url", "articleBody"?}}`); the default is the AEB copy in bench/data/aeb. Times are
process CPU time per page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import aeb
from bench.extract_quality import RESULTS, no_network
from crawler.core.page import PageInput
from crawler.core.rights import page_rights
from crawler.extraction.access import check_access
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.versions.access import judge_access

FETCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)
"""After every page of the corpora was published (the newest are from 2026)."""


@dataclass
class Tally:
    """One corpus's counts."""

    pages: int = 0
    walled: Counter[str] = field(default_factory=Counter)
    """Walls from the page alone, by access."""
    suspect: int = 0
    vs_feed: Counter[str] = field(default_factory=Counter)
    vs_reference: Counter[str] = field(default_factory=Counter)
    noarchive: int = 0
    access_seconds: float = 0.0
    extract_seconds: float = 0.0
    false_positives: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "walled": dict(self.walled),
            "suspect": self.suspect,
            "walled_vs_feed": dict(self.vs_feed),
            "walled_vs_reference": dict(self.vs_reference),
            "noarchive": self.noarchive,
            "access_ms_per_page": 1000 * self.access_seconds / max(1, self.pages),
            "extract_ms_per_page": 1000 * self.extract_seconds / max(1, self.pages),
            "false_positives": self.false_positives,
        }


def measure(corpus: Path, limit: int | None = None) -> Tally:
    """Every page of `corpus` through extraction and both access steps."""
    truth: dict[str, dict[str, Any]] = json.loads((corpus / "ground-truth.json").read_text())
    tally = Tally()
    options = ExtractOptions()
    for path in sorted((corpus / "html").glob("*.html.gz"))[:limit]:
        key = path.name.removesuffix(".html.gz")
        reference = truth.get(key, {})
        url = reference.get("url") or f"https://{corpus.name}.example/{key}"
        page = PageInput.saved(url, gzip.decompress(path.read_bytes()), FETCHED_AT)
        started = time.process_time()
        extraction = extract(page, options)
        middle = time.process_time()
        check = check_access(page, extraction)
        tally.access_seconds += time.process_time() - middle
        tally.extract_seconds += middle - started
        tally.pages += 1
        tally.noarchive += page_rights(page).noarchive
        article = extraction.article
        text = article.text if article else None
        if check.walled:
            tally.walled[check.access] += 1
            tally.false_positives.append(f"{key}: {check.reason}")
            continue
        tally.suspect += check.suspect is not None
        description = article.description if article else None
        for counts, judged, against in (
            (tally.vs_feed, judge_access(check, text, description=description), "feed"),
            (
                tally.vs_reference,
                judge_access(check, text, previous=reference.get("articleBody")),
                "reference",
            ),
        ):
            if judged.walled:
                counts[judged.access] += 1
                tally.false_positives.append(f"{key} (against the {against}): {judged.reason}")
    return tally


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench access", description=__doc__)
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help=f"a corpus directory, repeatable (default {aeb.DEFAULT_DIR})",
    )
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per corpus")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    corpora = args.corpus or [aeb.DEFAULT_DIR]
    for corpus in corpora:
        if not (corpus / "ground-truth.json").is_file() or not (corpus / "html").is_dir():
            raise SystemExit(f"{corpus}: not a corpus (needs html/ and ground-truth.json)")
    tallies: dict[str, Tally] = {}
    for corpus in corpora:
        with no_network() as attempts:
            tallies[corpus.name] = measure(corpus, args.limit)
        if attempts:
            raise SystemExit(f"access detection tried to use the network: {attempts[:3]}")

    print("every page is an open article: each wall below is a false positive")
    print(
        f"{'corpus':<24} {'pages':>6} {'walled':>6} {'suspect':>7} {'vs feed':>7} "
        f"{'vs ref':>6} {'noarch':>6} {'access ms':>9} {'extract ms':>10}"
    )
    for name, tally in [*tallies.items(), ("all", _total(tallies.values()))]:
        row = tally.as_dict()
        print(
            f"{name:<24} {tally.pages:>6} {sum(tally.walled.values()):>6} {tally.suspect:>7} "
            f"{sum(tally.vs_feed.values()):>7} {sum(tally.vs_reference.values()):>6} "
            f"{tally.noarchive:>6} {row['access_ms_per_page']:>9.1f} "
            f"{row['extract_ms_per_page']:>10.1f}"
        )
    for name, tally in tallies.items():
        for line in tally.false_positives:
            print(f"  {name}/{line}")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "access.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "access",
                "corpora": [str(c) for c in corpora],
                "limit": args.limit,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "corpus": {name: tally.as_dict() for name, tally in tallies.items()},
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0


def _total(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.pages += tally.pages
        total.walled += tally.walled
        total.suspect += tally.suspect
        total.vs_feed += tally.vs_feed
        total.vs_reference += tally.vs_reference
        total.noarchive += tally.noarchive
        total.access_seconds += tally.access_seconds
        total.extract_seconds += tally.extract_seconds
    return total
