"""Boilerplate that trafilatura keeps: appeals and promotions inside the article, syndication
footers under it.

Two general rules, neither tied to any site:

- An element whose class or id names a promotion or an appeal (promo, donate, contribute,
  subscribe, sign-up, paywall, support box…) is removed before extraction, unless it holds the
  page's headline or a whole article. News sites put such boxes inside the article container,
  where trafilatura's own filters (which know newsletters, sharing, ads) let them through.
- Trailing lines that are the footers of syndication and feed-aggregator plugins ("This post was
  originally published on …", "The post … appeared first on …", "Source link") are dropped from
  the end of the text. Only trailing lines: the same words inside a story are kept.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

PROMOTION_WORDS = frozenset(
    {
        "appeal",
        "contribute",
        "contribution",
        "contributions",
        "donate",
        "donation",
        "donations",
        "paywall",
        "promo",
        "promos",
        "promotion",
        "promotional",
        "signup",
        "subscribe",
        "subscription",
    }
)
"""Words that mark an element as a promotion wherever they occur in its class or id."""

SUPPORT_PAIRS = frozenset({"box", "banner", "us", "cta", "appeal", "module", "block"})
"""'support' marks an appeal only beside one of these ('support-box', 'support_us'): alone it
is too common (customer support pages, 'support' sections)."""

_SPLIT = re.compile(r"[^a-z0-9]+")
_CONTAINERS = frozenset({"div", "aside", "section", "p", "form", "figure", "span", "ul"})

SYNDICATION_FOOTER = re.compile(
    r"^(?:this (?:post|article|story) (?:was )?originally (?:published|appeared) (?:on|in)\b.*"
    r"|the post .+ appeared first on .+"
    r"|source link"
    r"|originally published (?:on|at|by)\b.*)$",
    re.IGNORECASE,
)


def _is_promotion(words: list[str]) -> bool:
    if PROMOTION_WORDS.intersection(words):
        return True
    return any(
        word == "support" and SUPPORT_PAIRS.intersection(words[max(i - 1, 0) : i + 2])
        for i, word in enumerate(words)
    )


def prune_promotions(tree: HtmlElement) -> int:
    """Remove promotion and appeal elements from `tree` in place; returns how many."""
    doomed = []
    for element in tree.iter(*_CONTAINERS):
        marks = f"{element.get('class', '')} {element.get('id', '')}".lower()
        if not marks.strip() or not _is_promotion([w for w in _SPLIT.split(marks) if w]):
            continue
        if element.find(".//h1") is not None or element.find(".//article") is not None:
            continue
        doomed.append(element)
    for element in doomed:
        element.drop_tree()  # keeps the text that follows the element inside its parent
    return len(doomed)


def strip_syndication_footer(text: str) -> str:
    """`text` without the syndication footers at its end."""
    lines = text.rstrip().split("\n")
    while lines and SYNDICATION_FOOTER.match(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)
