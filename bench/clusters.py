"""How the clustering's shingle size and threshold were chosen, on the simulated web's texts.

For each shingle size it prints the exact Jaccard similarity of word-shingle sets (no MinHash),
by kind of pair:

- `copy`: seed 000 and its syndicated copy, seed 002 (must cluster);
- `edited copy`: seed 000 against copies edited as republishers do (a credit line, the last
  paragraphs cut, a word changed per paragraph, all of these at once): the least similar is shown
  (should cluster);
- `rewrites`: the seeds that are the same story in other words (001, 003, 004, and each against
  000): the most similar (must not cluster);
- `other`: every other pair, off-topic generated articles included: the most similar (must not).

A good threshold lies between the last two columns and the least similar copy. Then it runs the
real clustering (MinHash signatures, LSH, `assign`) with the given options on all those texts
and reports the clusters it found and the time taken.

    python -m bench clusters [--extra N] [--threshold T] [--shingle-words K]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from crawler import settings
from crawler.clustering.groups import Member, assign
from crawler.clustering.signatures import ClusterOptions, shingles, signature
from crawler.simweb import SimWeb

RESULTS = Path(__file__).parent / "results"
SIZES = (3, 4, 5, 6, 8)


def edited_copies(paragraphs: list[str]) -> dict[str, list[str]]:
    """Copies of a text edited the way republishers edit wire copy."""
    rng = random.Random(0)

    def one_word_changed(paragraph: str) -> str:
        words = paragraph.split()
        words[rng.randrange(len(words))] = "edited"
        return " ".join(words)

    return {
        "credit lines": [
            "This article first appeared on The Ledgerline.",
            *paragraphs,
            "Copyright 2025 Wire Service. All rights reserved.",
        ],
        "last 25% cut": paragraphs[: len(paragraphs) * 3 // 4],
        "a word changed per paragraph": [one_word_changed(p) for p in paragraphs],
        "all of these": [
            "By staff and wire reports",
            *[one_word_changed(p) for p in paragraphs[:-2]],
        ],
    }


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    common = len(a & b)
    return common / (len(a) + len(b) - common) if common else 0.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench clusters", description=__doc__)
    parser.add_argument("--extra", type=int, default=500, help="extra articles (default 500)")
    parser.add_argument("--threshold", type=float, default=settings.CLUSTER_THRESHOLD)
    parser.add_argument("--shingle-words", type=int, default=settings.CLUSTER_SHINGLE_WORDS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    with SimWeb(extra_articles=args.extra) as web:
        articles = web.truth.articles
    texts = ["\n".join(a.paragraphs) for a in articles]
    kinds = [a.seed_id or ("on-topic" if a.on_topic else "off-topic") for a in articles]
    seed_000 = list(next(a.paragraphs for a in articles if a.seed_id == "000"))
    edits = edited_copies(seed_000)
    print(f"{len(articles)} articles ({args.extra} extra), {len(edits)} edited copies of 000\n")

    rows = []
    print(f"{'words':>5}  {'copy':>6}  {'edited copy':>11}  {'rewrites':>8}  {'other':>6}")
    for size in SIZES:
        sets = [shingles(text, size) for text in texts]
        best = {"copy": 0.0, "rewrites": 0.0, "other": 0.0}
        for i, j in itertools.combinations(range(len(texts)), 2):
            pair = {kinds[i], kinds[j]}
            if pair == {"000", "002"}:
                kind = "copy"
            elif pair <= {"000", "001", "003", "004"} and len(pair) == 2:
                kind = "rewrites"
            else:
                kind = "other"
            best[kind] = max(best[kind], jaccard(sets[i], sets[j]))
        base = shingles("\n".join(seed_000), size)
        edited = min(jaccard(base, shingles("\n".join(p), size)) for p in edits.values())
        rows.append({"shingle_words": size, "edited_copy_min": edited, **best})
        print(
            f"{size:>5}  {best['copy']:>6.3f}  {edited:>11.3f}  {best['rewrites']:>8.3f}  "
            f"{best['other']:>6.3f}"
        )

    options = ClusterOptions(threshold=args.threshold, shingle_words=args.shingle_words)
    all_texts = texts + ["\n".join(p) for p in edits.values()]
    all_kinds = kinds + [f"000 ({name})" for name in edits]
    started = time.perf_counter()
    signatures = [signature(text, options) for text in all_texts]
    signed = time.perf_counter() - started
    now = datetime.now(UTC)
    members = [Member(i, sig, None, now) for i, sig in enumerate(signatures)]
    started = time.perf_counter()
    found = assign(members, options)
    assigned = time.perf_counter() - started
    sizes = Counter(a.cluster_id for a in found.values())
    groups = [
        sorted(all_kinds[i] for i, a in found.items() if a.cluster_id == cluster)
        for cluster, size in sizes.items()
        if size > 1
    ]
    b, r = options.bands
    print(
        f"\nMinHash clustering, {options.shingle_words}-word shingles, threshold "
        f"{options.threshold:g}, {options.num_perm} permutations, {b} bands of {r}:"
    )
    for group in groups:
        print(f"  cluster of {len(group)}: {', '.join(group)}")
    print(f"  {sum(1 for s in sizes.values() if s == 1)} articles alone")
    per_article = signed / len(all_texts) * 1000
    print(f"  signatures: {per_article:.2f} ms per article; clustering: {assigned * 1000:.0f} ms")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "clusters.json"
    out.write_text(
        json.dumps(
            {
                "extra": args.extra,
                "similarity": rows,
                "options": options.params,
                "clusters": groups,
                "signature_ms_per_article": per_article,
                "clustering_ms": assigned * 1000,
            },
            indent=2,
        )
    )
    print(f"\nwritten to {out}")
    return 0
