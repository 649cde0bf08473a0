"""Repairs before extraction: a body split into parts is joined, embedded posts leave their box."""

from __future__ import annotations

import lxml.html

from crawler.extraction.body import join_split_body, unwrap_embedded_posts
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from tests.extraction.pages import make_page

SENTENCE = "The council voted against the second phase of the harbour project on Tuesday evening."


def part(label: str, paragraphs: int = 5) -> str:
    body = "".join(f"<p>{label} {i}. {SENTENCE}</p>" for i in range(paragraphs))
    return f"<div class='article__body body'>{body}</div>"


def split_page(*middle: str) -> bytes:
    return (
        "<html><head><title>Harbour plan</title></head><body><article><h1>Harbour plan</h1>"
        f"<div class='chunk'>{part('First part')}</div>"
        "<div class='ad'><p>Advertisement</p></div>"
        f"{''.join(middle)}"
        f"<div class='chunk'>{part('Second part')}</div>"
        "</article></body></html>"
    ).encode()


def test_the_parts_of_a_split_body_are_joined_in_order() -> None:
    tree = lxml.html.fromstring(split_page())
    assert join_split_body(tree) == 1
    bodies = tree.find_class("article__body")
    assert len(bodies) == 1
    text = bodies[0].text_content()
    assert text.index("First part 4") < text.index("Second part 0")
    assert "Advertisement" not in text


def test_small_boxes_that_share_the_body_class_are_not_parts() -> None:
    tree = lxml.html.fromstring(split_page(part("Caption", paragraphs=1)))
    assert join_split_body(tree) == 1
    assert "Caption 0" not in tree.find_class("article__body")[0].text_content()


def test_extraction_keeps_every_part_of_a_split_body() -> None:
    article = extract(make_page(split_page()), ExtractOptions()).article
    assert article is not None
    assert "First part 0" in article.text and "Second part 4" in article.text


TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en">The ferry is cancelled again today, '
    'third time this week <a href="https://t.co/x">pic.twitter.com/x</a></p>'
    '— Harbour Watch (@harbourwatch) <a href="https://twitter.com/h/1">February 4, 2025</a>'
    "</blockquote>"
)


def test_an_embedded_post_takes_the_place_of_its_box() -> None:
    tree = lxml.html.fromstring(
        f"<html><body><p>Before.</p><div class='social-embed'><div class='inner'>{TWEET}"
        "<script>load()</script></div></div>after<p>After.</p></body></html>"
    )
    assert unwrap_embedded_posts(tree) == 1
    quote = tree.find(".//blockquote")
    assert quote.getparent().tag == "body" and not tree.find_class("social-embed")
    assert quote.tail == "after"


def test_a_box_with_more_than_the_post_is_left_alone() -> None:
    tree = lxml.html.fromstring(
        f"<html><body><div class='social'><h3>Share this</h3>{TWEET}</div></body></html>"
    )
    assert unwrap_embedded_posts(tree) == 0


def test_extraction_keeps_an_embedded_post_from_a_social_box() -> None:
    story = "".join(f"<p>Paragraph {i}. {SENTENCE}</p>" for i in range(6))
    html = (
        "<html><body><article><h1>Harbour plan</h1>"
        f"{story}<div class='social-media-embed'>{TWEET}</div>{story}"
        "</article></body></html>"
    )
    article = extract(make_page(html.encode()), ExtractOptions()).article
    assert article is not None
    assert "The ferry is cancelled again today" in article.text
