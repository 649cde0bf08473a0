"""The article a page declares in its JSON-LD is evidence paragraph by paragraph: paragraphs of
the page that it holds and the extraction dropped are put back in their place."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import lxml.html
import trafilatura
import trafilatura.core

from bench import aeb, corpora
from crawler.extraction import extract as extract_module
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.structured import declared_body, key, widen
from tests.extraction.pages import make_page

SAMPLE = Path(__file__).parent.parent / "bench" / "data" / "corpora"

PARAGRAPHS = [
    f"Paragraph {i} says what the council decided about the harbour and why it matters so much."
    for i in range(12)
]


def page(body: str, paragraphs: list[str], between: str = "") -> str:
    script = json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": body}
    )
    inner = "".join(f"<p>{p}</p>" + (between if i == 3 else "") for i, p in enumerate(paragraphs))
    return (
        f'<html><head><script type="application/ld+json">{script}</script></head>'
        f"<body><article>{inner}</article><footer><p>Contact us at the newsroom any day.</p>"
        "</footer></body></html>"
    )


def test_the_declared_body_is_read_from_json_ld_as_plain_text() -> None:
    tree = lxml.html.fromstring(page("One &amp; <b>two</b>", PARAGRAPHS[:1]))
    assert " ".join(declared_body(tree).split()) == "One & two"
    assert declared_body(lxml.html.fromstring("<html><body><p>x</p></body></html>")) == ""
    broken = (
        '<html><head><script type="application/ld+json">{"articleBody": </script></head></html>'
    )
    assert declared_body(lxml.html.fromstring(broken)) == ""


def test_missing_paragraphs_of_the_declared_body_are_put_back_in_place() -> None:
    tree = lxml.html.fromstring(page(" ".join(PARAGRAPHS), PARAGRAPHS))
    kept = "\n".join([*PARAGRAPHS[:3], "A line of the extraction not in the page."])
    widened = widen(kept, tree, " ".join(PARAGRAPHS))
    assert widened.split("\n") == [
        *PARAGRAPHS[:3],
        "A line of the extraction not in the page.",
        *PARAGRAPHS[3:],
    ]
    # the footer is not in the declared body, so it never comes back
    assert "Contact us" not in widened


def test_a_text_that_holds_most_of_the_declared_body_is_left_alone() -> None:
    tree = lxml.html.fromstring(page(" ".join(PARAGRAPHS), PARAGRAPHS))
    kept = "\n".join(PARAGRAPHS[:11])
    assert widen(kept, tree, " ".join(PARAGRAPHS)) == kept


def test_a_short_declared_body_is_no_evidence() -> None:
    tree = lxml.html.fromstring(page(PARAGRAPHS[0], PARAGRAPHS))
    assert widen("x", tree, PARAGRAPHS[0]) == "x"


def test_keys_ignore_case_spacing_and_punctuation() -> None:
    assert key("  The  Harbour, re-opened!") == key("the harbour re opened")


def test_a_long_article_cut_short_by_precision_mode_is_widened() -> None:
    # a real page (fundus-fixtures, MIT): precision mode kept about a tenth of the body
    corpus = corpora.load(SAMPLE / "fundus-fixtures")
    sample = next(p for p in corpus.pages if p.id == "es-MallorcaMagazin_2025_04_16")
    given = make_page(sample.html, url=sample.url, content_type="text/html; charset=utf-8")
    article = extract(given, ExtractOptions()).article
    assert article is not None
    assert aeb.score_page(article.text, sample.truth).recall > 0.9
    with (
        mock.patch.object(extract_module, "widen", lambda text, tree, body: text),
        mock.patch.object(extract_module, "WIDEN_BELOW", 0),  # nor the balanced pass
    ):
        narrow = extract(given, ExtractOptions()).article
    assert narrow is None or aeb.score_page(narrow.text, sample.truth).recall < 0.5


def test_trafilatura_comparison_is_skipped_only_inside_extract_and_on_long_texts() -> None:
    long_page = page("", PARAGRAPHS * 2).encode()
    calls: list[int] = []
    original = extract_module._compare_extraction

    def counting(*args: object) -> object:
        calls.append(len(args[3]))  # type: ignore[arg-type]
        return original(*args)  # type: ignore[arg-type]

    with (
        mock.patch.object(extract_module, "_compare_extraction", counting),
        mock.patch.object(trafilatura.core, "compare_extraction", counting),
    ):
        assert extract(make_page(long_page), ExtractOptions()).article is not None
        assert calls == []  # its own pass kept more than COMPARISON_SKIPPED_FROM characters
        trafilatura.extract(long_page.decode())
        assert len(calls) == 1  # trafilatura called directly is trafilatura unchanged
        short = page("", PARAGRAPHS[:8]).encode()
        extract(make_page(short), ExtractOptions())
        # compared in each pass (precision, then balanced: the text is short)
        assert len(calls) >= 2 and max(calls[1:]) < extract_module.COMPARISON_SKIPPED_FROM


def test_the_raw_tree_is_copied_for_the_comparison_only_when_it_runs() -> None:
    """trafilatura copies the whole page for its comparison; inside `extract()` the copy is made
    only when the comparison runs (three copies of the page are left: bare_extraction's own and
    the cleaned tree's two)."""
    copies: list[str] = []
    original = trafilatura.core.copy

    def counting(element: object) -> object:
        copies.append(getattr(element, "tag", ""))
        return original(element)

    long_page = page("", PARAGRAPHS * 2).encode()
    with mock.patch.object(trafilatura.core, "copy", counting):
        assert extract(make_page(long_page), ExtractOptions()).article is not None
        assert copies.count("html") == 3
        copies.clear()
        trafilatura.extract(long_page.decode(), favor_precision=True)
        # called directly on a string (no copy of its own parse), trafilatura copies the page for
        # the cleaned tree twice and once for the comparison, which it always runs
        assert copies.count("html") == 3
