"""The whole crawl on real pages against the extraction limit.

A local web serves the AEB article pages (`bench.aebweb`: links rewritten to 127.0.0.1, each page
under several paths to reach `--pages`), and a story file's one source is that web. Measured, each
as a whole process with its start-up:

- full: `newsarchive crawl` (fetch, WARC, extract in the process pool, store in SQLite, clusters);
- fetch only: the same crawl with `WARC_ENABLED`, `EXTRACT_ENABLED` and `DB_ENABLED` off;
- full with one extraction process (`EXTRACT_WORKERS=1`), to see what the pool gives;
- the limit: `trafilatura.extract` alone on the same bodies in a pool of one process per core
  (`bench.extractpool`); the same with the settings we give trafilatura (metadata, extensive date
  search, precision); and our `extract()` alone, the same way.

The ratio is full pages/s over the limit's (the goal is 0.8).

Each row gives the peak resident set of the largest single process and of the whole process
tree (summed PSS, sampled: bench/measure.py). `--scale` runs the full crawl alone, by default on
10,000 pages, to check memory stays bounded (the goal: both peaks under 500 MB).

    python -m bench crawl [--pages 1000] [--quick]
    python -m bench crawl --scale [--pages 10000] [--requisites PRIORITY ...]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import tempfile
from pathlib import Path
from typing import Any

from bench.aebweb import AebWeb
from bench.extractpool import EXTRACTORS
from bench.measure import Run, python, run

RESULTS = Path(__file__).parent / "results"
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS=32",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0",
    "-s", "LOG_LEVEL=WARNING",
    "-s", "REQUISITES_ENABLED=False",
]  # fmt: skip
FETCH_ONLY = ["-s", "WARC_ENABLED=False", "-s", "EXTRACT_ENABLED=False", "-s", "DB_ENABLED=False"]


def crawl(web: AebWeb, tmp: Path, name: str, settings: list[str]) -> Run:
    """One crawl of the whole web into a fresh data directory; checks every page was fetched,
    and nothing else unless `REQUISITES_ENABLED=True` is among `settings`."""
    story = tmp / "story.toml"
    story.write_text(web.story_toml())
    web.served.clear()
    result = run(
        python("-m", "crawler", "crawl", str(story), "--data", str(tmp / name), *FAST, *settings)
    )
    fetched = web.served.get("p", 0)
    if "REQUISITES_ENABLED=True" in settings:
        # what the pages load is asked for wherever their links point (rewritten ones below
        # /x/, root-relative ones anywhere on this web, relative ones below /p/ too); all 404
        if fetched < web.pages:
            raise SystemExit(f"{name}: {fetched} article pages fetched, expected {web.pages}")
        return result
    if fetched != web.pages:
        raise SystemExit(f"{name}: {fetched} article pages fetched, expected {web.pages}")
    others = web.served.keys() - {"p", "/", "/sitemap.xml", "/robots.txt"}
    if others:  # a link followed out of an article page: the bench would measure more than it says
        raise SystemExit(f"{name}: fetched more than the pages: {sorted(others)}")
    return result


def limit(web: AebWeb, tmp: Path, workers: int, extractor: str) -> Run:
    """Extraction alone on the web's bodies in `workers` processes (see bench.extractpool)."""
    templates = tmp / "templates.pickle"
    if not templates.exists():
        templates.write_bytes(pickle.dumps(web.templates))
    return run(
        python(
            "-m", "bench.extractpool", str(templates), "--pages", str(web.pages),
            "--local", web.local, "--workers", str(workers), "--extractor", extractor,
        )
    )  # fmt: skip


def table(rows: dict[str, dict[str, float]]) -> None:
    print(
        f"{'run':<42} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'CPU/page':>9} "
        f"{'peak RSS':>9} {'tree PSS':>9}"
    )
    for name, row in rows.items():
        print(
            f"{name:<42} {row['pages']:>6.0f} {row['wall_s']:>7.1f} {row['pages_per_s']:>8.1f} "
            f"{row['cpu_ms_per_page']:>7.1f}ms {row['peak_rss_mb']:>6.0f} MB "
            f"{row['peak_tree_mb']:>6.0f} MB"
        )


def write(name: str, pages: int, runs: dict[str, dict[str, float]], **extra: Any) -> None:
    """bench/results/NAME.json: the runs, the ratios and the machine's state."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": name,
                "pages": pages,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "load_average": os.getloadavg(),
                "runs": runs,
                **extra,
            },
            indent=2,
        )
    )
    print(f"written {out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench crawl", description=__doc__)
    parser.add_argument("--pages", type=int, help="pages in the web (default 1000; --scale 10000)")
    parser.add_argument("--quick", action="store_true", help="200 pages")
    parser.add_argument(
        "--requisites",
        type=int,
        nargs="*",
        default=[],
        metavar="PRIORITY",
        help="with --scale: also crawl with page requisites on, at each REQUISITES_PRIORITY given",
    )
    parser.add_argument(
        "--scale", action="store_true", help="the full crawl alone: memory on a large web"
    )
    return parser


def scale(pages: int, requisites: list[int]) -> int:
    """The full crawl alone on `pages` pages: its rate and both memory peaks. With `requisites`,
    again with page requisites on (each page loads about 40, all distinct: the worst case for
    the queue), once per `REQUISITES_PRIORITY` given."""
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as name, AebWeb(pages) as web:
        runs["full"] = crawl(web, Path(name), "full", []).row(pages)
        for priority in requisites:
            settings = ["-s", "REQUISITES_ENABLED=True", "-s", f"REQUISITES_PRIORITY={priority}"]
            key = f"full, requisites at priority {priority}"
            runs[key] = crawl(web, Path(name), f"req{priority}", settings).row(pages)
            runs[key]["requests_beyond_the_pages"] = sum(web.served.values()) - pages
    table({f"{key} (scale)": row for key, row in runs.items()})
    row = runs["full"]
    bounded = row["peak_rss_mb"] < 500 and row["peak_tree_mb"] < 500
    print(f"both peaks under 500 MB: {'yes' if bounded else 'NO'}")
    write("crawl-scale", pages, runs, bounded=bounded)
    return 0 if bounded else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.scale:
        return scale(args.pages or 10_000, args.requisites)
    pages = 200 if args.quick else (args.pages or 1000)
    cores = os.cpu_count() or 1

    labels = {
        "full": f"full pipeline, {cores} extraction procs",
        "full-1": "full pipeline, 1 extraction proc",
        "fetch": "fetch only (no WARC, extraction, DB)",
        "trafilatura": f"limit: trafilatura.extract, {cores} procs",
        "trafilatura-meta": f"trafilatura.extract as we set it, {cores} procs",
        "ours": f"our extract() alone, {cores} procs",
    }
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as name, AebWeb(pages) as web:
        tmp = Path(name)
        runs["full"] = crawl(web, tmp, "full", []).row(pages)
        runs["full-1"] = crawl(web, tmp, "full-1", ["-s", "EXTRACT_WORKERS=1"]).row(pages)
        runs["fetch"] = crawl(web, tmp, "fetch", FETCH_ONLY).row(pages)
        for extractor in EXTRACTORS:
            runs[extractor] = limit(web, tmp, cores, extractor).row(pages)

    rows = {labels[key]: runs[key] for key in labels}
    table(rows)
    rate = {key: row["pages_per_s"] for key, row in runs.items()}
    ratios = {
        "full_over_limit": rate["full"] / rate["trafilatura"],
        "full_over_our_extract": rate["full"] / rate["ours"],
        "our_extract_over_trafilatura": rate["ours"] / rate["trafilatura"],
        "trafilatura_as_set_over_defaults": rate["trafilatura-meta"] / rate["trafilatura"],
        "pool_speedup": rate["full"] / rate["full-1"],
    }
    print(
        f"full / limit (trafilatura alone): {ratios['full_over_limit']:.2f} (goal 0.8); "
        f"full / our extract() alone: {ratios['full_over_our_extract']:.2f}\n"
        f"our extract() / trafilatura: {ratios['our_extract_over_trafilatura']:.2f}; "
        "trafilatura as we set it / its defaults: "
        f"{ratios['trafilatura_as_set_over_defaults']:.2f}\n"
        f"{cores} extraction processes vs 1: {ratios['pool_speedup']:.2f}x pages/s"
    )
    write("crawl", pages, rows, **ratios)
    return 0
