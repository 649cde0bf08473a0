"""What a page states about its article in its structured data, used as evidence paragraph by
paragraph (never as a replacement text).

Many news pages put the article's text in their schema.org JSON-LD (`articleBody`). It is not
taken as the article: it is often cut short (a teaser for search engines, the free part of a
walled story), stripped of subheadings, or stale. But a paragraph of the page that is also in the
`articleBody` is a paragraph of the article, whatever its container looks like.

- `declared_body(tree)`: the longest `articleBody` of the page's JSON-LD, as plain text;
- `widen(text, tree, body)`: when the extraction kept only part of the declared body (precision
  mode over-pruning a long article, a body split by widgets), the page's paragraphs that are in
  the declared body and missing from the text are put back, in their place in the page. Nothing
  is re-extracted: one pass over the page's paragraphs.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

WIDEN_BELOW = 0.8
"""The text is widened when the paragraphs it shares with the declared body hold less than this
share of the declared body's characters."""
MIN_BODY_CHARS = 400
"""A shorter declared body (a description, a teaser) is no evidence of what is missing."""
MIN_PARAGRAPH_WORDS = 4
"""Shorter paragraphs (a credit, a label) are never put back."""

_PARAGRAPHS = ("p", "h2", "h3", "h4", "li", "blockquote", "pre")
_NESTED = frozenset({"p", "li", "blockquote"})
_KEY = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]{0,2000}>")
_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def key(text: str) -> str:
    """`text` reduced for matching: its word characters, folded, one space between words."""
    return " ".join(_KEY.findall(text.casefold()))


def declared_body(tree: HtmlElement) -> str:
    """The longest `articleBody` stated in the page's JSON-LD, as plain text ('' without one)."""
    best = ""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if "articleBody" not in raw:
            continue
        try:
            data = json.loads(_WRAPPERS.sub("", raw))
        except (ValueError, RecursionError):
            continue
        for value in _bodies(data):
            if len(value) > len(best):
                best = value
    if not best:
        return ""
    return html.unescape(_TAG.sub(" ", best)) if "<" in best or "&" in best else best


def _bodies(node: Any, depth: int = 0) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(node, list):
        for item in node:
            yield from _bodies(item, depth + 1)
    elif isinstance(node, dict):
        value = node.get("articleBody")
        if isinstance(value, str):
            yield value
        for child in node.values():
            if isinstance(child, dict | list):
                yield from _bodies(child, depth + 1)


def widen(text: str, tree: HtmlElement, body: str) -> str:
    """`text` with the page's paragraphs that the declared `body` holds and `text` lacks, each
    put after the last paragraph of `text` that precedes it in the page; `text` itself when it
    already holds most of `body` (`WIDEN_BELOW`)."""
    body_key = key(body)
    if len(body_key) < MIN_BODY_CHARS:
        return text
    lines = text.split("\n")
    line_keys = [key(line) for line in lines]
    covered = sum(len(k) for k in line_keys if k and k in body_key)
    if covered >= WIDEN_BELOW * len(body_key):
        return text

    text_key = "\n".join(line_keys)
    order: dict[str, int] = {}
    missing: list[tuple[int, str]] = []
    for index, element in enumerate(_paragraphs(tree)):
        content = " ".join(element.text_content().split())
        content_key = key(content)
        if not content_key:
            continue
        order.setdefault(content_key, index)
        if (
            content_key in body_key
            and content_key not in text_key
            and len(content_key.split()) >= MIN_PARAGRAPH_WORDS
        ):
            missing.append((index, content))
    if not missing:
        return text

    return _place(lines, line_keys, order, missing)


def _place(
    lines: list[str], line_keys: list[str], order: dict[str, int], missing: list[tuple[int, str]]
) -> str:
    """`lines` with the `missing` paragraphs (page index, text) each put after the last line
    that precedes it in the page (`order`: a paragraph's key to its page index)."""
    placed: list[tuple[int, int, int, str]] = []
    position = -1
    for seq, (line, line_key) in enumerate(zip(lines, line_keys, strict=True)):
        position = order.get(line_key, position)
        placed.append((position, 0, seq, line))
    seen: set[str] = set()
    for index, content in missing:
        if content not in seen:  # the same paragraph twice in the page (a pull quote)
            seen.add(content)
            placed.append((index, 1, 0, content))
    placed.sort(key=lambda item: item[:3])
    return "\n".join(item[3] for item in placed)


def _paragraphs(tree: HtmlElement) -> Iterator[HtmlElement]:
    """The page's paragraphs in document order: innermost ones (a list item holding paragraphs
    gives the paragraphs)."""
    for element in tree.iter(*_PARAGRAPHS):
        if element.tag in _NESTED and any(True for _ in element.iterdescendants(*_NESTED)):
            continue
        yield element
