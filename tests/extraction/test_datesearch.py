"""htmldate's date candidates pre-filtered in C inside `extract()` (crawler.extraction.datesearch)
are the elements htmldate's own walk collects, on real pages as htmldate prunes them, and the
publication day found is the same."""

from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import htmldate.core
import pytest
import trafilatura
from htmldate.extractors import discard_unwanted
from htmldate.settings import CLEANING_LIST
from htmldate.utils import clean_html
from lxml.html import HtmlElement

from crawler.extraction import datesearch
from crawler.extraction.pagemeta import publication_day
from crawler.extraction.sweeps import python_sweeps

ROOT = Path(__file__).parents[2]
REAL_PAGES = sorted(
    [
        *sorted((ROOT / "bench/data/aeb/html").glob("*.html.gz"))[:40],
        *(ROOT / "tests/bench/data/corpora").glob("*/html/*.html.gz"),
    ]
)

CRAFTED = """<html><body><div><p>no attributes 2024-03-03</p>
<span itemprop="datePublished">3 March 2024</span><span itemprop="name">x</span>
<div class="byline">By A, 3 March 2024</div><div id="x" class="meta">m</div>
<div class="x" id="publish-date">first attribute class</div>
<p id="DATE">upper</p><footer>2024</footer><small>2023</small><!-- a comment -->
<div data-date="2024">data attribute only</div><i title="3 March 2024">t</i>
</div></body></html>"""


def _tree(path: Path) -> HtmlElement:
    tree = trafilatura.load_html(gzip.decompress(path.read_bytes()))
    assert tree is not None
    return tree


def _pruned(tree: HtmlElement) -> HtmlElement:
    """The tree as htmldate searches it (find_date's pruning)."""
    pruned: HtmlElement = discard_unwanted(clean_html(deepcopy(tree), CLEANING_LIST))
    return pruned


def test_it_is_installed() -> None:
    assert datesearch.INSTALLED
    assert htmldate.core.date_candidates is datesearch.date_candidates


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name)
def test_the_same_candidates_and_day_on_real_pages(path: Path) -> None:
    tree = _tree(path)
    for candidate_tree in (tree, _pruned(tree)):
        expected = datesearch._ORIGINAL(candidate_tree, True)
        with python_sweeps():
            assert datesearch.date_candidates(candidate_tree, True) == expected
    day = publication_day(tree, None, "2030-01-01")
    with python_sweeps():
        assert publication_day(tree, None, "2030-01-01") == day


def test_the_same_candidates_on_a_page_written_for_each_clause() -> None:
    tree = trafilatura.load_html(CRAFTED)
    assert tree is not None
    expected = datesearch._ORIGINAL(tree, True)
    # itemprop with "date"; a class cue; footer and small: in. Of id and class only the first in
    # source order counts ("meta", "publish-date" second), "DATE" is not "date", and the other
    # attributes and elements without any: out.
    assert [e.text_content()[:8] for e in expected] == ["3 March ", "By A, 3 ", "2024", "2023"]
    with python_sweeps():
        assert datesearch.date_candidates(tree, True) == expected


def test_outside_extract_and_in_the_fast_search_it_is_htmldates_walk() -> None:
    tree = trafilatura.load_html(CRAFTED)
    assert tree is not None
    calls: list[bool] = []

    def original(tree: HtmlElement, extensive: bool) -> list[HtmlElement]:
        calls.append(extensive)
        return []

    saved = datesearch._ORIGINAL
    datesearch._ORIGINAL = original
    try:
        assert datesearch.date_candidates(tree, True) == []
        with python_sweeps():
            assert datesearch.date_candidates(tree, False) == []
            assert datesearch.date_candidates(tree, True) != []
    finally:
        datesearch._ORIGINAL = saved
    assert calls == [True, False]


def test_an_htmldate_without_its_source_keeps_its_own_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed from .pyc files only, htmldate's source cannot be compared: the import of the
    extraction must not fail, and htmldate's own walk stays in place."""

    def no_source(function: object) -> str:
        raise OSError("could not get source code")

    monkeypatch.setattr(htmldate.core, "date_candidates", datesearch._ORIGINAL)
    monkeypatch.setattr(datesearch.inspect, "getsource", no_source)
    assert datesearch.install() is False
    assert htmldate.core.date_candidates is datesearch._ORIGINAL
