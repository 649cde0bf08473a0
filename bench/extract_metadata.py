"""Metadata exact-match rates on the labelled corpora that have metadata: title, publication date
(and time, where the reference has one) and authors, before and after the stated-metadata work.

    python -m bench extract-metadata [--corpora DIR]

DIR (default `../shared/bench` beside the repository, when it exists) holds `fundus-fixtures`,
`readability-testpages` and `newspaper4k-fixtures` (the team's bench README describes them);
they are read where they lie. Each page goes through the crawl's `extract()` on a `PageInput`
with the page's URL, fetched 2027-01-01 (after every page). A page that `extract()` rejects
counts as a miss on every field.

- *after*: the `Article` our `extract()` gives now;
- *before*: what `extract()` stored before on the same page: trafilatura's metadata as our code
  read it, from the same decoded and repaired tree (`published` = trafilatura's (htmldate's) day,
  `authors` = trafilatura's "A; B" split and deduplicated), on the same article decision.

Rates, over the pages whose reference has the field:
- title: equal after collapsing spaces;
- date: the reference's day (its first ten characters) equals ours; when the reference gives a
  time in UTC (fundus) and we have a moment, ours is compared in UTC;
- time (fundus only, whose references have a UTC time): ours states a moment within 60 s of it
  (before: never, the old code had no times);
- authors: the same set of names, compared ignoring case and spacing (readability-testpages'
  single `byline` string is split on "," and " and ").
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.settings import set_date_params

from bench.extract_quality import RESULTS, no_network
from crawler.core.article import Article
from crawler.core.page import PageInput, decode_html
from crawler.extraction.body import join_split_body, unwrap_embedded_posts
from crawler.extraction.boilerplate import prune_promotions, prune_teasers
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pool import quiet_extractors

DEFAULT_CORPORA = next(
    (
        p / "shared" / "bench"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "bench").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "bench",
)
"""`../shared/bench` beside the repository (or beside the folder of worktrees)."""
CORPORA = ("fundus-fixtures", "readability-testpages", "newspaper4k-fixtures")
FETCHED_AT = datetime(2027, 1, 1, tzinfo=UTC)
FIELDS = ("title", "date", "time", "authors")
DEBUG = bool(os.environ.get("BENCH_DEBUG"))


@dataclass
class Tally:
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def add(self, name: str, hit: bool) -> None:
        self.total[name] += 1
        self.hits[name] += hit

    def rates(self) -> dict[str, float | None]:
        return {
            name: (self.hits[name] / self.total[name] if self.total[name] else None)
            for name in FIELDS
        }


def _space(value: str) -> str:
    return " ".join(value.split())


def _names(values: list[str]) -> frozenset[str]:
    return frozenset(_space(v).casefold() for v in values if _space(v))


def _reference_authors(truth: dict[str, Any]) -> list[str] | None:
    if truth.get("authors"):
        return list(truth["authors"])
    byline = truth.get("author")
    if not byline:
        return None
    return [p for p in re.split(r",|\band\b|&", byline) if p.strip()]


def _reference_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None and len(value.strip()) > 10 else None


def _old_authors(value: str | None) -> list[str]:
    seen: dict[str, str] = {}
    for name in (value or "").split(";"):
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def score(
    tally: Tally,
    truth: dict[str, Any],
    title: str | None,
    day: date | None,
    moment: datetime | None,
    authors: list[str],
) -> None:
    if truth.get("title"):
        tally.add("title", title is not None and _space(title) == _space(truth["title"]))
    reference = truth.get("date")
    if reference:
        stated = _reference_time(reference)
        if stated is not None:
            ours = moment.astimezone(UTC).date() if moment else day
            tally.add("date", ours == stated.astimezone(UTC).date())
            tally.add("time", moment is not None and abs((moment - stated).total_seconds()) <= 60)
        else:
            tally.add("date", day is not None and day.isoformat() == reference.strip()[:10])
    names = _reference_authors(truth)
    if names is not None:
        tally.add("authors", _names(authors) == _names(names))


def _page(corpus: Path, page_id: str, truth: dict[str, Any]) -> PageInput | None:
    path = corpus / "html" / f"{page_id}.html.gz"
    if not path.exists():
        return None
    url = truth.get("url") or truth.get("declared_url") or f"http://127.0.0.1/{page_id}"
    return PageInput.saved(url, gzip.decompress(path.read_bytes()), FETCHED_AT)


def _pruned(page: PageInput) -> Any:
    """The tree `extract()` reads trafilatura's metadata from: decoded and repaired alike."""
    _, html = decode_html(page)
    tree = trafilatura.load_html(html)
    prune_promotions(tree)
    prune_teasers(tree)
    join_split_body(tree)
    unwrap_embedded_posts(tree)
    return tree


def run_corpus(corpus: Path) -> dict[str, dict[str, Any]]:
    truths: dict[str, dict[str, Any]] = json.loads((corpus / "ground-truth.json").read_text())
    before, after = Tally(), Tally()
    options = ExtractOptions()
    pages = 0
    for page_id, truth in truths.items():
        page = _page(corpus, page_id, truth)
        if page is None:
            continue
        pages += 1
        article: Article | None = extract(page, options).article
        if article is None:
            score(before, truth, None, None, None, [])
            score(after, truth, None, None, None, [])
            continue
        score(
            after,
            truth,
            article.title,
            article.published,
            article.published_at,
            list(article.authors),
        )
        tree = _pruned(page)
        latest = "2027-01-02"
        metadata = trafilatura.extract_metadata(
            tree, page.final_url, {**set_date_params(extensive=True), "max_date": latest}
        )
        old_day = date.fromisoformat(metadata.date[:10]) if metadata.date else None
        score(before, truth, metadata.title, old_day, None, _old_authors(metadata.author))
        if DEBUG:
            reference = _reference_authors(truth)
            old, new = _old_authors(metadata.author), list(article.authors)
            if reference is not None and (_names(old) == _names(reference)) != (
                _names(new) == _names(reference)
            ):
                print(corpus.name, page_id, reference, old, new)
    return {
        "pages": {"count": pages},
        "counts": dict(after.total),
        "before": before.rates(),
        "after": after.rates(),
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench extract-metadata")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA, metavar="DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    missing = [c for c in CORPORA if not (args.corpora / c / "ground-truth.json").exists()]
    if missing:
        print(
            f"bench extract-metadata: {args.corpora} lacks {', '.join(missing)}: give --corpora "
            "DIR, the folder of the labelled corpora (the team's shared/bench)"
        )
        return 2
    quiet_extractors()
    results: dict[str, Any] = {}
    with no_network() as attempts:
        for name in CORPORA:
            results[name] = run_corpus(args.corpora / name)
    if attempts:
        raise SystemExit(f"extraction tried the network: {attempts[:3]}")
    print(f"{'corpus':<24}{'field':<9}{'pages':>6}{'before':>9}{'after':>9}")
    for name, result in results.items():
        for fname in FIELDS:
            if not result["counts"][fname]:
                continue
            print(
                f"{name:<24}{fname:<9}{result['counts'][fname]:>6}"
                f"{_cell(result['before'][fname]):>9}{_cell(result['after'][fname]):>9}"
            )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "extract_metadata.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 0
