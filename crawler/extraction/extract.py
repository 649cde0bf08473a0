"""From one fetched page to an article, or to the reason it is not one.

`extract` is the only extraction path: the crawl runs it in worker processes on live responses and
re-extraction runs it on archived WARC records, so both give the same article for the same bytes.
It is pure: the result depends on the page, the options (their digest is recorded in
`Extraction.options_digest`) and the versions of this code and of trafilatura (recorded in
`Extraction.extractor`), never on the clock or the network. Dates are bounded by the capture time,
not by today, and the libraries only ever see a parsed tree, never a URL they could fetch.

It never raises: a page that cannot be extracted gives an `Extraction` whose `reason` says why,
because one odd page must not stop a crawl.
"""

from __future__ import annotations

from contextvars import ContextVar
from copy import copy
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
import trafilatura.core
import trafilatura.external
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Document, Extractor

from crawler.core.article import Article, Extraction
from crawler.core.normalise import count_words, text_digest
from crawler.core.page import PageInput, decode_html, not_extractable
from crawler.extraction.body import join_split_body, unwrap_embedded_posts
from crawler.extraction.boilerplate import (
    appeal_blocks,
    link_blocks,
    prune_promotions,
    prune_teasers,
    strip_appeals,
    strip_credits,
    strip_headline,
    strip_link_blocks,
    strip_syndication_footer,
    strip_teasers,
    teaser_lists,
)
from crawler.extraction.datesearch import INSTALLED as _DATE_CANDIDATES_IN_C  # noqa: F401
from crawler.extraction.fallback import widens
from crawler.extraction.listing import is_listing, link_labels
from crawler.extraction.metadata import (
    Stated,
    clean_authors,
    declares_article,
    detect_language,
    later,
    linked_data,
    primary_language,
    stated_dates,
)
from crawler.extraction.options import ExtractOptions, Favor
from crawler.extraction.pagemeta import iso_day, publication_day, read_metadata
from crawler.extraction.parse import parse_html
from crawler.extraction.structured import declared_body, widen
from crawler.extraction.sweeps import python_sweeps
from crawler.extraction.version import RULES_VERSION as RULES_VERSION  # re-exported
from crawler.extraction.version import extractor_name as extractor_name  # re-exported

_EXTRACTOR = extractor_name()


COMPARISON_SKIPPED_FROM = 1000
"""trafilatura compares its own extraction with readability's and jusText's (about a fifth of its
time). When its own pass already kept this many characters, the comparison is skipped: measured on
every corpus (docs/benchmarks.md), it changed the text of no such page worth the time."""
_skip_comparison_from: ContextVar[int | None] = ContextVar("skip_comparison_from", default=None)
_compare_extraction = trafilatura.external.compare_extraction
_trafilatura_extract_and_compare = trafilatura.core._extract_and_compare


def _extract_and_compare_unless_long(
    cleaned_tree: Any, cleaned_tree_backup: Any, tree: Any, options: Extractor
) -> tuple[Any, str]:
    """trafilatura's `_extract_and_compare` (its main extractor, then the comparison with
    readability's and jusText's), the comparison skipped inside our `extract()` when the main
    extractor's text is long.

    trafilatura copies the whole raw tree for the comparison before calling it; here the copy is
    made only when the comparison runs. Installed in trafilatura's module once; outside
    `extract()` (the context variable unset) it is trafilatura's own, so other callers in the
    process see trafilatura unchanged."""
    threshold = _skip_comparison_from.get()
    if threshold is None:
        return _trafilatura_extract_and_compare(cleaned_tree, cleaned_tree_backup, tree, options)
    body, text = extract_content(cleaned_tree, options)
    if options.fast or len(text) >= threshold:
        return body, text
    return _compare_extraction(cleaned_tree_backup, copy(tree), body, text, options)


setattr(trafilatura.core, "_extract_and_compare", _extract_and_compare_unless_long)  # noqa: B010


def extract(page: PageInput, options: ExtractOptions) -> Extraction:
    """The article in `page`, or why there is none ('http-404', 'not-html', 'no-text',
    'too-short: 12 words, need 80', 'error: ValueError: …')."""
    reason = not_extractable(page.status, page.header("Content-Type"), page.body)
    if reason is not None:
        return not_an_article(reason, options)
    try:
        with python_sweeps():
            return _extract_html(page, options)
    except Exception as exc:  # a bug or an exotic page: record it and let the crawl go on
        return not_an_article(f"error: {type(exc).__name__}: {exc}", options)


def not_an_article(reason: str, options: ExtractOptions) -> Extraction:
    """The extraction of a page that gave no article, for `reason`."""
    return Extraction(
        article=None, reason=reason, extractor=_EXTRACTOR, options_digest=options.digest
    )


def _extract_html(page: PageInput, options: ExtractOptions) -> Extraction:
    _, html = decode_html(page)
    if not html.strip():
        return not_an_article("no-text", options)
    # Parsed once, as trafilatura parses (crawler.extraction.parse). bare_extraction copies a
    # tree it is given, and the metadata readers and htmldate copy before pruning, so this tree
    # stays intact for the reads below (but for the promotions we prune ourselves).
    tree = parse_html(html)
    if tree is None:
        return not_an_article("no-text", options)
    prune_promotions(tree)
    prune_teasers(tree)
    join_split_body(tree)
    unwrap_embedded_posts(tree)
    # A page cannot be dated after it was fetched (one day's grace for time zones).
    latest = (page.fetched_at + timedelta(days=1)).strftime("%Y-%m-%d")
    # What bare_extraction reads with `with_metadata`, read here once for both passes below (it
    # does not depend on the favour), and only the fields we store.
    metadata = read_metadata(tree, page.final_url)
    url = page.final_url or metadata.url
    data = linked_data(tree)
    declared = declares_article(tree, data)
    # A page that declares itself an article is one down to `min_words_declared` words of its
    # own text (a news brief is news); a page that declares nothing needs `min_words`.
    floor = min(options.min_words, options.min_words_declared) if declared else options.min_words
    facts = _PageFacts(tree, url, metadata.title)
    found = _main_text(facts, options, options.favor)
    if (
        (found is None or found[3] < options.min_words)
        and options.favor == "precision"
        and declared
    ):
        # Precision mode sometimes keeps too little of a real article (a body split by widgets,
        # a short piece); the balanced extraction is tried before such a page is given up. Only
        # on a page that says it is an article: a section page would be extracted twice in vain.
        # (Trying it on every declared text under 250 words was measured and dropped: in-sample
        # gains, 10 % more CPU; docs/benchmarks.md, rules 6.)
        # A precision text long enough to store is replaced only by one that adds prose to it:
        # on a short page the balanced pass often falls back to the whole page's menus.
        balanced = _main_text(facts, options, "balanced")
        if balanced is not None and (
            found is None
            or (balanced[3] > found[3] and (found[3] < floor or widens(found[1], balanced[1])))
        ):
            found = balanced
        if found is None or found[3] < floor:
            # still too little to store a page that says it is an article: recall mode, which
            # keeps the paragraphs the other two judge too thin (rare: a brief of short lines)
            wider = _main_text(facts, options, "recall")
            if wider is not None and (found is None or wider[3] > found[3]):
                found = wider
    if found is None:
        return not_an_article("no-text", options)
    document, text, words, own_words = found
    if own_words < floor:
        return not_an_article(f"too-short: {own_words} words, need {floor}", options)
    if not declared and is_listing(text, tree, facts.link_labels):
        # a section, tag or project page: the headlines and blurbs of other pages
        return not_an_article("listing: a list of other pages", options)
    if options.include_comments and document.comments:
        text = f"{text}\n{document.comments}"
        words += count_words(document.comments)

    latest_day = (page.fetched_at + timedelta(days=1)).date()
    published, modified = stated_dates(
        tree, data, lambda: publication_day(tree, metadata.url, latest), latest_day
    )
    if modified is None:
        day = iso_day(_modified_date(tree, latest))
        modified = Stated(day) if day else None
    modified = later(modified, published)
    declared_language, canonical_url = _head_metadata(tree, page.final_url, data.languages)
    language, language_source = declared_language, "declared" if declared_language else None
    if language is None:
        language = detect_language(text)
        language_source = "detected" if language else None
    article = Article(
        title=metadata.title or None,
        authors=clean_authors([metadata.author or ""]),
        published=published.day if published else None,
        modified=modified.day if modified else None,
        language=language,
        site_name=metadata.sitename or None,
        canonical_url=canonical_url,
        description=metadata.description or None,
        text=text,
        text_sha256=text_digest(metadata.title, text),
        word_count=words,
        published_at=published.moment if published else None,
        modified_at=modified.moment if modified else None,
        language_source=language_source,
    )
    return Extraction(
        article=article, reason=None, extractor=_EXTRACTOR, options_digest=options.digest
    )


class _PageFacts:
    """What `_main_text` reads from the page besides trafilatura's text, each read once however
    many passes (precision, balanced, recall) and rules ask for it: none depends on the pass,
    and the tree is not changed after the facts are made."""

    def __init__(self, tree: HtmlElement, url: str | None, title: str | None) -> None:
        self.tree, self.url, self.title = tree, url, title

    @cached_property
    def headlines(self) -> list[str | None]:
        return [self.title, *(h1.text_content() for h1 in self.tree.iter("h1"))]

    @cached_property
    def link_blocks(self) -> frozenset[str]:
        return link_blocks(self.tree)

    @cached_property
    def appeal_blocks(self) -> frozenset[str]:
        return appeal_blocks(self.tree, self.url)

    @cached_property
    def teaser_lists(self) -> frozenset[str]:
        return teaser_lists(self.tree, self.url)

    @cached_property
    def declared_body(self) -> str:
        return declared_body(self.tree)

    @cached_property
    def link_labels(self) -> frozenset[str]:
        return link_labels(self.tree)


def _main_text(
    facts: _PageFacts, options: ExtractOptions, favor: Favor
) -> tuple[Document, str, int, int] | None:
    """trafilatura's document (text and comments, no metadata), its main text, its word count
    and the words of its own (not in lines that are only a link's label), or None if it found
    no text."""
    tree = facts.tree
    token = _skip_comparison_from.set(COMPARISON_SKIPPED_FROM)
    try:
        document = trafilatura.bare_extraction(tree, options=_extractor(facts.url, options, favor))
    finally:
        _skip_comparison_from.reset(token)
    if not isinstance(document, Document) or not document.text or document.text.isspace():
        return None
    text = strip_headline(strip_syndication_footer(document.text), facts.headlines)
    text = strip_link_blocks(text, facts.link_blocks)
    text = strip_appeals(text, facts.appeal_blocks)
    text = strip_teasers(text, facts.teaser_lists)
    text = strip_credits(text)
    declared = facts.declared_body
    if declared:
        text = widen(text, tree, declared)
    words = count_words(text)
    return document, text, words, words - _words_in_link_labels(text, facts.link_labels)


def _extractor(url: str | None, options: ExtractOptions, favor: Favor) -> Extractor:
    return Extractor(
        output_format="python",
        precision=favor == "precision",
        recall=favor == "recall",
        comments=options.include_comments,
        tables=options.include_tables,
        links=False,
        images=False,
        url=url,
    )


def _modified_date(tree: HtmlElement, latest: str) -> str | None:
    """The most recent date the page states, from its markup rather than its prose."""
    return find_date(
        tree,
        extensive_search=False,
        original_date=False,
        # not None, which would make htmldate read the canonical URL: a date in a URL is the
        # publication date, never a modification
        url="",
        max_date=latest,
    )


def _words_in_link_labels(text: str, labels: frozenset[str]) -> int:
    """Words of `text` on lines that are nothing but the label of one of the page's links.

    They do not count towards `min_words`: when trafilatura finds no main text it falls back to
    the whole page, and a section page then yields its navigation and headlines, many words of
    which none are an article's own.
    """
    return sum(count_words(line) for line in text.splitlines() if " ".join(line.split()) in labels)


def _head_metadata(
    tree: HtmlElement, base_url: str, ld_languages: list[str]
) -> tuple[str | None, str | None]:
    """The page's language and canonical URL, as it declares them.

    trafilatura only fills `language` when asked to filter by one, and resolves the canonical URL
    its own way, so both are read here: `<html lang>`, else `Content-Language`, else `og:locale`,
    else JSON-LD `inLanguage`; `<link rel=canonical>`, else `og:url`.
    """
    root = tree.getroottree().getroot()
    languages = [root.get("lang"), root.get("xml:lang")]
    content_language = og_locale = canonical = og_url = None
    for element in root.iter("meta", "link"):
        if element.tag == "link":
            if canonical is None and "canonical" in (element.get("rel") or "").lower().split():
                canonical = element.get("href")
            continue
        key = element.get("property") or element.get("name") or element.get("http-equiv") or ""
        key = key.strip().lower()
        content = element.get("content")
        if key == "content-language" and content_language is None:
            content_language = content
        elif key == "og:locale" and og_locale is None:
            og_locale = content
        elif key == "og:url" and og_url is None:
            og_url = content
    languages += [content_language, og_locale, *ld_languages]
    language = next(filter(None, map(primary_language, languages)), None)
    canonical_url = next(filter(None, (_absolute(u, base_url) for u in (canonical, og_url))), None)
    return language, canonical_url


def _absolute(url: str | None, base_url: str) -> str | None:
    """`url` resolved against `base_url`, if the result is an http(s) URL."""
    if not url or not url.strip():
        return None
    try:
        resolved = urljoin(base_url, url.strip())
        parts = urlsplit(resolved)
    except ValueError:  # e.g. 'http://[::1': a broken link, not a reason to lose the article
        return None
    return resolved if parts.scheme in ("http", "https") and parts.netloc else None
