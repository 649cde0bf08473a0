"""A page's HTML parsed as `trafilatura.load_html` parses it, with a cheaper element lookup.

lxml.html gives each element its Python class (`HtmlElement`, `FormElement`…) through
`HtmlElementClassLookup`, a lookup written in Python: lxml calls it every time it hands an element
to Python, thousands of times per page in trafilatura's and our tree walks (about 4,300 calls per
AEB page, each lower-casing the tag). The same classes are given here by lxml's own lookups, which
run in C: the HTML parser already lower-cases tags, so a table of the five special names and a
default give every element the class lxml.html would. The parser's settings and the repairs and
fallbacks around it are trafilatura's (`trafilatura.utils.load_html`), so the tree is the same.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlElementClassLookup,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import is_dubious_html, repair_faulty_html

LOGGER = logging.getLogger(__name__)


def element_lookup() -> etree.ElementNamespaceClassLookup:
    """lxml.html's classes for HTML elements, looked up in C."""
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    namespace = lookup.get_namespace(None)
    for name, cls in HtmlElementClassLookup()._element_classes.items():
        namespace[name] = cls
    return lookup


PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
"""trafilatura's parser settings (`trafilatura.utils.HTML_PARSER`)."""
PARSER.set_element_class_lookup(element_lookup())


def parse_html(html: str) -> HtmlElement | None:
    """`html` parsed as `trafilatura.load_html(html)` parses a string (None when it is not
    HTML)."""
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree: HtmlElement | None = None
    fallback = False
    try:
        tree = fromstring(html, parser=PARSER)
    except ValueError:  # a string with an encoding declaration: lxml wants bytes
        tree = _from_bytes(html)
        fallback = True
    except Exception as err:  # trafilatura's guard
        LOGGER.error("lxml parsing failed: %s", err)
    if (tree is None or len(tree) < 1) and not fallback:
        tree = _from_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree


def _from_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=PARSER)
    except Exception as err:  # trafilatura's guard
        LOGGER.error("lxml parser bytestring %s", err)
    return None
