"""The passes after a short precision pass: the balanced one replaces it only when it adds prose
(crawler.extraction.fallback), so real short pages whose balanced text is the whole page's menus
keep their precision text; recall mode is tried on a declared article still too short to store."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.core.page import PageInput
from crawler.extraction import extract as extract_module
from crawler.extraction.extract import extract
from crawler.extraction.fallback import widens
from crawler.extraction.options import ExtractOptions

PAGES = Path(__file__).parents[2] / "tests" / "data" / "pages"


def saved(name: str, url: str) -> PageInput:
    """A page as fetched, its charset left to the page (one of these is ISO-8859-1)."""
    return PageInput.saved(
        url, gzip.decompress((PAGES / name).read_bytes()), datetime(2023, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("name", "url", "kept", "left_out"),
    [
        # a record review (og:type article) of 43 words: balanced adds the ads, the footer menu
        (
            "mix1.de-clio.html.gz",
            "https://www.mix1.de/music/leslie-clio/brave-new-woman/",
            "Am 4. Februar 2022 erscheint das neue und vierte Leslie-Clio-Album",
            ("Impressum", "Datenschutzerklärung", "Musiknewsletter"),
        ),
        # a short blog post (og:type article): balanced runs the whole page together on one line
        (
            "archive.org.swap-stop.org.shuji.html.gz",
            "https://swap-stop.org/de/filmswap/zusammenarbeit-shuji-walter-april-2018-i/",
            "Fuji X-TRA 400.",
            ("I Posted 11. April 2018 by Walter",),
        ),
    ],
)
def test_a_short_declared_page_keeps_its_precision_text(
    name: str, url: str, kept: str, left_out: tuple[str, ...]
) -> None:
    extraction = extract(saved(name, url), ExtractOptions())
    assert extraction.article is not None, extraction.reason
    assert kept in extraction.article.text
    for words in left_out:
        assert words not in extraction.article.text


# Lines of mix1.de-clio (the review above), as the precision and balanced passes write them.
REVIEW = (
    "Am 4. Februar 2022 erscheint das neue und vierte Leslie-Clio-Album, „Brave New Woman“. "
    "Zuvor hatte die Sängerin und Songschreiberin ihre eigene Plattenfirma gegründet."
)
MENUS = ["Anzeige", "Short-URL: https://mix1.de/m57399", "Impressum", "Datenschutzerklärung"]


def test_menus_and_labels_do_not_widen() -> None:
    assert not widens(REVIEW, "\n".join([REVIEW, *MENUS]))


def test_the_whole_page_on_one_line_does_not_widen() -> None:
    # the precision paragraph is inside the balanced line, but is not one of its lines
    assert not widens(REVIEW, f"Brave New Woman Label: House of Clio {REVIEW} Impressum")


def test_paragraphs_of_prose_widen() -> None:
    more = (
        "Mit dem Album erzählt sie von Selbstbestimmung, vom Loslassen und davon, "
        "wie man nach einer Trennung wieder zu sich selbst findet."
    )
    assert widens(REVIEW, "\n".join([REVIEW, more, "Anzeige"]))
    assert not widens(REVIEW, more)  # the precision text itself is gone


def test_a_declared_article_both_passes_miss_is_read_in_recall_mode() -> None:
    # og:type article and a JSON-LD Article; precision finds no text, balanced 10 words (the
    # teaser above an embedded post), recall mode the story
    page = saved(
        "OnlineMarketing.de-Instagram.html.gz",
        "https://onlinemarketing.de/social-media-marketing/instagram-neue-videofunktion-stories",
    )
    extraction = extract(page, ExtractOptions())
    assert extraction.article is not None, extraction.reason
    assert "Nutzer:innen haben die Möglichkeit" in extraction.article.text
    assert "Dein personalisierter Newsletter" not in extraction.article.text


def test_a_short_precision_text_is_widened_by_the_paragraphs_it_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # og:type article; precision mode keeps 183 words and misses a paragraph ("Our work spans
    # a variety…"), which the balanced pass keeps with all of the precision text's
    page = saved("creativecommons.org.html.gz", "https://creativecommons.org/about/")
    missed = "Our work spans a variety"
    below = extract_module.WIDEN_BELOW
    article = extract(page, ExtractOptions()).article
    assert article is not None and missed in article.text
    assert "Creative Commons helps you legally share" in article.text
    monkeypatch.setattr(extract_module, "WIDEN_BELOW", 0)  # only below min_words, as before
    narrow = extract(page, ExtractOptions()).article
    assert narrow is not None and missed not in narrow.text
    assert 80 <= narrow.word_count < article.word_count < below
