"""Full-text search on a large archive: how long a search takes on --versions article versions,
and what the index costs to build and to keep.

A database at the revision before search (0004) is filled with synthetic articles, `--versions`
versions in all (two per article): about 300 words each, drawn from a 20,000-word vocabulary
with a Zipf-like spread, so that common words are in most texts and rare ones in a few. Planted
in them: "cecot" in 1 % of the articles, removed in the second version of a tenth of those;
"justice ministry" as a phrase in 0.5 %. The database is then upgraded to the latest revision,
which builds the index (timed), and each query is run `--repeat` times through
`storage.db.search` (the code `newsarchive search` runs), the median taken. CPU is this
process's (SQLite works in it); for PostgreSQL the server's work is in wall time only. Writing
1,000 more versions through the index (triggers, or the generated column) is timed against the
same insert into a table without it.

    python -m bench search [--versions 100000] [--db URL] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, insert

from crawler.core.search import parse
from crawler.services.search import ChangeKind, changes
from storage.db import models as m
from storage.db.engine import alembic_config, make_engine, upgrade
from storage.db.search import search
from storage.db.urls import url_hash

RESULTS = Path(__file__).parent / "results"
BEFORE_SEARCH = "0004_outcomes"
T0 = datetime(2025, 2, 1, tzinfo=UTC)
WORDS_PER_TEXT = 300
VOCABULARY = 20_000
QUERIES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("rare word", "cecot", {}),
    ("common word", "w3", {}),
    ("phrase", '"justice ministry"', {}),
    ("prefix", "w12*", {}),
    ("rare prefix", "cec*", {}),
    ("OR / NOT", "(cecot OR ministry) NOT w500", {}),
    ("rare, every version", "cecot", {"all_versions": True}),
    ("common, every version", "w3", {"all_versions": True}),
)


def vocabulary() -> tuple[list[str], list[float]]:
    words = [f"w{i}" for i in range(VOCABULARY)]
    weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
    return words, weights


def fill(engine: Engine, versions: int, rng: random.Random) -> None:
    """`versions` versions of `versions // 2` articles, written in bulk (no crawl)."""
    words, weights = vocabulary()
    articles = versions // 2
    with engine.begin() as conn:
        publisher = conn.execute(
            insert(m.Publisher)
            .values(name="Bench Daily", host="bench.example", url="http://bench.example/")
            .returning(m.Publisher.id)
        ).scalar_one()
    for start in range(0, articles, 1000):
        url_rows, version_rows = [], []
        for n in range(start, min(start + 1000, articles)):
            url = f"http://bench.example/{n}"
            url_rows.append(
                {
                    "id": n + 1,
                    "url_hash": url_hash(url),
                    "url": url,
                    "publisher_id": publisher,
                    "first_seen": T0,
                }
            )
            body = rng.choices(words, weights, k=WORDS_PER_TEXT)
            if n % 100 == 0:
                body[rng.randrange(WORDS_PER_TEXT)] = "cecot"
            if n % 200 == 1:
                at = rng.randrange(WORDS_PER_TEXT - 1)
                body[at : at + 2] = ["justice", "ministry"]
            second = list(body)
            if n % 1000 == 0:
                second = [w for w in second if w != "cecot"]
            second[rng.randrange(len(second))] = rng.choice(words)
            for number, text in ((1, body), (2, second)):
                seen = T0 + timedelta(seconds=n, days=number)
                version_rows.append(
                    {
                        "url_id": n + 1,
                        "version": number,
                        "title": f"Article {n}",
                        "authors": [],
                        "text": " ".join(text),
                        "text_sha256": f"{n:032d}{number:032d}",
                        "word_count": len(text),
                        "first_seen": seen,
                        "last_seen": seen,
                        "extractor": "bench",
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(m.Url), url_rows)
            conn.execute(insert(m.ArticleVersion), version_rows)


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median wall s, median CPU s of this process, last result)."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def write_cost(engine: Engine, rng: random.Random, base: int, rows: int = 1000) -> float:
    """Seconds to insert `rows` versions (of new articles, ids from `base`) in one
    transaction."""
    words, weights = vocabulary()
    urls = [
        {
            "id": base + n,
            "url_hash": url_hash(f"w:{base + n}"),
            "url": f"w:{base + n}",
            "first_seen": T0,
        }
        for n in range(rows)
    ]
    versions = [
        {
            "url_id": base + n,
            "version": 1,
            "title": "t",
            "authors": [],
            "text": " ".join(rng.choices(words, weights, k=WORDS_PER_TEXT)),
            "text_sha256": "0" * 64,
            "word_count": WORDS_PER_TEXT,
            "first_seen": T0,
            "last_seen": T0,
            "extractor": "bench",
        }
        for n in range(rows)
    ]
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(m.Url), urls)
        conn.execute(insert(m.ArticleVersion), versions)
    return time.perf_counter() - started


def write_costs(tmp: Path, db: str | None) -> tuple[float, float]:
    """Seconds to write 1,000 versions into a database without the index (at 0004) and with it,
    (on a SQLite file of its own, or on `db` once the queries are done)."""
    engine = make_engine(db or f"sqlite:///{tmp / 'writes.db'}")
    try:
        if db is None:
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), BEFORE_SEARCH)
            without = write_cost(engine, random.Random(1), 10_000_000)
        else:
            without = float("nan")  # the bench's database already has the index
        upgrade(engine)
        return without, write_cost(engine, random.Random(2), 20_000_000)
    finally:
        engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench search", description=__doc__)
    parser.add_argument("--versions", type=int, default=100_000, help="versions (100000)")
    parser.add_argument("--db", help="an empty database (default: a SQLite file in a temp dir)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (5)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        backend = engine.dialect.name
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), BEFORE_SEARCH)
        started = time.perf_counter()
        fill(engine, args.versions, rng)
        fill_s = time.perf_counter() - started
        started = time.perf_counter()
        upgrade(engine)  # builds the index over what is stored
        build_s = time.perf_counter() - started
        print(f"{args.versions:,} versions ({backend}): filled in {fill_s:.1f} s")
        print(f"index built by the migration in {build_s:.1f} s")
        print(f"\n{'query':<24} {'hits':>7} {'wall ms':>9} {'CPU ms':>8}")
        rows: list[dict[str, Any]] = []
        for label, text, options in QUERIES:
            query = parse(text)
            wall, cpu, result = timed(partial(search, engine, query, **options), args.repeat)
            rows.append({"query": label, "text": text, "hits": result.total, "wall_ms": wall * 1e3,
                         "cpu_ms": cpu * 1e3})  # fmt: skip
            print(f"{label:<24} {result.total:>7,} {wall * 1e3:>9.1f} {cpu * 1e3:>8.1f}")
        kinds: tuple[ChangeKind, ...] = ("removed", "added")
        for kind in kinds:
            query = parse("cecot")
            wall, cpu, found = timed(partial(changes, engine, query, kind), args.repeat)
            rows.append({"query": f"cecot --{kind}", "text": "cecot", "hits": len(found),
                         "wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3})  # fmt: skip
            label = f"cecot --{kind}"
            print(f"{label:<24} {len(found):>7,} {wall * 1e3:>9.1f} {cpu * 1e3:>8.1f}")
        engine.dispose()
        no_index_write, index_write = write_costs(Path(tmp), args.db)
        print(
            f"\n1,000 versions written in {no_index_write * 1e3:.0f} ms without the index, "
            f"{index_write * 1e3:.0f} ms with it"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "search.json"
    out.write_text(
        json.dumps(
            {
                "backend": backend,
                "versions": args.versions,
                "fill_s": fill_s,
                "index_build_s": build_s,
                "write_1000_ms": {"without": no_index_write * 1e3, "with": index_write * 1e3},
                "machine": platform.platform(),
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"written {out}")
    return 0
