"""Appeals, promotions and syndication footers are dropped; the story around them is kept."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extraction.boilerplate import prune_promotions, strip_syndication_footer
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from tests.extraction.pages import make_page

STORY = " ".join(
    f"Paragraph {i} of the story tells what the minister said about the harbour plan and why "
    "the council voted against the second phase of the project on Tuesday evening."
    for i in range(8)
)


def page(inside: str, after: str = "") -> str:
    paragraphs = "".join(f"<p>{s}</p>" for s in STORY.split(". ") if s)
    return (
        "<html><head><title>Harbour plan</title></head><body><article><h1>Harbour plan</h1>"
        f"{inside}{paragraphs}{after}</article></body></html>"
    )


@pytest.mark.parametrize(
    "marks",
    [
        'class="support-box"',
        'class="promo"',
        'id="donate-panel"',
        'class="newsletter-signup"',
        'class="article__contribution-appeal"',
        'class="subscribe_cta"',
    ],
)
def test_appeal_boxes_inside_the_article_are_removed(marks: str) -> None:
    html = page(
        f"<div {marks}><h2>Your support helps us</h2><p>Give what you can today to "
        "keep independent journalism free for all our readers.</p></div>"
    )
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    assert "Your support helps us" not in extraction.article.text
    assert "Give what you can" not in extraction.article.text
    assert "Paragraph 7 of the story" in extraction.article.text


@pytest.mark.parametrize("marks", ['class="support"', 'class="supported-by"', 'id="promontory"'])
def test_words_that_only_look_alike_are_kept(marks: str) -> None:
    tree = lxml.html.fromstring(f"<html><body><div {marks}><p>Kept</p></div></body></html>")
    assert prune_promotions(tree) == 0
    assert "Kept" in tree.text_content()


def test_an_element_holding_the_headline_is_never_removed() -> None:
    tree = lxml.html.fromstring(
        '<html><body><div class="promo-layout"><h1>Title</h1><p>Body</p></div></body></html>'
    )
    assert prune_promotions(tree) == 0
    assert "Body" in tree.text_content()


def test_syndication_footers_are_dropped_only_at_the_end() -> None:
    text = (
        "This post was originally published on another site, the minister said.\n"
        "Second paragraph.\n"
        "This post was originally published on this site be sure to check out more.\n"
        "The post Harbour plan appeared first on Example News.\n"
        "Source link"
    )
    assert strip_syndication_footer(text) == (
        "This post was originally published on another site, the minister said.\nSecond paragraph."
    )
    assert strip_syndication_footer("Just a story.") == "Just a story."


def test_extraction_drops_a_trailing_footer() -> None:
    html = page("", '<p class="origin">This post was originally published on this site.</p>')
    extraction = extract(make_page(html.encode()), ExtractOptions())
    assert extraction.article is not None
    assert "originally published" not in extraction.article.text
    assert extraction.article.text.rstrip().endswith("Tuesday evening.")
