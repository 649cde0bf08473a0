"""Repairs to a page's tree before trafilatura looks for the article body in it.

- trafilatura takes the first element that looks like an article body (its `BODY_XPATH`) and the
  text inside it. Some sites cut one body into several such elements, with ads or related links
  between them; only the first part would be kept. `join_split_body` puts the parts back
  together.
- A post quoted from a social network (an embedded tweet) is part of the story, but sites wrap it
  in a box whose class says "social" or "widget", which trafilatura discards as a sharing
  widget. `unwrap_embedded_posts` puts the quote in the box's place.
"""

from __future__ import annotations

from lxml.html import HtmlElement
from trafilatura.xpaths import BODY_XPATH

from crawler.core.normalise import count_words

MIN_PART_WORDS = 50
"""A part of a split body has at least this many words: small boxes that share the body's class
(captions, pull quotes, credits) are not parts of it."""


def join_split_body(tree: HtmlElement) -> int:
    """Move the parts of a split article body into its first part; returns how many were moved.

    Parts are the elements trafilatura's first body expression finds that have the same tag and
    class as the first one it finds, none inside another, each with `MIN_PART_WORDS` words.
    """
    found = [e for e in BODY_XPATH[0](tree) if isinstance(e, HtmlElement)]
    if len(found) < 2:
        return 0
    first = found[0]
    parts = [
        e
        for e in found
        if e.tag == first.tag
        and e.get("class") == first.get("class")
        and count_words(e.text_content()) >= MIN_PART_WORDS
    ]
    parts = [e for e in parts if not any(a in parts for a in e.iterancestors())]
    if len(parts) < 2:
        return 0
    head, rest = parts[0], parts[1:]
    for part in rest:
        if part.text and part.text.strip():
            lead = head.makeelement("p", {})
            lead.text = part.text
            head.append(lead)
        head.extend(list(part))
        part.drop_tree()
    return len(rest)


EMBEDDED_POST_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed")
"""Classes of the `<blockquote>` that social networks' embed codes put in a page."""
_WRAPPERS = frozenset({"div", "span", "figure", "section", "aside", "p"})


def unwrap_embedded_posts(tree: HtmlElement) -> int:
    """Replace the boxes around embedded posts by the posts; returns how many.

    A box is the outermost run of wrappers whose text is the post's and nothing else.
    """
    moved = 0
    for quote in list(tree.iter("blockquote")):
        classes = (quote.get("class") or "").split()
        if not any(name in classes for name in EMBEDDED_POST_CLASSES):
            continue
        text = _visible_text(quote)
        box = None
        parent = quote.getparent()
        while parent is not None and parent.tag in _WRAPPERS and _visible_text(parent) == text:
            box, parent = parent, parent.getparent()
        if box is None or parent is None:
            continue
        quote.tail = box.tail
        parent.replace(box, quote)
        moved += 1
    return moved


_INVISIBLE = frozenset({"script", "style", "noscript", "template"})


def _visible_text(element: HtmlElement) -> str:
    """The text of `element` without scripts, styles and comments, spacing collapsed."""
    pieces: list[str] = []

    def walk(node: HtmlElement) -> None:
        if isinstance(node.tag, str) and node.tag not in _INVISIBLE:
            pieces.append(node.text or "")
            for child in node:
                walk(child)
        pieces.append(node.tail or "" if node is not element else "")

    walk(element)
    return " ".join("".join(pieces).split())
