"""What a page shows and declares, read once for the access judgement (`crawler.extraction.access`).

- The *visible lines*: the text a reader would see, one line per block element, without scripts,
  styles and templates, folded (`crawler.core.normalise.fold`) for matching.
- The *paywall declaration*: schema.org JSON-LD `isAccessibleForFree: false`, anywhere in a
  script (top level, `@graph`, `hasPart`), the `cssSelector`s of the parts it says are not free,
  and the `wordCount` it states, as Google documents for paywalled content
  (https://developers.google.com/search/docs/appearance/structured-data/paywalled-content).
- The *parts*: what the page holds where those selectors point: nothing, a few words, a
  subscription offer, or text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from crawler.core.normalise import count_words, fold

_SKIPPED = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "select"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "button", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "label", "legend", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Line:
    """One visible line: its folded text and its number of words."""

    text: str
    words: int


def visible_lines(root: HtmlElement) -> list[Line]:
    """The visible text under `root`, one folded line per block, empty lines dropped.

    Changes the tree: scripts, styles and comments are taken out (their tails kept) and each
    block gets a line break before and after, so that lxml writes the text out in one call (a
    walk over the elements in Python took longer than everything else here)."""
    etree.strip_elements(root, etree.Comment, *_SKIPPED, with_tail=False)
    for element in root.iter(*_BLOCKS):
        _set(element, "text", "\n" + (element.text or ""))
        _set(element, "tail", "\n" + (element.tail or ""))
    text = etree.tostring(root, method="text", encoding="unicode")
    lines = [line for line in (" ".join(raw.split()) for raw in text.split("\n")) if line]
    # Folded in one piece (a call per line cost more than the walk), unless a line holds the
    # separator or folds into it.
    joined = "\x00".join(lines)
    folded = (joined.lower() if joined.isascii() else fold(joined)).split("\x00")
    if len(folded) != len(lines):
        folded = [fold(line) for line in lines]
    return [Line(text, count_words(line)) for text, line in zip(folded, lines, strict=True)]


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _set(element: HtmlElement, name: str, value: str) -> None:
    """Set an element's text or tail; lxml refuses control characters in a value, which its
    HTML parser lets into the tree, so those are dropped when it does."""
    try:
        setattr(element, name, value)
    except ValueError:
        setattr(element, name, _CONTROL.sub("", value))


def title_of(root: HtmlElement) -> str:
    """The page's `<title>`, folded and with spacing collapsed ('' when it has none)."""
    title = root.find(".//title")
    text = title.text_content() if title is not None else ""
    return _SPACE.sub(" ", fold(text)).strip()


PartState = Literal["missing", "empty", "offer", "text"]


@dataclass(frozen=True, slots=True)
class Declaration:
    """What a page's JSON-LD says about paying for it."""

    not_free: bool = False
    """`isAccessibleForFree` is false somewhere (false, "False", "false", schema.org/False)."""
    selectors: tuple[str, ...] = ()
    """The `cssSelector`s of the `hasPart`s that are not free."""
    word_count: int | None = None
    """The largest `wordCount` stated."""


@dataclass
class _Found:
    not_free: bool = False
    selectors: list[str] = field(default_factory=list)
    word_counts: list[int] = field(default_factory=list)


_JSON_LD = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[^>]*>(.*?)</script>",
    re.IGNORECASE | re.DOTALL,
)
_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
# When a script is not valid JSON, the properties are read from its text.
_NOT_FREE_TEXT = re.compile(r"\"isAccessibleForFree\"\s*:\s*\"?(?:[^\"]*/)?false\b", re.I)
_SELECTOR_TEXT = re.compile(r"\"cssSelector\"\s*:\s*\"([^\"]+)\"")
_WORD_COUNT_TEXT = re.compile(r"\"wordCount\"\s*:\s*\"?(\d+)")


def declaration(html: str) -> Declaration:
    """The paywall declaration of a page's JSON-LD (property names are case-sensitive, so the
    name is a cheap test that spares the pages without one)."""
    if "isAccessibleForFree" not in html:
        return Declaration()
    found = _Found()
    for match in _JSON_LD.finditer(html):
        script = _WRAPPERS.sub("", match.group(1))
        if "isAccessibleForFree" not in script and "wordCount" not in script:
            continue
        try:
            _walk(json.loads(script), found)
        except (ValueError, RecursionError):
            if _NOT_FREE_TEXT.search(script):
                found.not_free = True
                found.selectors += _SELECTOR_TEXT.findall(script)
            found.word_counts += [int(n) for n in _WORD_COUNT_TEXT.findall(script)]
    selectors = tuple(dict.fromkeys(s.strip() for s in found.selectors if s.strip()))
    return Declaration(
        not_free=found.not_free,
        selectors=selectors if found.not_free else (),
        word_count=max(found.word_counts, default=None),
    )


def _walk(node: Any, found: _Found) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
        return
    if not isinstance(node, dict):
        return
    if _is_false(node.get("isAccessibleForFree")):
        found.not_free = True
        if isinstance(node.get("cssSelector"), str | list):
            found.selectors += _strings(node["cssSelector"])
    count = node.get("wordCount")
    if isinstance(count, int | str) and str(count).strip().isdigit():
        found.word_counts.append(int(str(count).strip()))
    for value in node.values():
        if isinstance(value, dict | list):
            _walk(value, found)


def _is_false(value: Any) -> bool:
    if value is False:
        return True
    return isinstance(value, str) and value.strip().lower().rsplit("/", 1)[-1] in ("false", "no")


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


EMPTY_PART_WORDS = 10
"""A part with fewer words holds nothing of the article (a marker, a fade, a placeholder)."""
OFFER_PART_WORDS = 150
"""A part this short whose text is a subscription or log-in offer is the offer, not the article."""


def part_states(
    root: HtmlElement, selectors: tuple[str, ...], offer: re.Pattern[str]
) -> Iterator[tuple[str, PartState, int]]:
    """For each usable selector: what the page holds there, and how many words. `offer` tells
    an offer's text (folded) from the article's."""
    for selector in selectors:
        compiled = _compiled(selector)
        if compiled is None:
            continue
        try:
            elements = compiled(root)
        except (ValueError, TypeError):
            continue
        text = " ".join(e.text_content() for e in elements if isinstance(e, HtmlElement))
        words = count_words(text)
        if not elements:
            yield selector, "missing", 0
        elif words < EMPTY_PART_WORDS:
            yield selector, "empty", words
        elif words < OFFER_PART_WORDS and offer.search(fold(_SPACE.sub(" ", text))):
            yield selector, "offer", words
        else:
            yield selector, "text", words


@lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector | None:
    """The selector compiled (sites use few, again and again), or None if it is not one."""
    try:
        return CSSSelector(selector)
    except (SelectorError, ValueError, TypeError):
        return None
