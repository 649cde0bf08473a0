"""trafilatura's author fallback (`trafilatura.metadata.extract_author`), the same answer without
its copy of the tree and its five whole-tree XPath sweeps.

`extract_author` runs when the page's meta tags and JSON-LD name no author (about two pages in
five): it copies the whole tree, deletes what its discard expressions select (comments, sidebars,
`<time>`, `<figure>`…), then tries its three byline expressions in turn and takes the first
element whose text is 3 to 119 characters long. Each sweep calls back into Python for every
`re:test` of every element, so the fallback cost about 2 ms per page on AEB. Here one walk of the
tree tests each element's attributes in Python and the text of a candidate is read as it would
read in the pruned copy (a deleted element's tail joined to the text before it, as trafilatura's
`delete_element` does), without making the copy.

The expressions are trafilatura 2.3.1's, translated by hand; `TRANSLATED` holds the digest of
their source, and with any other source (a trafilatura upgrade) `fallback_author` is
trafilatura's own function until the translation is checked again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

TRANSLATED = "29298d1fa7279c60"
"""The digest (`source_digest`) of the expressions translated below."""


def source_digest() -> str:
    """A short digest of trafilatura's author and author-discard expressions, as installed."""
    source = "\n".join(x.path for x in (*AUTHOR_DISCARD_XPATHS, *AUTHOR_XPATHS))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


# AUTHOR_DISCARD_XPATHS[0]: .//*[self::a or self::div or self::section or self::span][…]
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    "|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
# AUTHOR_DISCARD_XPATHS[1]: //time|//figure
_DISCARD_ALWAYS = frozenset({"time", "figure"})

# AUTHOR_XPATHS[0]
_SPECIFIC_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_SPECIFIC_CLASS = re.compile("author-?name|AuthorName|authorName")
# AUTHOR_XPATHS[1]
_GENERIC_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_GENERIC_CLASSES = frozenset({"byline", "username", "byl", "BBL"})
_GENERIC_ID = re.compile("author|zuozhe|bianji|xiaobian")
_GENERIC_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
# AUTHOR_XPATHS[2]
_ANY_ID = re.compile("[Aa]uthor")
_ANY_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")


class _Untranslated(Exception):
    """The page holds something the translation does not model (a comment node, a `<rel>`
    element): trafilatura's own function answers."""


def _discarded(element: HtmlElement) -> bool:
    tag = element.tag
    if tag in _DISCARD_ALWAYS:
        return True
    if tag not in _DISCARD_TAGS:
        return False
    ident, cls = element.get("id"), element.get("class")
    return (
        ident == "comments"
        or cls in ("comments", "title", "date")
        or (ident is not None and _DISCARD_ID.search(ident) is not None)
        or (cls is not None and _DISCARD_CLASS.search(cls) is not None)
        or "Figure" in (element.get("data-component") or "")
    )


def _specific(element: HtmlElement) -> bool:
    if element.tag == "author":
        return True
    if element.tag not in _SPECIFIC_TAGS:
        return False
    cls = element.get("class")
    return (
        element.get("rel") == "author"
        or element.get("id") == "author"
        or cls == "author"
        or element.get("itemprop") == "author name"
        or element.get("data-testid") in ("AuthorCard", "AuthorURL")
        or (cls is not None and _SPECIFIC_CLASS.search(cls) is not None)
    )


def _generic(element: HtmlElement) -> bool:
    if element.tag not in _GENERIC_TAGS:
        return False
    ident, cls = element.get("id"), element.get("class")
    return (
        cls in _GENERIC_CLASSES
        or "author" in (element.get("itemprop") or "")
        or (ident is not None and _GENERIC_ID.search(ident) is not None)
        or (cls is not None and _GENERIC_CLASS.search(cls) is not None)
    )


def _any(element: HtmlElement) -> bool:
    ident, cls = element.get("id"), element.get("class")
    return (
        "Byline" in (element.get("data-component") or "")
        or "author" in (element.get("itemprop") or "")
        or (ident is not None and _ANY_ID.search(ident) is not None)
        or (cls is not None and _ANY_CLASS.search(cls) is not None)
    )


_EXPRESSIONS: tuple[Callable[[HtmlElement], bool], ...] = (_specific, _generic, _any)


def _pruned_text(element: HtmlElement, removed: set[HtmlElement]) -> str:
    """`" ".join(element.itertext())` as it reads once the `removed` elements are deleted with
    trafilatura's `delete_element` (each deleted element's tail appended to the text before it:
    the previous kept sibling's tail, else the parent's text)."""
    pieces: list[str] = []

    def walk(node: HtmlElement) -> None:
        current = node.text or ""
        for child in node:
            if not isinstance(child.tag, str):
                raise _Untranslated
            if child in removed:
                current += child.tail or ""
                continue
            if current:
                pieces.append(current)
            walk(child)
            current = child.tail or ""
        if current:
            pieces.append(current)

    walk(element)  # its own tail is not part of its text
    return " ".join(pieces)


def fallback_author(tree: HtmlElement) -> str | None:
    """`trafilatura.metadata.extract_author(tree)`: the author named in the page's bylines."""
    if source_digest() != TRANSLATED:
        return extract_author(tree)
    try:
        return _fallback_author(tree)
    except _Untranslated:
        return extract_author(tree)


def _fallback_author(tree: HtmlElement) -> str | None:
    # deleted: the elements the discard expressions select and everything inside them (a
    # selected element inside a deleted one changes nothing); kept: the others, in document
    # order, which is the order of the byline expressions' results
    deleted: set[HtmlElement] = set()
    kept: list[HtmlElement] = []
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag == "rel":
            # a comment or entity node, or a <rel> element (`rel='me'` in the first expression
            # tests a child element's text): not modelled here
            raise _Untranslated
        if element is not tree and (element.getparent() in deleted or _discarded(element)):
            deleted.add(element)
        else:
            kept.append(element)
    for matches in _EXPRESSIONS:
        for element in kept:
            if not matches(element):
                continue
            content = " ".join(_pruned_text(element, deleted).split())
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None
