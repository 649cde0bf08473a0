"""Labelled article-extraction corpora, read where they lie, and their scorers.

A corpus is a directory with `ground-truth.json` and `html/<id>.html.gz` (the layout of AEB and of
every set in the project's shared `bench/` folder; see its README). Two kinds of reference:

- **full text** (`articleBody`): scored with AEB's metric (bench/aeb.py: 4-token shingles,
  precision and recall averaged over pages, F1 of the averages). On every corpus but AEB (scored
  exactly as its README says) CJK characters are one token each (`aeb.tokens(split_cjk=True)`),
  so that Chinese and Japanese pages are not one token per sentence;
- **snippets** (`with` / `without`, trafilatura's evaluation corpus): scored the way trafilatura
  scores it (its `tests/eval_common.py`): spacing collapsed, a `with` snippet found in the
  extraction is a true positive (else a false negative), a `without` snippet found is a false
  positive (else a true negative), the four counts summed over all pages.

The repository keeps AEB (`bench/data/aeb`) and a small licensed sample of the other sets for the
tests (`tests/bench/data/corpora`); the full sets (about 80 MB) are read from the shared folder.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bench import aeb

ENV = "NEWSARCHIVE_BENCH_CORPORA"
"""A directory of corpora to use instead of the shared folder."""

AEB_FETCHED_AT = datetime(2020, 6, 1, tzinfo=UTC)
"""A capture time after every AEB page was published (they were collected in 2019-2020)."""
LATE_FETCHED_AT = datetime(2026, 9, 1, tzinfo=UTC)
"""The capture time of a page whose corpus does not say when it was fetched: after all of them."""

UTF8_CORPORA = frozenset({"aeb", "fundus-fixtures"})
"""Corpora whose READMEs say every page is UTF-8 (served with that charset); the others are
decoded like a browser would (meta charset, then detection)."""

SCORED_KINDS = {"readability-testpages": "real"}
"""Corpora scored on part of their pages: Readability's 37 synthetic unit-test pages (mostly lorem
ipsum, one cleaning rule each) are left out, its 93 real pages are scored."""

Kind = Literal["full", "snippets"]


@dataclass(frozen=True, slots=True)
class CorpusPage:
    """One labelled page: its HTML (gunzipped, still bytes) and its reference."""

    id: str
    url: str
    """The page's URL, its declared canonical URL, or a placeholder under `bench.invalid`."""
    html: bytes
    truth: str = ""
    """The full reference text ('' on a snippet corpus)."""
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()
    fetched_at: datetime = LATE_FETCHED_AT


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    kind: Kind
    pages: list[CorpusPage] = field(repr=False)
    utf8: bool = False


def default_root(start: Path | None = None) -> Path | None:
    """`$NEWSARCHIVE_BENCH_CORPORA`, else the nearest `shared/bench` beside the repository or one
    of its parents (`../shared/bench` from a checkout in `/work/main`), else None."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    here = (start or Path(__file__).resolve().parent.parent).resolve()
    for directory in (here, *here.parents):
        candidate = directory.parent / "shared" / "bench"
        if candidate.is_dir() and (candidate / "aeb").is_dir():
            return candidate
    return None


def corpus_dirs(root: Path) -> list[Path]:
    """The corpora under `root` (each sub-directory with a ground truth and pages), by name; `root`
    itself when it is one corpus."""
    if _is_corpus(root):
        return [root]
    return sorted(d for d in root.iterdir() if d.is_dir() and _is_corpus(d))


def _is_corpus(directory: Path) -> bool:
    return (directory / "ground-truth.json").is_file() and (directory / "html").is_dir()


def load(directory: Path, name: str | None = None) -> Corpus:
    """Every scored page of the corpus in `directory`, in id order."""
    name = name or directory.name
    raw: dict[str, dict[str, object]] = json.loads(
        (directory / "ground-truth.json").read_text(encoding="utf-8")
    )
    kind: Kind = "snippets" if any("with" in v for v in raw.values()) else "full"
    wanted_kind = SCORED_KINDS.get(name)
    pages = []
    for key in sorted(raw):
        entry = raw[key]
        if wanted_kind is not None and entry.get("kind") != wanted_kind:
            continue
        path = directory / "html" / f"{key}.html.gz"
        if not path.is_file():
            continue  # a sample keeps only some pages of a ground truth
        pages.append(
            CorpusPage(
                id=key,
                url=_url(name, key, entry),
                html=gzip.decompress(path.read_bytes()),
                truth=str(entry.get("articleBody") or ""),
                with_snippets=tuple(_strings(entry.get("with"))),
                without_snippets=tuple(_strings(entry.get("without"))),
                fetched_at=_fetched_at(name, entry),
            )
        )
    if not pages:
        raise SystemExit(f"corpus {name} in {directory} has no pages to score")
    utf8 = name in UTF8_CORPORA or name.startswith("aeb")
    return Corpus(name=name, kind=kind, pages=pages, utf8=utf8)


def _url(corpus: str, key: str, entry: Mapping[str, object]) -> str:
    for name in ("url", "declared_url"):
        value = entry.get(name)
        if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
            return value.strip()
    return f"https://bench.invalid/{corpus}/{key}"


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _fetched_at(corpus: str, entry: Mapping[str, object]) -> datetime:
    if corpus.startswith("aeb"):
        return AEB_FETCHED_AT
    crawled = entry.get("crawl_date")
    if isinstance(crawled, str):
        try:
            return datetime.fromisoformat(crawled).replace(tzinfo=UTC)
        except ValueError:
            pass
    return LATE_FETCHED_AT


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    """Precision, recall and F1 of one system on one corpus (or part of it)."""

    precision: float
    recall: float
    f1: float
    pages: int

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class SnippetCounts:
    """trafilatura's counts on one page."""

    tp: int
    fn: int
    fp: int
    tn: int


def snippet_counts(prediction: str, page: CorpusPage) -> SnippetCounts:
    """How `prediction` meets the page's snippets (an empty prediction finds none)."""
    text = _collapse(prediction)
    found = [bool(text) and _collapse(s) in text for s in page.with_snippets]
    avoided = [not (bool(text) and _collapse(s) in text) for s in page.without_snippets]
    return SnippetCounts(
        tp=sum(found),
        fn=len(found) - sum(found),
        fp=len(avoided) - sum(avoided),
        tn=sum(avoided),
    )


def snippet_score(counts: Iterable[SnippetCounts]) -> Score:
    """Micro-averaged precision, recall and F1 = 2TP / (2TP + FP + FN)."""
    items = list(counts)
    tp, fn, fp = (sum(getattr(c, n) for c in items) for n in ("tp", "fn", "fp"))
    return Score(
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        f1=2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        pages=len(items),
    )


def score(
    corpus: Corpus, predictions: Mapping[str, str], ids: Iterable[str] | None = None
) -> Score:
    """The score of `predictions` on `corpus` (or on the pages `ids`), by the corpus's kind."""
    wanted = None if ids is None else set(ids)
    pages = [p for p in corpus.pages if wanted is None or p.id in wanted]
    if corpus.kind == "snippets":
        return snippet_score(snippet_counts(predictions.get(p.id, ""), p) for p in pages)
    split = _split_cjk(corpus)
    result = aeb.aggregate(aeb.score_page(predictions.get(p.id, ""), p.truth, split) for p in pages)
    return Score(result.precision, result.recall, result.f1, result.pages)


def _split_cjk(corpus: Corpus) -> bool:
    return not corpus.name.startswith("aeb")


def page_scores(corpus: Corpus, predictions: Mapping[str, str]) -> dict[str, list[float]]:
    """Per page: [precision, recall] (full text) or [tp, fn, fp, tn] (snippets)."""
    out: dict[str, list[float]] = {}
    for page in corpus.pages:
        prediction = predictions.get(page.id, "")
        if corpus.kind == "snippets":
            c = snippet_counts(prediction, page)
            out[page.id] = [c.tp, c.fn, c.fp, c.tn]
        else:
            s = aeb.score_page(prediction, page.truth, _split_cjk(corpus))
            out[page.id] = [round(s.precision, 4), round(s.recall, 4)]
    return out
