"""Is it an article, and what it declares: real briefs stored down to the declared floor, pages
that declare nothing held to `min_words`; times with their zone, the language and its source, and
authors cleaned (crawler.extraction.metadata)."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import trafilatura

from crawler import settings
from crawler.core.page import PageInput
from crawler.extraction import extract as extract_module
from crawler.extraction.extract import extract
from crawler.extraction.listing import is_listing, listing_words
from crawler.extraction.metadata import (
    Stated,
    clean_authors,
    declares_article,
    detect_language,
    linked_data,
    parse_stated,
)
from crawler.extraction.options import ExtractOptions
from tests.extraction.pages import make_page, read

ROOT = Path(__file__).parents[2]
PAGES = ROOT / "tests" / "data" / "pages"
AEB_BRIEF = (
    ROOT
    / "bench/data/aeb/html/e372e42c0a3df7b86e1c0bacf7bc14d042144a01e88833bc5a643d61b3547090.html.gz"
)
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
UNDECLARED_TOO_SHORT = re.compile(rf"too-short: (\d+) words, need {ExtractOptions().min_words}")
"""The reason of a page that declares no article and has fewer words than `min_words`."""


def real(path: Path, url: str) -> PageInput:
    return PageInput.saved(
        url, gzip.decompress(path.read_bytes()), FETCHED, "text/html; charset=utf-8"
    )


def test_real_declared_briefs_are_articles() -> None:
    # 64 words of reference text; og:type article and a NewsArticle; once "need 80"
    brief = extract(real(AEB_BRIEF, "https://www.jpost.com/brief"), ExtractOptions())
    assert brief.article is not None, brief.reason
    assert "von Weizsäcker" in brief.article.text
    assert settings.EXTRACT_MIN_WORDS_DECLARED <= brief.article.word_count < 80
    # JSON-LD Article inside an @graph, og:type article: 61 words
    page = real(PAGES / "feuerwehrverband.de-vorbereitungstagung.html.gz", "https://x.example/a")
    short = extract(page, ExtractOptions())
    assert short.article is not None, short.reason
    assert "Faktor 112" in short.article.text and short.article.word_count < 80
    assert short.article.published_at == datetime(2022, 2, 4, 11, 1, 53, tzinfo=UTC)


def test_a_real_page_that_declares_nothing_keeps_the_threshold() -> None:
    page = real(PAGES / "anwaltniemeyer.de.index.html.gz", "https://anwalt.example/index.html")
    extraction = extract(page, ExtractOptions())
    assert extraction.article is None
    assert extraction.reason is not None and extraction.reason.endswith("need 80")


LISTINGS = [
    # file, its URL, captured by
    ("lil.law.harvard.edu.projects.html.gz", "https://lil.law.harvard.edu/projects/"),
    ("archive.org.2008.index.html.gz", "http://www.archive.org/index.php"),
    ("archive.org.2013.index.html.gz", "https://archive.org/"),
]


@pytest.mark.parametrize(("name", "url"), LISTINGS)
def test_real_listing_pages_are_not_articles(name: str, url: str) -> None:
    # each has well over 80 words of text, all of it headlines, blurbs and rows of links
    page = real(PAGES / name, url)
    extraction = extract(page, ExtractOptions())
    assert extraction.article is None
    assert extraction.reason == "listing: a list of other pages"
    tree = trafilatura.load_html(page.body)
    assert tree is not None and not declares_article(tree, linked_data(tree))
    # the rule, not the word floor, keeps them out
    assert extract(page, ExtractOptions(min_words=0)).reason == extraction.reason


def test_a_real_catalogue_page_is_not_an_article() -> None:
    page = real(PAGES / "books.toscrape.com.index.html.gz", "http://books.toscrape.com/")
    # it declares nothing, so the undeclared floor holds it out (its text passes the declared one)
    assert_held_by_the_undeclared_floor(page)


def test_the_listing_rule_leaves_real_briefs_and_articles_alone() -> None:
    for path, url in [
        (AEB_BRIEF, "https://www.jpost.com/brief"),
        (PAGES / "feuerwehrverband.de-vorbereitungstagung.html.gz", "https://x.example/a"),
    ]:
        page = real(path, url)
        article = extract(page, ExtractOptions()).article
        assert article is not None
        tree = trafilatura.load_html(page.body)
        assert tree is not None and not is_listing(article.text, tree)


def test_a_section_page_stays_out_even_with_articles_and_headings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its teasers (an <article> each, headed by a link to a story of the site) are a list of
    # other stories, which leaves the text: a few words are left.
    page = make_page("section.html")
    extraction = extract(page, ExtractOptions())
    assert extraction.article is None
    left = UNDECLARED_TOO_SHORT.fullmatch(extraction.reason or "")
    assert left and int(left[1]) < settings.EXTRACT_MIN_WORDS_DECLARED
    # Without that rule its teasers do not make it declare an article (og:type website, no
    # <article> with an h1), so it is held to the undeclared floor, which its 28 words miss,
    # though they pass the declared one.
    monkeypatch.setattr(extract_module, "teaser_lists", lambda tree, url: frozenset())
    assert_held_by_the_undeclared_floor(page)


def assert_held_by_the_undeclared_floor(page: PageInput) -> None:
    """`page` is not an article because it declares none and its text is under the undeclared
    floor, though over the declared one."""
    extraction = extract(page, ExtractOptions())
    assert extraction.article is None
    held = UNDECLARED_TOO_SHORT.fullmatch(extraction.reason or "")
    assert held, extraction.reason
    assert int(held[1]) >= settings.EXTRACT_MIN_WORDS_DECLARED
    tree = trafilatura.load_html(page.body)
    assert tree is not None and not declares_article(tree, linked_data(tree))


@pytest.mark.parametrize(
    ("head", "body", "declared"),
    [
        ('<meta property="og:type" content="article">', "", True),
        ('<meta property="og:type" content="website">', "", False),
        ('<script type="application/ld+json">{"@type": "NewsArticle"}</script>', "", True),
        (
            '<script type="application/ld+json">'
            '{"@graph": [{"@type": "WebPage"}, {"@type": ["ReportageNewsArticle"]}]}</script>',
            "",
            True,
        ),
        ('<script type="application/ld+json">[{"@type": "BlogPosting"}]</script>', "", True),
        ('<script type="application/ld+json">{"@type": "CollectionPage"}</script>', "", False),
        (  # a section page listing articles is not one
            '<script type="application/ld+json">{"@type": "CollectionPage", "mainEntity": '
            '{"@type": "ItemList", "itemListElement": [{"@type": "NewsArticle"}]}}</script>',
            "",
            False,
        ),
        (
            '<script type="application/ld+json">'
            '{"@type": "WebPage", "mainEntity": {"@type": "NewsArticle"}}</script>',
            "",
            True,
        ),
        ("", "<article><h1>Headline</h1><p>Text</p></article>", True),
        ("", '<div itemprop="articleBody"><p>Text</p></div>', True),  # microdata
        (  # a listing of marked bodies is not one article
            "",
            '<div itemprop="articleBody">One</div><div itemprop="articleBody">Two</div>',
            False,
        ),
        ("", "<article><h2>One</h2></article><article><h2>Two</h2></article>", False),
        (
            "",
            "<h1>Tag: prisons</h1><article><h1>A</h1></article><article><h1>B</h1></article>",
            False,
        ),
    ],
)
def test_what_declares_an_article(head: str, body: str, declared: bool) -> None:
    tree = trafilatura.load_html(f"<html><head>{head}</head><body>{body}<p>x</p></body></html>")
    assert tree is not None
    assert declares_article(tree, linked_data(tree)) is declared


LATEST = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-02-04", Stated(date(2025, 2, 4))),
        ("2025-02-04T10:30:00", Stated(date(2025, 2, 4))),  # no zone: the day only
        (
            "2025-02-04T10:30:00+01:00",
            Stated(
                date(2025, 2, 4),
                datetime(2025, 2, 4, 10, 30, tzinfo=timezone(timedelta(hours=1))),
            ),
        ),
        (
            "2025-02-04T23:10:05.123Z",
            Stated(date(2025, 2, 4), datetime(2025, 2, 4, 23, 10, 5, tzinfo=UTC)),
        ),
        (
            "2025-02-04 07:00:00 -0500",
            Stated(
                date(2025, 2, 4), datetime(2025, 2, 4, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
            ),
        ),
        ("2027-02-04T10:30:00Z", None),  # after the capture
        ("yesterday", None),
        ("2025-02-31", None),
    ],
)
def test_stated_dates_parse(value: str, expected: Stated | None) -> None:
    assert parse_stated(value, LATEST) == expected


def test_published_and_modified_keep_their_time_and_zone() -> None:
    html = read("article.html").replace(
        b"<head>",
        b'<head><script type="application/ld+json">{"@type": "NewsArticle", '
        b'"datePublished": "2025-02-04T09:15:00-05:00", '
        b'"dateModified": "2025-02-04T18:00:00-05:00"}</script>',
        1,
    )
    article = extract(make_page(html), ExtractOptions()).article
    assert article is not None
    eastern = timezone(timedelta(hours=-5))
    assert article.published_at == datetime(2025, 2, 4, 9, 15, tzinfo=eastern)
    assert article.published == date(2025, 2, 4) and article.published_precision == "time"
    # modified the same day, later: kept, to the second
    assert article.modified_at == datetime(2025, 2, 4, 18, 0, tzinfo=eastern)
    assert article.modified_precision == "time"


def test_a_page_that_states_only_a_day_says_so() -> None:
    html = read("cp1252.html")
    article = extract(make_page(html, url="https://diario.example/a"), ExtractOptions()).article
    assert article is not None
    if article.published is not None:
        assert article.published_at is None or article.published_precision == "time"
    plain = (
        b"<html><head><title>T</title></head><body><article><h1>T</h1>"
        + b"".join(
            b"<p>Sentence number %d of a plain story with enough words in it to count.</p>" % i
            for i in range(12)
        )
        + b'<p>Published <time datetime="2025-02-03">3 Feb</time></p></article></body></html>'
    )
    article = extract(make_page(plain, url="https://x.example/story"), ExtractOptions()).article
    assert article is not None
    assert (article.published, article.published_at) == (date(2025, 2, 3), None)
    assert article.published_precision == "date"


def test_language_declared_in_json_ld_or_detected() -> None:
    html = read("bom.html").replace(b'<meta property="og:locale" content="en_US">', b"")
    declared = html.replace(
        b"<head>", b'<head><script type="application/ld+json">{"inLanguage": "en-GB"}</script>', 1
    )
    article = extract(make_page(declared), ExtractOptions()).article
    assert article is not None and (article.language, article.language_source) == ("en", "declared")
    assert (
        detect_language("Die Regierung hat am Mittwoch neue Regeln für den Hafen beschlossen.")
        == "de"
    )
    assert detect_language("too short") is None


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["By Jane Doe"], ("Jane Doe",)),
        (["BY JANE DOE; By Jane Doe"], ("JANE DOE",)),
        (["Jane Doe, Staff Writer"], ("Jane Doe",)),
        (["Jane Doe | Senior Correspondent"], ("Jane Doe",)),
        (["Jane Doe - Staff Writer"], ("Jane Doe",)),
        (["MM-Redaktion"], ("MM-Redaktion",)),
        (["Jane Doe is a correspondent for the paper"], ("Jane Doe",)),
        (["Jane Doe jane.doe@paper.example"], ("Jane Doe",)),
        (["Von Hans Müller"], ("Hans Müller",)),
        (["Associated Press"], ("Associated Press",)),
        (["Reuters; By Ann Lee"], ("Reuters", "Ann Lee")),
        (["Jane Doe and agencies"], ("Jane Doe",)),
        (["Jerusalem Post Staff"], ()),
        (["Staff reports", "Correspondent", "The Editors"], ()),
        (["https://www.facebook.com/jane"], ()),
    ],
)
def test_authors_are_cleaned(names: list[str], expected: tuple[str, ...]) -> None:
    assert clean_authors(names) == expected


def test_what_a_listing_is() -> None:
    tree = trafilatura.load_html(
        "<html><body>"
        + "".join(f"<h3><a href='/s/{i}'>Story number {i} of the day</a></h3>" for i in range(6))
        + "</body></html>"
    )
    assert tree is not None
    headlines = "\n".join(f"Story number {i} of the day" for i in range(6))
    assert listing_words(headlines, tree) == (36, 36) and is_listing(headlines, tree)
    teasers = "\n".join(
        f"Project {i}\nProject {i} makes libraries better for everyone." for i in range(5)
    )
    assert not is_listing(teasers, tree)  # the short lines are not the page's headings
    projects = trafilatura.load_html(
        "<html><body>" + "".join(f"<h3>Project {i}</h3>" for i in range(5)) + "</body></html>"
    )
    assert projects is not None and is_listing(teasers, projects)
    prose = "\n".join(
        f"Paragraph {i} tells the story at length, with a subject, a verb and a full stop, "
        "as a story does."
        for i in range(6)
    )
    assert listing_words(prose, tree) == (0, 120) and not is_listing(prose, tree)
    # four items are a few links in a story, not a list
    assert not is_listing("\n".join(headlines.split("\n")[:4]), tree)
