"""Is the text a list of other pages? Section, tag, topic and project pages are not articles.

A section or tag page has no story of its own: its main text is a list of teasers, each the
headline of another page (usually a link to it) with a line or two of blurb. When trafilatura
finds that list as the page's main text, it can be long enough to pass for an article, so the
decision (`crawler.extraction.extract`) asks what the text is made of:

- a *linked line*: at least half of its characters are the labels of the page's links (a
  teaser's headline, a row of a table of posts);
- a *teaser item*: a headline (the text of a subheading, `<dt>` or bold element, at most
  `HEADLINE_WORDS` words, without a full stop) followed by a blurb of at most `BLURB_WORDS`
  words.

When such lines hold `LISTING_SHARE` of the text's words, the text is a listing. Only pages that
do not declare themselves an article are asked: one that does is an article whatever its shape
(a list of facts, a live blog).
"""

from __future__ import annotations

from lxml.html import HtmlElement

from crawler.core.normalise import count_words

LISTING_SHARE = 0.6
"""The share of the text's words in linked lines and teaser items that makes it a listing."""
MIN_ITEMS = 5
"""Fewer linked lines and teaser items than this are a few links in a text, not a list."""
HEADLINE_WORDS = 10
BLURB_WORDS = 30
LINKED_SHARE = 0.5
_HEADLINE_TAGS = ("h2", "h3", "h4", "h5", "h6", "dt", "strong", "b")
_SENTENCE_END = (".", "!", "?", ":", "…", "。")


def listing_words(
    text: str, tree: HtmlElement, labels: frozenset[str] | None = None
) -> tuple[int, int]:
    """Words of `text` in linked lines and teaser items, and its words in all (see the module);
    (0, words) when there are fewer than `MIN_ITEMS` of them. `labels`: `link_labels(tree)`,
    when the caller has them already."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    words = [count_words(line) for line in lines]
    total = sum(words)
    found_labels = _labels_in(text, link_labels(tree) if labels is None else labels)
    linked = [_is_linked(line, found_labels) for line in lines]
    headings = {" ".join(element.text_content().split()) for element in tree.iter(*_HEADLINE_TAGS)}
    items = 0
    found = 0
    index = 0
    while index < len(lines):
        if linked[index]:
            items += 1
            found += words[index]
            index += 1
            continue
        if (
            index + 1 < len(lines)
            and words[index] <= HEADLINE_WORDS
            and lines[index] in headings
            and not lines[index].endswith(_SENTENCE_END)
            and words[index + 1] <= BLURB_WORDS
            and not linked[index + 1]
        ):
            items += 1
            found += words[index] + words[index + 1]
            index += 2
            continue
        index += 1
    return (found if items >= MIN_ITEMS else 0), total


def is_listing(text: str, tree: HtmlElement, labels: frozenset[str] | None = None) -> bool:
    """Whether `text` is mostly a list of other pages (see the module); `labels` as for
    `listing_words`."""
    found, total = listing_words(text, tree, labels)
    return total > 0 and found >= LISTING_SHARE * total


def link_labels(tree: HtmlElement) -> frozenset[str]:
    """The labels (spacing collapsed) of the page's links."""
    return frozenset(" ".join(a.text_content().split()) for a in tree.iter("a"))


def _labels_in(text: str, labels: frozenset[str]) -> list[str]:
    """The `labels` that occur in `text`."""
    flat = " ".join(text.split())
    return [label for label in labels if len(label) >= 3 and label in flat]


def _is_linked(line: str, labels: list[str]) -> bool:
    covered = sum(len(label) for label in labels if label in line)
    return covered >= LINKED_SHARE * len(line)
