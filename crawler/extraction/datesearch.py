"""htmldate's collection of date-bearing elements, with the elements that cannot be one left out
in C, inside `extract()`.

htmldate's extensive search (`publication_day`, on pages that state no time of publication)
collects its candidates by calling `is_date_candidate`, a Python function, on every element of
the pruned page: about 850 calls per page on readability-testpages. That function says no to
every element without an `id`, `class` or `itemprop` attribute unless its tag is `footer` or
`small`, so an XPath that keeps only those elements (in document order, as the walk does) and
the same function on what it keeps give the same list.

Installed in htmldate's module only when its `date_candidates` and `is_date_candidate` have
the source this was written for (htmldate 1.11.0), and answering this way only inside
`python_sweeps()` (our `extract()`); elsewhere, and for the fast search (whose tags htmldate
already filters in C), it is htmldate's own. Tested on real pages in
tests/extraction/test_datesearch.py.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import htmldate.core
from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.extraction.sweeps import sweeping

Candidates = Callable[[HtmlElement, bool], list[HtmlElement]]

_ORIGINAL: Candidates = htmldate.core.date_candidates
_SOURCES = {"date_candidates": "1a25fbcbf26732d1", "is_date_candidate": "039589078a8684cf"}
"""The digests of the sources translated (`source_digest`)."""

_MAYBE = XPath("descendant::*[@id or @class or @itemprop or self::footer or self::small]")
"""The elements `is_date_candidate` can accept, and htmldate's `ALWAYS_TAGS`."""


def source_digest(function: Callable[..., Any]) -> str:
    """A short digest of a function's source."""
    return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()[:16]


def date_candidates(tree: HtmlElement, extensive_search: bool) -> list[HtmlElement]:
    """htmldate's `date_candidates`, the extensive search's walk pre-filtered in C inside
    `extract()`."""
    if not extensive_search or not sweeping():
        return _ORIGINAL(tree, extensive_search)
    always, accepts = htmldate.core.ALWAYS_TAGS, htmldate.core.is_date_candidate
    return [e for e in _MAYBE(tree) if e.tag in always or accepts(e)]


def install() -> bool:
    """Put `date_candidates` in htmldate's module if its functions are the ones translated;
    whether it is there."""
    if htmldate.core.date_candidates is date_candidates:
        return True
    for name, expected in _SOURCES.items():
        try:
            digest = source_digest(getattr(htmldate.core, name))
        except (OSError, TypeError):  # no source to compare (an install of .pyc files only)
            return False
        if digest != expected:
            return False
    if frozenset({"footer", "small"}) != htmldate.core.ALWAYS_TAGS:
        return False
    htmldate.core.date_candidates = date_candidates
    return True


INSTALLED = install()
