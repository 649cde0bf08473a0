"""Extraction quality on every labelled corpus: our `extract()` against trafilatura's four
settings, on the same pages, each corpus scored its own way (bench/corpora.py).

    python -m bench extract-quality [--corpora DIR] [--only NAME ...] [--systems LIST] [--repeat N]

`--corpora` is a folder of corpora (or one corpus); by default the project's shared `bench/`
folder (`../shared/bench` beside the checkout, or `$NEWSARCHIVE_BENCH_CORPORA`). Without it, only
the repository's copy of AEB (`bench/data/aeb`) is scored, and the bench says so.

Each page goes through exactly the crawl's path: a `PageInput` built from the page's HTML and URL,
then `extract(page, ExtractOptions())`. A page that `extract()` rejects (too short, no text)
scores as an empty prediction, as it would be missing from the archive's articles. trafilatura
runs on the same decoded text (`decode_html` of the same `PageInput`, done before the clock
starts) through `trafilatura.extract(html, url=url, …)`: its defaults, `favor_precision=True`,
`favor_recall=True` and `fast=True`. On trafilatura's own corpus (snippets) every trafilatura
setting runs with comments off, as trafilatura's evaluation does; elsewhere with its defaults.

CPU time (`time.process_time`, the fastest of `--repeat` passes) is given per page for every
system. Scores are also given for two fixed halves of each corpus (by the parity of the page's
rank in id order), so that a change that helps on only one half shows. Sockets are refused while
extracting, and the bench fails if anything tried to open one: extraction must be pure.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import multiprocessing
import os
import platform
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import trafilatura

from bench import aeb, corpora
from crawler.core.page import PageInput, decode_html
from crawler.extraction import extract as extract_module
from crawler.extraction.extract import extract, extractor_name
from crawler.extraction.options import ExtractOptions

RESULTS = Path(__file__).parent / "results"
FETCHED_AT = corpora.AEB_FETCHED_AT


@dataclass(frozen=True, slots=True)
class Prepared:
    """A corpus page ready for every system: the crawl's `PageInput` and its decoded HTML."""

    id: str
    url: str
    page: PageInput
    html: str


Extractor = Callable[[Prepared], str]


def page_input(page: corpora.CorpusPage, utf8: bool) -> PageInput:
    """The `PageInput` the crawl would build for `page` (UTF-8 declared where the corpus is)."""
    content_type = "text/html; charset=utf-8" if utf8 else "text/html"
    return PageInput.saved(page.url, page.html, page.fetched_at, content_type)


def prepare(corpus: corpora.Corpus) -> list[Prepared]:
    out = []
    for page in corpus.pages:
        given = page_input(page, corpus.utf8)
        out.append(Prepared(id=page.id, url=page.url, page=given, html=decode_html(given)[1]))
    return out


def ours_on(page: PageInput, options: ExtractOptions | None = None) -> str:
    """The article text the crawl would store for `page`, or '' when it stores none."""
    article = extract(page, options or ExtractOptions()).article
    return article.text if article else ""


def ours(page: aeb.Page) -> str:
    """`ours_on` for an AEB page (its pages are UTF-8)."""
    return ours_on(
        page_input(
            corpora.CorpusPage(id=page.id, url=page.url, html=page.html, fetched_at=FETCHED_AT),
            utf8=True,
        )
    )


def _ours_prepared(page: Prepared, options: ExtractOptions) -> str:
    return ours_on(page.page, options)


def _trafilatura(page: Prepared, **kwargs: Any) -> str:
    return trafilatura.extract(page.html, url=page.url, **kwargs) or ""


def trafilatura_setting(**kwargs: Any) -> Callable[[Prepared], str]:
    return functools.partial(_trafilatura, **kwargs)


SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "precision": {"favor_precision": True},
    "recall": {"favor_recall": True},
    "fast": {"fast": True},
}
"""trafilatura's settings compared, by short name."""
SYSTEMS = ("ours", *SETTINGS)


def _unchanged_text(text: str, *args: object) -> str:
    return text


def _none(*args: object) -> int:
    return 0


_MAIN_TEXT = extract_module._main_text


def _no_fallback(facts: Any, options: ExtractOptions, favor: str) -> Any:
    """`_main_text`, but nothing for the balanced pass tried after a precision pass."""
    if favor != options.favor:
        return None
    return _MAIN_TEXT(facts, options, favor)


RULES: dict[str, tuple[str, Callable[..., object]]] = {
    "promotions": ("prune_promotions", _none),
    "teasers": ("prune_teasers", _none),
    "split-body": ("join_split_body", _none),
    "embedded-posts": ("unwrap_embedded_posts", _none),
    "balanced-fallback": ("_main_text", _no_fallback),
    "syndication-footer": ("strip_syndication_footer", _unchanged_text),
    "headline": ("strip_headline", _unchanged_text),
    "link-blocks": ("link_blocks", lambda tree: frozenset()),
    "teaser-lists": ("teaser_lists", lambda tree, url: frozenset()),
    "credits": ("strip_credits", _unchanged_text),
    "listing": ("is_listing", lambda text, tree, labels=None: False),
    "declared-body": ("declared_body", lambda tree: ""),
}
"""Our rules that `--without NAME` switches off (the name in `crawler.extraction.extract` and
what stands in for it), to see what each one is worth on every corpus."""
WITHOUT_OPTIONS = {"precision": {"favor": "balanced"}}
"""Rules that are options: `--without precision` extracts with `favor='balanced'`."""


@contextmanager
def without(rules: Sequence[str]) -> Iterator[ExtractOptions]:
    """Our rules `rules` switched off while inside; yields the options to extract with."""
    values: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for rule in rules:
            if rule in WITHOUT_OPTIONS:
                values.update(WITHOUT_OPTIONS[rule])
                continue
            name, stand_in = RULES[rule]
            stack.enter_context(mock.patch.object(extract_module, name, stand_in))
        yield ExtractOptions.from_mapping(values)


def systems_for(
    corpus: corpora.Corpus, names: Sequence[str], options: ExtractOptions | None = None
) -> dict[str, Extractor]:
    out: dict[str, Extractor] = {}
    for name in names:
        if name == "ours":
            out[name] = functools.partial(_ours_prepared, options=options or ExtractOptions())
        else:
            extra = {"include_comments": False} if corpus.kind == "snippets" else {}
            out[name] = trafilatura_setting(**SETTINGS[name], **extra)
    return out


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


_WORKER_EXTRACTOR: list[Extractor] = []


def _timed(page: Prepared) -> tuple[str, str, float]:
    with no_network() as attempts:
        started = time.process_time()
        text = _WORKER_EXTRACTOR[0](page)
        seconds = time.process_time() - started
    if attempts:
        raise RuntimeError(f"tried to use the network: {attempts[:3]}")
    return page.id, text, seconds


def run_parallel(
    extractor: Extractor, pages: list[Prepared], workers: int
) -> tuple[dict[str, str], float]:
    """Predictions in `workers` forked processes, and the mean CPU seconds per page (each call
    timed in its worker, so the figure is comparable with `run`'s, pool overhead aside)."""
    _WORKER_EXTRACTOR[:] = [extractor]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = pool.map(_timed, pages, chunksize=4)
    return {key: text for key, text, _ in done}, sum(s for *_, s in done) / max(1, len(done))


def run(extractor: Extractor, pages: list[Prepared], repeat: int) -> tuple[dict[str, str], float]:
    """Predictions for every page and the fastest pass's mean CPU seconds per page."""
    predictions: dict[str, str] = {}
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.process_time()
        predictions = {page.id: extractor(page) for page in pages}
        best = min(best, (time.process_time() - started) / max(1, len(pages)))
    return predictions, best


def report(corpus: corpora.Corpus, predictions: dict[str, str]) -> dict[str, Any]:
    """Scores on all pages and on each half, empty predictions, and each page's figures."""
    first, second = aeb.halves(p.id for p in corpus.pages)
    return {
        "all": corpora.score(corpus, predictions).as_dict(),
        "half_a": corpora.score(corpus, predictions, first).as_dict(),
        "half_b": corpora.score(corpus, predictions, second).as_dict(),
        "empty_pages": sum(1 for p in corpus.pages if not predictions.get(p.id, "").strip()),
        "pages": corpora.page_scores(corpus, predictions),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench extract-quality",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--corpora",
        type=Path,
        default=None,
        help="a folder of corpora, or one corpus (default: the shared bench folder, "
        f"${corpora.ENV}, else the repository's AEB copy)",
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="score this corpus only"
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, from {', '.join(SYSTEMS)} (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="passes to time (the fastest counts)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="extract in this many forked processes (CPU is then timed page by page; "
        "--repeat is ignored)",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=sorted({*RULES, *WITHOUT_OPTIONS}),
        help="switch one of our rules off (repeatable), to see what it is worth",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="where to write the results (default bench/results/extract-quality.json)",
    )
    parser.add_argument(
        "--predictions",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write every prediction to DIR/<corpus>/<system>.json",
    )
    return parser


def find_corpora(given: Path | None) -> tuple[list[Path], str | None]:
    """The corpus directories to score, and a note to print when the shared ones are missing."""
    if given is not None:
        if not given.is_dir():
            raise SystemExit(f"extract-quality: no such directory: {given}")
        found = corpora.corpus_dirs(given)
        if not found:
            raise SystemExit(
                f"extract-quality: no corpus in {given}: expected ground-truth.json and "
                "html/<id>.html.gz in it or in its sub-directories"
            )
        return found, None
    root = corpora.default_root()
    if root is None:
        note = (
            "the shared corpora were not found (looked for shared/bench beside the checkout and "
            f"its parents, and ${corpora.ENV}); scoring the repository's AEB copy only. "
            "Pass --corpora DIR to score others."
        )
        return [aeb.check_dir(aeb.DEFAULT_DIR)], note
    return corpora.corpus_dirs(root), None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.systems.split(",") if n.strip()]
    unknown = sorted(set(names) - set(SYSTEMS))
    if unknown or not names:
        raise SystemExit(f"extract-quality: unknown system(s) {unknown}; known: {SYSTEMS}")
    dirs, note = find_corpora(args.corpora)
    if args.only:
        dirs = [d for d in dirs if d.name in args.only]
        if not dirs:
            raise SystemExit(f"extract-quality: no corpus named {', '.join(args.only)}")
    if note:
        print(f"note: {note}")
    if args.without:
        print(f"ours without: {', '.join(args.without)}")
    with without(args.without) as options:
        return _score_all(args, dirs, names, options)


def _score_all(
    args: argparse.Namespace, dirs: list[Path], names: list[str], options: ExtractOptions
) -> int:

    results: dict[str, dict[str, Any]] = {}
    for directory in dirs:
        corpus = corpora.load(directory, "aeb" if directory == aeb.DEFAULT_DIR else None)
        prepared = prepare(corpus)
        rows: dict[str, dict[str, Any]] = {}
        for name, extractor in systems_for(corpus, names, options).items():
            if args.workers > 1:
                predictions, seconds = run_parallel(extractor, prepared, args.workers)
            else:
                with no_network() as attempts:
                    predictions, seconds = run(extractor, prepared, args.repeat)
                if attempts:
                    raise SystemExit(f"{name} tried to use the network: {attempts[:3]}")
            rows[name] = {**report(corpus, predictions), "ms_per_page": seconds * 1000}
            if args.predictions:
                out = args.predictions / corpus.name
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{name}.json").write_text(json.dumps(predictions, ensure_ascii=False))
        results[corpus.name] = {"kind": corpus.kind, "pages": len(corpus.pages), "systems": rows}
        print_corpus(corpus, rows)

    out = args.output or RESULTS / "extract-quality.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "extract-quality",
                "extractor": extractor_name(),
                "trafilatura": trafilatura.__version__,
                "corpora": {d.name: str(d) for d in dirs},
                "repeat": args.repeat,
                "workers": args.workers,
                "without": args.without,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
            },
            indent=1,
        )
    )
    print(f"written {out}")
    return 0


def print_corpus(corpus: corpora.Corpus, rows: dict[str, dict[str, Any]]) -> None:
    metric = "snippets, trafilatura's micro P/R/F1" if corpus.kind == "snippets" else "shingles"
    print(f"\n{corpus.name}: {len(corpus.pages)} pages ({metric}); halves A/B by rank in id order")
    print(
        f"{'system':<12} {'P':>6} {'R':>6} {'F1':>6}  {'F1 A':>6} {'F1 B':>6} "
        f"{'empty':>5} {'CPU ms/page':>11}"
    )
    for name, row in rows.items():
        print(
            f"{name:<12} {row['all']['precision']:>6.3f} {row['all']['recall']:>6.3f} "
            f"{row['all']['f1']:>6.3f}  {row['half_a']['f1']:>6.3f} {row['half_b']['f1']:>6.3f} "
            f"{row['empty_pages']:>5} {row['ms_per_page']:>11.1f}"
        )
    theirs = {n: r for n, r in rows.items() if n != "ours"}
    if "ours" in rows and theirs:
        best = max(theirs, key=lambda n: theirs[n]["all"]["f1"])
        gap = rows["ours"]["all"]["f1"] - theirs[best]["all"]["f1"]
        line = f"ours - best trafilatura ({best}): {gap:+.3f} F1"
        if "default" in rows:
            ratio = rows["ours"]["ms_per_page"] / max(rows["default"]["ms_per_page"], 1e-9)
            line += f"; CPU {ratio:.2f}x trafilatura default"
        print(line)
