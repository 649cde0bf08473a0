"""trafilatura's costliest whole-tree XPath sweeps, answered by Python walks inside `extract()`.

trafilatura prunes and searches the page with XPath expressions whose predicates call `re:test`
on the `id` and `class` of every candidate element; lxml calls back into Python for each such
test, so a sweep of a 740-element AEB page costs about 1 ms, and eight of them run per extraction
(the raw-tree prunes, the comment prunes, the discard expressions, the first body expression,
which `join_split_body` also runs). Here each is a walk of the tree with the tags filtered in C
and the same regular expressions applied to the same attribute values, giving the same elements
in the same (document) order.

The expressions are trafilatura 2.3.1's, translated by hand: each `Sweep` is installed only when
the installed expression's source has the digest it was translated from, and it answers in Python
only inside `python_sweeps()` (our `extract()`); everywhere else it is trafilatura's XPath, so
plain trafilatura in the same process is unchanged. Equality with the XPath is tested on real
pages (tests/extraction/test_sweeps.py) and the output of `extract()` on every shared corpus page
(`python -m bench.extract_changes`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import xpaths

Selection = Callable[[HtmlElement], Any]

_active: ContextVar[bool] = ContextVar("python_sweeps", default=False)


@contextmanager
def python_sweeps() -> Iterator[None]:
    """Within this block (our `extract()`), the installed sweeps answer in Python."""
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def sweeping() -> bool:
    """Whether we are inside `python_sweeps()` (our `extract()`)."""
    return _active.get()


class Sweep:
    """One of trafilatura's XPath expressions, callable like it, with a Python equivalent."""

    def __init__(self, xpath: XPath, select: Selection) -> None:
        self.xpath = xpath
        self.select = select
        self.path = xpath.path

    def __call__(self, tree: HtmlElement, **variables: Any) -> Any:
        if variables or not _active.get():
            return self.xpath(tree, **variables)
        return self.select(tree)


def digest(path: str) -> str:
    """A short digest of an expression's source."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]


def _search(pattern: str) -> Callable[[str | None], bool]:
    """`re:test(@attr, pattern)` of one attribute's value (None when absent: tested as "")."""
    compiled = re.compile(pattern)

    def test(value: str | None) -> bool:
        return compiled.search(value or "") is not None

    return test


def _first(element: HtmlElement, names: tuple[str, str]) -> str | None:
    """The string value of `@a|@b`: the first of the two attributes in document order (source
    order), None when neither is there."""
    for name, value in element.items():
        if name in names:
            return str(value)
    return None


# RAW_TREE_PRUNE_XPATH[0]
_RAW_TAGS = ("div", "section", "aside")
_INFINITE = _search("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_APPENDED = _search("mvp-post-add-(?:box|wrap)")


def _raw_prune_appended(tree: HtmlElement) -> list[HtmlElement]:
    found = []
    for element in tree.iterdescendants(*_RAW_TAGS):
        ident, cls = element.get("id"), element.get("class")
        if not (_INFINITE(ident) or _INFINITE(cls)):
            continue
        if element.find(".//h1") is None or _APPENDED(ident) or _APPENDED(cls):
            found.append(element)
    return found


# RAW_TREE_PRUNE_XPATH[1]
def _raw_prune_share(tree: HtmlElement) -> list[HtmlElement]:
    return [
        element
        for element in tree.iterdescendants(*_RAW_TAGS)
        if "elementor-share-buttons" in (element.get("class") or "")
    ]


# REMOVE_COMMENTS_XPATH[0] and REMOVE_COMMENTS_AND_LISTS_XPATH[0]
_COMMENT_TAGS = ("div", "list", "section", "details")
_COMMENT_ID = _search("^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENT_CLASS = _search("^[Cc]omment(?!ary)|(?:article|post)-comments")
_COMMENT_LIST_ID = _search("^(?:[Cc]omment(?!ary)|comol)")


def _comments(tree: HtmlElement) -> list[HtmlElement]:
    return [
        element
        for element in tree.iterdescendants(*_COMMENT_TAGS)
        if _COMMENT_ID(element.get("id")) or _COMMENT_CLASS(element.get("class"))
    ]


def _comments_and_lists(tree: HtmlElement) -> list[HtmlElement]:
    found = []
    for element in tree.iterdescendants(*_COMMENT_TAGS, "ol", "ul"):
        ident, cls = element.get("id"), element.get("class")
        if not (_COMMENT_ID(ident) or _COMMENT_CLASS(cls)):
            continue
        if element.tag not in ("ol", "ul") or _COMMENT_LIST_ID(ident) or _COMMENT_CLASS(cls):
            found.append(element)
    return found


# BODY_XPATH[0]: the first child of its parent with one of these tags and a body's id or class
_BODY_TAGS = ("article", "div", "main", "section")
_BODY_ID = _search(
    "(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text"
)
_BODY_CLASS = _search(
    "post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper"
    "|article-?text|articleText|(?:entry|page|text|article|art)-content|article__content"
    "|article(?:-|__)?body|articleBody|ArticleContent|body-text|article__container"
)


def _is_body(element: HtmlElement) -> bool:
    cls, ident = element.get("class"), element.get("id")
    return (
        cls in ("post", "entry")
        or element.get("itemprop") == "articleBody"
        or ident == "articleContent"
        or _BODY_ID(ident)
        or _BODY_CLASS(cls)
    )


def _first_body(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Lazily, in document order: trafilatura's callers take the first, `join_split_body` all."""
    parents_with_one: set[HtmlElement] = set()
    for element in tree.iterdescendants(*_BODY_TAGS):
        if not _is_body(element):
            continue
        parent = element.getparent()
        if parent in parents_with_one:
            continue  # `[1]`: only the first such child of each parent
        parents_with_one.add(parent)
        yield element


# OVERALL_DISCARD_XPATH[0] and [1]: the token lists are read from the installed expressions
_DISCARD_TAGS = ("div", "item", "list", "p", "section", "span")
_LITERAL = re.compile(r"re:test\(([@\w|-]+), '([^']*)'\)")


def _literals(path: str) -> dict[str, str]:
    return {attributes: pattern for attributes, pattern in _LITERAL.findall(path)}


def _overall_discard(path0: str) -> Selection:
    patterns = _literals(path0)
    consent = _search(patterns["@id|@class"])
    ident_test, class_test = _search(patterns["@id"]), _search(patterns["@class"])

    def select(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants(*_DISCARD_TAGS):
            get = element.get
            if (
                get("data-lp-replacement-content") is not None
                or "nav" in (get("role") or "").replace("N", "n")
                or "MostPopularStories" in (get("data-component") or "")
                or consent(_first(element, ("id", "class")))
                or ident_test(get("id"))
                or class_test(get("class"))
            ):
                found.append(element)
        return found

    return select


def _hidden(path1: str) -> Selection:
    patterns = _literals(path1)
    hidden = _search(patterns["@id|@style"])
    ident_test, class_test = _search(patterns["@id"]), _search(patterns["@class"])

    def select(tree: HtmlElement) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants():
            if not isinstance(element.tag, str):
                continue
            get = element.get
            if not element.attrib:
                continue  # every test below needs an attribute
            style = get("style") or ""
            if (
                get("class") == "comments-title"
                or (_first(element, ("id", "class")) or "").startswith("reply-")
                or hidden(_first(element, ("id", "style")))
                or "display:none" in style
                or "display: none" in style
                or ident_test(get("id"))
                or class_test(get("class"))
                or get("aria-hidden") == "true"
            ):
                found.append(element)
        return found

    return select


def _translations() -> list[tuple[list[Any], int, str, Callable[[str], Selection]]]:
    """(trafilatura's list, index, digest of the expression translated, its translation)."""
    return [
        (xpaths.RAW_TREE_PRUNE_XPATH, 0, "01e7c660fd6406f2", lambda _: _raw_prune_appended),
        (xpaths.RAW_TREE_PRUNE_XPATH, 1, "3c7afe92279543d5", lambda _: _raw_prune_share),
        (xpaths.REMOVE_COMMENTS_XPATH, 0, "5d97216ca15d0558", lambda _: _comments),
        (
            xpaths.REMOVE_COMMENTS_AND_LISTS_XPATH,
            0,
            "9cc18d34e6e2d258",
            lambda _: _comments_and_lists,
        ),
        (xpaths.BODY_XPATH, 0, "caaa561ceca17064", lambda _: _first_body),
        (xpaths.OVERALL_DISCARD_XPATH, 0, "a837e58a1b1ea116", _overall_discard),
        (xpaths.OVERALL_DISCARD_XPATH, 1, "c1d5b70b8cd03783", _hidden),
    ]


def install() -> list[str]:
    """Put a `Sweep` in place of each translated expression in trafilatura's lists (shared by
    every trafilatura module that imported them) whose source is the one translated; returns the
    names of those left as they were (none with the trafilatura this was written for)."""
    untranslated = []
    for expressions, index, translated, translation in _translations():
        expression = expressions[index]
        if isinstance(expression, Sweep):
            continue
        if digest(expression.path) != translated:
            untranslated.append(f"{expression.path.split('[', 1)[0].strip()} ({index})")
            continue
        expressions[index] = Sweep(expression, translation(expression.path))
    return untranslated


UNTRANSLATED = install()
