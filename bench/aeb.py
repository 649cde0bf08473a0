"""The article-extraction benchmark (AEB, Zyte/scrapinghub): its pages and its scorer.

The scorer follows the metric as the benchmark's README states it, written here rather than
imported so that it has no dependencies and can be unit-tested:

- tokens are the runs of `\\w` characters, case kept (with `split_cjk`, which the other corpora
  use, a CJK ideograph or kana is a token of its own: `\\w+` would make a whole Chinese or
  Japanese sentence one token; AEB is scored as its README says, without it);
- a text is the multiset of its 4-token shingles (a text of 1 to 3 tokens is one shingle of all
  its tokens; a text without tokens has none);
- per page, matches are the shingles the prediction and the truth share (the smaller count of
  each), extras the predicted shingles beyond that and misses the true shingles beyond that;
  precision = matches / (matches + extras), recall = matches / (matches + misses), both 1 when
  there are neither extras nor misses;
- precision is averaged over the pages with any predicted shingle, recall over the pages with
  any true shingle, and F1 is the harmonic mean of the two averages.

Per-page precision and recall are ratios, so a long page weighs no more than a short one; the
README's normalisation of the three counts by their sum leaves them unchanged.

The data directory holds `html/<id>.html.gz`, `ground-truth.json` and the published predictions
in `output/<system>.json`; `bench/data/aeb` is a copy (MIT, with its LICENSE).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).parent / "data" / "aeb"
SOURCE = "https://github.com/scrapinghub/article-extraction-benchmark"
SHINGLE = 4
_CJK = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(r"\w+")
_CJK_TOKEN = re.compile(f"(?=[{_CJK}])\\w|[^\\W{_CJK}]+")


def tokens(text: str, split_cjk: bool = False) -> list[str]:
    """The benchmark's tokens: runs of word characters, case kept (each CJK character alone with
    `split_cjk`)."""
    return (_CJK_TOKEN if split_cjk else _TOKEN).findall(text)


def shingles(text: str, n: int = SHINGLE, split_cjk: bool = False) -> Counter[tuple[str, ...]]:
    """The multiset of `n`-token shingles of `text` (one shingle when it has 1 to n-1 tokens)."""
    words = tokens(text, split_cjk)
    if not words:
        return Counter()
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)))


@dataclass(frozen=True, slots=True)
class PageScore:
    """Shingle counts of one page: shared, predicted only, true only."""

    matches: int
    extras: int
    misses: int

    @property
    def precision(self) -> float:
        if self.extras == 0 and self.misses == 0:
            return 1.0
        return self.matches / (self.matches + self.extras) if self.matches + self.extras else 0.0

    @property
    def recall(self) -> float:
        if self.extras == 0 and self.misses == 0:
            return 1.0
        return self.matches / (self.matches + self.misses) if self.matches + self.misses else 0.0


def score_page(prediction: str, truth: str, split_cjk: bool = False) -> PageScore:
    """How the shingles of `prediction` match those of `truth`."""
    predicted = shingles(prediction, split_cjk=split_cjk)
    true = shingles(truth, split_cjk=split_cjk)
    matches = sum((predicted & true).values())
    return PageScore(
        matches=matches,
        extras=sum(predicted.values()) - matches,
        misses=sum(true.values()) - matches,
    )


@dataclass(frozen=True, slots=True)
class Score:
    """The benchmark's figures over a set of pages."""

    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def aggregate(scores: Iterable[PageScore]) -> Score:
    """Precision averaged over pages with a prediction, recall over pages with a truth."""
    pages = list(scores)
    predicted = [s.precision for s in pages if s.matches + s.extras]
    true = [s.recall for s in pages if s.matches + s.misses]
    return Score(
        precision=sum(predicted) / len(predicted) if predicted else 0.0,
        recall=sum(true) / len(true) if true else 0.0,
        pages=len(pages),
    )


def evaluate(predictions: Mapping[str, str], truths: Mapping[str, str]) -> Score:
    """Score `predictions` against `truths`; every page of the truth must have a prediction."""
    missing = sorted(set(truths) - set(predictions))
    if missing:
        raise ValueError(f"{len(missing)} page(s) without a prediction, e.g. {missing[0]}")
    return aggregate(score_page(predictions[key], truths[key]) for key in sorted(truths))


@dataclass(frozen=True, slots=True)
class Page:
    """One benchmark page: its id, URL, HTML (decompressed, still bytes) and true body."""

    id: str
    url: str
    html: bytes
    truth: str


def check_dir(directory: Path) -> Path:
    """`directory` if it holds the benchmark, else a SystemExit that says where to get it."""
    if not (directory / "ground-truth.json").is_file() or not (directory / "html").is_dir():
        raise SystemExit(
            f"no article-extraction benchmark in {directory}: expected ground-truth.json and "
            f"html/<id>.html.gz there. Get it from {SOURCE} (its html/ and ground-truth.json) "
            f"and pass the directory with --aeb DIR."
        )
    return directory


def load_truth(directory: Path) -> dict[str, tuple[str, str]]:
    """Page id -> (URL, true article body)."""
    raw = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    return {key: (value["url"], value["articleBody"] or "") for key, value in raw.items()}


def load_pages(directory: Path) -> list[Page]:
    """Every page of the benchmark, in id order (the HTML gunzipped, not decoded)."""
    truth = load_truth(check_dir(directory))
    return [
        Page(
            id=key,
            url=url,
            html=gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes()),
            truth=body,
        )
        for key, (url, body) in sorted(truth.items())
    ]


def load_predictions(path: Path) -> dict[str, str]:
    """A published prediction file, plain `{id: {"articleBody": …}}` or wrapped in `output`."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if "output" in raw and isinstance(raw["output"], dict):
        raw = raw["output"]
    return {key: value.get("articleBody") or "" for key, value in raw.items()}


def halves(ids: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """A fixed split of the pages into two halves, by the parity of their rank in id order.

    AEB has no separate dev and test sets; a change that helps on only one half is likely
    fitted to a few pages rather than general.
    """
    ordered = sorted(ids)
    return frozenset(ordered[0::2]), frozenset(ordered[1::2])
