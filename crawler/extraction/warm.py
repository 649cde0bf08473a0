"""What every extraction worker would load on its first pages, loaded once by the fork server.

The pool's fork server imports this module before it forks the workers
(`crawler.extraction.pool.PRELOAD`). Importing extraction is not enough: py3langid loads its
model (about 75 MB: numpy arrays and 100,000 Python objects) on the first text whose language is
not declared, and dateparser, justext and htmldate load their data on first use. Loaded here, the
workers share those pages with the fork server instead of each holding a copy (measured on a
1,000-page crawl: see docs/benchmarks.md, crawl --scale). `gc.freeze()` then moves everything
loaded so far out of the collector's generations, so the workers' collections never write to
those objects' headers, which would copy the pages they sit on.

jusText's stoplist is loaded here too, though the warm-up page never reaches trafilatura's jusText
fallback: on the first page that does, trafilatura joins the stopwords of every language
(154,000 strings, about 12 MB) and jusText keeps a lower-cased frozen set of them (16 MB more),
in each worker, for its whole life (tracemalloc after 181 AEB pages in one worker: 28 MB, the
largest thing a worker loads after the fork).
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import trafilatura.external
from justext.core import define_stoplist

from crawler.core.page import PageInput
from crawler.extraction.extract import extract
from crawler.extraction.metadata import detect_language
from crawler.extraction.options import ExtractOptions

_PARAGRAPH = (
    "The council met on Tuesday evening to discuss the new budget for the library, the swimming "
    "pool and the roads, and agreed to publish its decision before the end of the month."
)
PAGE = (
    "<html><head><title>A council meeting</title>"
    '<meta property="og:type" content="article">'
    '<meta property="article:published_time" content="2025-02-04T09:30:00+00:00">'
    "</head><body><article><h1>A council meeting</h1>"
    f"<p>By A. Reporter, 4 February 2025</p><p>{_PARAGRAPH}</p><p>{_PARAGRAPH}</p>"
    "</article></body></html>"
).encode()
"""A small article of our own, extracted once so that every library extraction uses is loaded."""


def page() -> PageInput:
    """The warm-up article as a fetched page."""
    return PageInput.saved(
        "http://warm.invalid/article",
        PAGE,
        datetime(2025, 2, 4, 12, tzinfo=UTC),
        "text/html; charset=utf-8",
    )


def stoplist() -> frozenset[str]:
    """jusText's stoplist for a page of undeclared language as trafilatura asks for it: every
    language's stopwords, lower-cased, in the frozen set jusText caches (`define_stoplist` is an
    `lru_cache` keyed by trafilatura's tuple, so the workers find it there)."""
    words = trafilatura.external.JT_STOPLIST or trafilatura.external.jt_stoplist_init()
    found: frozenset[str] = define_stoplist(words)
    return found


def warm() -> None:
    """Load the language model and the extractors' data, then freeze them out of the GC."""
    detect_language(_PARAGRAPH)
    extract(page(), ExtractOptions())
    stoplist()
    gc.collect()
    gc.freeze()


warm()
