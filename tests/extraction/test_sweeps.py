"""trafilatura's whole-tree sweeps answered in Python inside `extract()` (crawler.extraction.sweeps)
select the elements its XPath expressions select, on real pages at every stage where trafilatura
runs them, and only inside `extract()`."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import trafilatura
from lxml.html import HtmlElement
from trafilatura import xpaths
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor

from crawler.extraction import sweeps
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from tests.extraction.pages import make_page

ROOT = Path(__file__).parents[2]
REAL_PAGES = sorted(
    [
        *sorted((ROOT / "bench/data/aeb/html").glob("*.html.gz"))[:60],
        *(ROOT / "tests/bench/data/corpora").glob("*/html/*.html.gz"),
    ]
)
INSTALLED = [
    (name, index)
    for name in (
        "RAW_TREE_PRUNE_XPATH",
        "REMOVE_COMMENTS_XPATH",
        "REMOVE_COMMENTS_AND_LISTS_XPATH",
        "BODY_XPATH",
        "OVERALL_DISCARD_XPATH",
    )
    for index, expression in enumerate(getattr(xpaths, name))
    if isinstance(expression, sweeps.Sweep)
]

# each selects or skips by one clause of the expressions (tags, attributes in source order)
CRAFTED = """<html><body>
<div id="comments-1">c</div><ul class="comment-list"><li>c</li></ul><ol id="disqus_thread">x</ol>
<section class="commentary">kept</section><details id="Comment">d</details>
<div class="infinite-scroll"><h1>the real one</h1></div>
<aside id="mvp-post-add-box"><h1>x</h1></aside>
<section class="elementor-share-buttons">s</section>
<div><p class="a">x</p><div class="post-content">first</div>
<div class="post-content">second</div></div>
<article itemprop="articleBody">b</article><main id="articleContent">m</main>
<div role="Navigation">n</div><span data-lp-replacement-content="">e</span>
<div class="cookie-x" id="main">first attribute class</div>
<div id="main" class="cookie-x">id first</div>
<p style="display: none" id="hiddenish">h</p><p class="x" id="reply-3">r</p>
<b id="reply-2" class="y">r</b>
<i aria-hidden="true">i</i><em class="a hide">e</em><div data-component="MostPopularStories">p</div>
</body></html>"""


def trees(html: bytes | str) -> list[HtmlElement]:
    """The page as trafilatura sweeps it: raw, cleaned, and cleaned with its tags converted."""
    options = Extractor(precision=True)
    raw = trafilatura.load_html(html)
    assert raw is not None
    cleaned = tree_cleaning(trafilatura.load_html(html), options)
    converted = convert_tags(tree_cleaning(trafilatura.load_html(html), options), options)
    return [raw, cleaned, converted]


def selected(expression: Any, tree: HtmlElement) -> list[Any]:
    return [(e.tag, e.sourceline, tuple(e.items())) for e in expression(tree)]


def test_every_translation_is_installed() -> None:
    assert sweeps.UNTRANSLATED == []
    assert len(INSTALLED) == 7


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name[:16])
def test_real_pages_give_the_xpath_selection(path: Path) -> None:
    html = gzip.decompress(path.read_bytes())
    for tree in trees(html):
        for name, index in INSTALLED:
            sweep = getattr(xpaths, name)[index]
            with sweeps.python_sweeps():
                ours = selected(sweep, tree)
            assert ours == selected(sweep.xpath, tree), (name, index)


@pytest.mark.parametrize(("name", "index"), INSTALLED)
def test_crafted_clauses_give_the_xpath_selection(name: str, index: int) -> None:
    sweep = getattr(xpaths, name)[index]
    for tree in trees(CRAFTED):
        with sweeps.python_sweeps():
            ours = selected(sweep, tree)
        assert ours == selected(sweep.xpath, tree)
    assert any(selected(sweep.xpath, tree) for tree in trees(CRAFTED))  # the page tests it


def test_python_answers_only_inside_extract() -> None:
    sweep = xpaths.OVERALL_DISCARD_XPATH[0]
    assert isinstance(sweep, sweeps.Sweep)
    calls: list[int] = []
    original = sweep.select

    def counting(tree: HtmlElement) -> Any:
        calls.append(1)
        return original(tree)

    page = CRAFTED.replace("<body>", "<body><article><p>" + "Words of the story. " * 60 + "</p>")
    with mock.patch.object(sweep, "select", counting):
        trafilatura.extract(page)
        assert calls == []  # trafilatura called directly runs its own XPath
        extract(make_page(page.encode()), ExtractOptions())
        assert calls  # our extract() the Python walk
