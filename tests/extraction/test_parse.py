"""The page parsed as trafilatura parses it, with lxml.html's classes looked up in C
(crawler.extraction.parse)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import trafilatura
from lxml.html import FormElement, HtmlElement, HtmlElementClassLookup, InputElement, tostring

from crawler.core.page import PageInput, decode_html
from crawler.extraction.parse import parse_html

ROOT = Path(__file__).parents[2]
REAL_PAGES = sorted(
    [
        *sorted((ROOT / "bench/data/aeb/html").glob("*.html.gz"))[:30],
        *(ROOT / "tests/bench/data/corpora").glob("*/html/*.html.gz"),
    ]
)


def decoded(path: Path) -> str:
    body = gzip.decompress(path.read_bytes())
    page = PageInput(
        url="https://example.org/a",
        final_url="https://example.org/a",
        status=200,
        headers=(("Content-Type", "text/html"),),
        body=body,
        fetched_at=None,  # type: ignore[arg-type]  # not read by decode_html
    )
    return decode_html(page)[1]


@pytest.mark.parametrize("path", REAL_PAGES, ids=lambda p: p.name[:16])
def test_the_tree_and_its_classes_are_trafilaturas(path: Path) -> None:
    html = decoded(path)
    theirs = trafilatura.load_html(html)
    ours = parse_html(html)
    assert theirs is not None and ours is not None
    assert tostring(ours) == tostring(theirs)
    assert [type(e) for e in ours.iter()] == [type(e) for e in theirs.iter()]


def test_special_elements_keep_their_classes_without_the_python_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    python_lookup = HtmlElementClassLookup.lookup

    def counting(self: HtmlElementClassLookup, *args: str) -> object:
        calls.append(args[-1])
        return python_lookup(self, *args)

    monkeypatch.setattr(HtmlElementClassLookup, "lookup", counting)
    html = "<html><body><form><input name=q><!-- c --></form><p>Text</p></body></html>"
    tree = parse_html(html)
    assert tree is not None
    assert isinstance(tree.find(".//form"), FormElement)
    assert isinstance(tree.find(".//input"), InputElement)
    assert type(tree.find(".//p")) is HtmlElement
    assert calls == []  # every class came from lxml's C lookups
    theirs = trafilatura.load_html(html)
    assert theirs is not None and calls  # trafilatura's parser asks the Python lookup


@pytest.mark.parametrize(
    "html",
    [
        "",
        "just some text, not html",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>',
        "<!DOCTYPE html><html/>\n<body><p>x</p></body>",
    ],
)
def test_odd_inputs_as_trafilatura(html: str) -> None:
    theirs = trafilatura.load_html(html) if html else None
    ours = parse_html(html) if html else None
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert tostring(ours) == tostring(theirs)


def test_a_saved_page_is_a_200_at_its_url_with_its_content_type() -> None:
    from datetime import UTC, datetime

    at = datetime(2025, 2, 4, tzinfo=UTC)
    page = PageInput.saved("http://a.example/x", b"<p>x</p>", at, "text/html; charset=utf-8")
    assert page == PageInput(
        "http://a.example/x",
        "http://a.example/x",
        200,
        (("Content-Type", "text/html; charset=utf-8"),),
        b"<p>x</p>",
        at,
    )
    assert PageInput.saved("http://a.example/y", b"", at).content_type == "text/html"
