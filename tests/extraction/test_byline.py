"""The author fallback without a copy of the tree (crawler.extraction.byline) gives trafilatura's
answer: on real pages, and on bylines whose text is cut by the elements trafilatura deletes."""

from __future__ import annotations

import gzip
from pathlib import Path
from unittest import mock

import lxml.html
import pytest
import trafilatura
import trafilatura.metadata
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author

from crawler.extraction import byline
from crawler.extraction.byline import fallback_author

ROOT = Path(__file__).parents[2]
REAL_PAGES = sorted(
    [
        *sorted((ROOT / "bench/data/aeb/html").glob("*.html.gz"))[:60],
        *(ROOT / "tests/bench/data/corpora").glob("*/html/*.html.gz"),
    ]
)

BYLINES = [
    # a <time> (deleted) inside the byline: its tail joins the text before it
    '<div class="byline">By <a href="/a">Jane Doe</a><time>3 May</time>, Paris</div>',
    '<div class="byline"><time>3 May</time>by Jane Doe</div>',
    '<span class="author">Jane<figure>pic</figure>Doe<figure>x</figure> and Max</span>',
    # the first candidate is inside a deleted sidebar; the next one counts
    '<div class="sidebar"><span class="author">Not Me</span></div><p class="author">Ann Lee</p>',
    # too short, then too long, then a good one, across the three expressions
    '<span class="author">Al</span><div class="byline">' + "word " * 40 + "</div>"
    '<p data-component="Byline">Sam Roe</p>',
    '<address class="x"><author>Kim Park</author></address>',
    '<div id="comments"><span rel="author">Spam Bot</span></div><a rel="author">Li Wei</a>',
    '<div class="writer-box">Text <div class="quote">q</div><div class="quote">r</div> tail</div>',
    "<p>No byline at all on this page.</p>",
]


def tree_of(html: str | bytes) -> HtmlElement:
    tree = trafilatura.load_html(html)
    assert tree is not None
    return tree


def test_the_translated_expressions_are_the_installed_trafilaturas() -> None:
    # fails on a trafilatura whose author expressions changed: check the translation, then
    # update TRANSLATED (until then fallback_author is trafilatura's own)
    assert byline.source_digest() == byline.TRANSLATED


@pytest.mark.parametrize("body", BYLINES)
def test_bylines_read_as_trafilatura_reads_them(body: str) -> None:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    assert fallback_author(tree_of(html)) == extract_author(tree_of(html))


def test_bylines_cut_by_deleted_elements() -> None:
    html = f"<html><body>{BYLINES[0]}</body></html>"
    assert fallback_author(tree_of(html)) == "Jane Doe; Paris"  # normalize_authors splits on ","


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name[:16])
def test_real_pages_give_trafilaturas_author(path: Path) -> None:
    html = gzip.decompress(path.read_bytes())
    assert fallback_author(tree_of(html)) == extract_author(tree_of(html))


def test_the_tree_is_neither_copied_nor_changed() -> None:
    html = "<html><body>" + "".join(BYLINES) + "</body></html>"
    tree = tree_of(html)
    before = lxml.html.tostring(tree)
    theirs = extract_author(tree_of(html))
    with mock.patch.object(trafilatura.metadata, "deepcopy", side_effect=AssertionError("copy")):
        assert fallback_author(tree) == theirs
    assert lxml.html.tostring(tree) == before


def test_a_page_the_translation_does_not_model_gets_trafilaturas_function() -> None:
    html = '<html><body><div class="author"><rel>me</rel>Jo Bo</div></body></html>'
    with mock.patch.object(byline, "extract_author", return_value="theirs") as theirs:
        assert fallback_author(tree_of(html)) == "theirs"
    assert theirs.called
