"""`extract()`: one page in, an article or the reason there is none out, never an exception."""

from __future__ import annotations

import pickle
import re
import socket
from datetime import date

import pytest
import trafilatura
from trafilatura.settings import Extractor

from crawler import __version__
from crawler.core.normalise import count_words, text_digest
from crawler.core.page import decode_html
from crawler.extraction.extract import RULES_VERSION, extract, extractor_name
from crawler.extraction.options import ExtractOptions
from tests.extraction.pages import ARTICLE_URL, make_page, read

OPTIONS = ExtractOptions()

PARAGRAPHS = [
    "El Salvador has offered to take deportees and convicted criminals from the United States",
    "Rubio described the proposal as “an extraordinary gesture of friendship”",
    "known by its Spanish acronym CECOT, a complex opened in 2023",
    "said Ana Beltrán, who teaches constitutional law in San Salvador",
    "More than 80,000 people have been detained",
    "A spokesperson for the Salvadoran presidency did not respond to questions about the fee.",
]
BOILERPLATE = [
    "We use cookies",  # cookie banner
    "Accept all cookies",
    "The Harbour Times",  # logo and footer
    "Business",  # navigation
    "Subscribe from",
    "Advertisement",
    "Switch your energy supplier",
    "Cheap flights to Lisbon",
    "Share on Facebook",
    "Bukele sworn in for a second term",  # related links inside the body
    "More from World",  # related section
    "Honduras heads to the polls",
    "Sign up to First Edition",  # newsletter box
    "Outsourcing prisons",  # comments
    "RiverSkipper",
    "All rights reserved",
    "Privacy policy",
]


def test_the_article_body_is_the_text_in_order() -> None:
    article = extract(make_page("article.html"), OPTIONS).article
    assert article is not None
    positions = [article.text.find(paragraph) for paragraph in PARAGRAPHS]
    assert -1 not in positions, positions
    assert positions == sorted(positions)


@pytest.mark.parametrize("boilerplate", BOILERPLATE)
def test_page_furniture_is_left_out(boilerplate: str) -> None:
    article = extract(make_page("article.html"), OPTIONS).article
    assert article is not None
    assert boilerplate not in article.text


def test_article_metadata() -> None:
    page = make_page("article.html", url=ARTICLE_URL + "?utm_source=rss")
    extraction = extract(page, OPTIONS)
    article = extraction.article
    assert article is not None and extraction.reason is None
    assert article.title == "El Salvador offers to jail deportees from the US for a fee"
    assert article.authors == ("Maria López", "James Whitfield")
    assert article.published == date(2025, 2, 4)
    assert article.modified == date(2025, 2, 5)
    assert article.language == "en"  # <html lang="en-GB">
    assert article.site_name == "The Harbour Times"
    assert article.canonical_url == ARTICLE_URL  # relative <link rel=canonical>, resolved
    assert article.description is not None and article.description.startswith("President")
    assert article.word_count == count_words(article.text) > 300
    assert article.text_sha256 == text_digest(article.title, article.text)
    expected = (
        f"newsarchive {__version__} (rules {RULES_VERSION}) / trafilatura {trafilatura.__version__}"
    )
    assert extraction.extractor == extractor_name() == expected
    assert extraction.options_digest == ExtractOptions().digest


def test_comments_are_appended_only_when_asked() -> None:
    without = extract(make_page("article.html"), OPTIONS).article
    with_comments = extract(make_page("article.html"), ExtractOptions(include_comments=True))
    assert without is not None and with_comments.article is not None
    text = with_comments.article.text
    assert text.startswith(without.text)
    assert "Outsourcing prisons to another country" in text
    assert with_comments.article.word_count == count_words(text) > without.word_count
    assert with_comments.article.text_sha256 != without.text_sha256


def test_a_section_page_of_headlines_is_not_an_article() -> None:
    extraction = extract(
        make_page("section.html", url="https://www.harbourtimes.example/world"), OPTIONS
    )
    assert extraction.article is None
    assert extraction.reason is not None and extraction.reason.startswith("too-short: ")


def test_a_short_page_is_too_short_and_says_by_how_much() -> None:
    extraction = extract(make_page("short-undeclared.html"), OPTIONS)
    assert extraction.article is None
    assert extraction.reason is not None
    found = re.fullmatch(r"too-short: (\d+) words, need 80", extraction.reason)
    assert found and 20 < int(found[1]) < 80


def test_a_page_that_declares_an_article_is_one_down_to_25_words() -> None:
    article = extract(make_page("short.html"), OPTIONS).article  # og:type article, 33 words
    assert article is not None and "amber warning for wind" in article.text
    assert 25 <= article.word_count < 80
    html = read("short.html").replace(b" More to follow.", b"").replace(b"Ferry", b"Ferry")
    html = re.sub(rb"<p>Forecasters.*?</p>", b"<p>Forecasters issued an amber warning.</p>", html)
    extraction = extract(make_page(html), OPTIONS)
    assert extraction.reason is not None and extraction.reason.endswith("need 25")
    # a declared floor never raises a lower min_words
    assert extract(make_page(html), ExtractOptions(min_words=5)).article is not None
    # the floor is EXTRACT_MIN_WORDS_DECLARED
    extraction = extract(make_page("short.html"), ExtractOptions(min_words_declared=40))
    assert extraction.reason is not None and extraction.reason.endswith("need 40")


def test_min_words_is_the_threshold() -> None:
    article = extract(make_page("short.html"), ExtractOptions(min_words=20)).article
    assert article is not None
    assert article.title == "Storm warning issued for coastal towns"
    assert "amber warning for wind" in article.text


@pytest.mark.parametrize("status", [301, 304, 403, 404, 500, 503])
def test_a_non_2xx_response_is_not_extracted(status: int) -> None:
    extraction = extract(make_page("article.html", status=status), OPTIONS)
    assert (extraction.article, extraction.reason) == (None, f"http-{status}")


def test_a_2xx_response_other_than_200_is_extracted() -> None:
    assert extract(make_page("article.html", status=203), OPTIONS).article is not None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("article.html", "application/pdf"),
        ("article.html", "application/json"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
    ],
)
def test_a_body_that_is_not_html_is_not_extracted(
    body: str | bytes, content_type: str | None
) -> None:
    extraction = extract(make_page(body, content_type=content_type), OPTIONS)
    assert (extraction.article, extraction.reason) == (None, "not-html")


def test_html_without_a_content_type_is_recognised() -> None:
    assert extract(make_page("article.html", content_type=None), OPTIONS).article is not None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><head><title>Loading</title></head><body><script>app()</script></body></html>",
        b"\x00\x01\x02\x03",
    ],
)
def test_a_page_without_text_says_so(body: bytes) -> None:
    extraction = extract(make_page(body), OPTIONS)
    assert (extraction.article, extraction.reason) == (None, "no-text")


def test_an_exception_in_the_extractor_becomes_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tree exploded")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    extraction = extract(make_page("article.html"), OPTIONS)
    assert extraction.article is None
    assert extraction.reason == "error: RuntimeError: tree exploded"
    assert extraction.extractor == extractor_name()


def test_meta_charset_decodes_a_windows_1252_page() -> None:
    page = make_page("cp1252.html", url="https://diario.example/nacionales/bukele-carceles")
    article = extract(page, OPTIONS).article
    assert article is not None
    assert "cárceles salvadoreñas" in article.text
    assert "¿Puede un país" in article.text
    assert "«relativamente baja»" in article.text
    assert "“no hay ley que lo permita”" in article.text  # 0x93/0x94 in windows-1252
    assert "\ufffd" not in article.text
    assert article.authors == ("Lucía Hernández",)
    assert article.language == "es"  # <meta http-equiv="Content-Language" content="es-SV">
    assert article.published == date(2025, 2, 5)


CHINESE = "".join(
    f"<p>第{i}段\uff1a河南省有关负责同志介绍了相关情况\uff0c国务院新闻办举行系列主题新闻发布会"
    "\uff0c推动高质量发展\uff0c锚定确保高质量建设现代化河南的奋斗目标。</p>"
    for i in range(12)
)


def test_a_page_saved_as_utf8_under_an_old_meta_charset_is_read_as_utf8() -> None:
    # a page re-encoded to UTF-8 by the tool that saved it, its <meta> still saying gb2312: read
    # as GBK it would be mojibake (as a magic-html-articles page was)
    html = (
        '<html><head><meta charset="gb2312"><title>河南发布会</title></head><body><article>'
        f"<h1>河南发布会</h1>{CHINESE}</article></body></html>"
    ).encode()
    page = make_page(html, content_type="text/html")
    assert decode_html(page)[0] == "utf-8"
    article = extract(page, OPTIONS).article
    assert article is not None and "国务院新闻办举行系列主题新闻发布会" in article.text
    # bytes that are not UTF-8 still follow the <meta>; a charset in the header still wins
    legacy = html.decode().encode("gb18030")
    assert decode_html(make_page(legacy, content_type="text/html"))[0] == "gbk"
    stated = make_page(html, content_type="text/html; charset=gbk")
    assert decode_html(stated)[0] == "gbk"


def test_a_bom_wins_over_a_wrong_header_charset() -> None:
    page = make_page(
        "bom.html",
        url="https://wire.example/americas/reaction",
        content_type="text/html; charset=iso-8859-1",
    )
    article = extract(page, OPTIONS).article
    assert article is not None
    assert "São Paulo" in article.text and "Guantánamo Bay" in article.text
    assert "€25m" in article.text
    assert "Ã" not in article.text  # what UTF-8 read as Latin-1 looks like
    assert article.language == "en"  # og:locale en_US, no <html lang>
    assert article.authors == ("Daniel Okafor",)


def test_a_modified_date_is_kept_only_when_later_than_publication() -> None:
    article = extract(
        make_page("bom.html", url="https://wire.example/americas/reaction"), OPTIONS
    ).article
    assert article is not None
    assert article.published == date(2025, 2, 5)
    assert article.modified is None


def test_no_date_after_the_capture_is_believed() -> None:
    html = read("bom.html").replace(b"2025-02-05T11:20:00Z", b"2030-01-01T11:20:00Z")
    article = extract(
        make_page(html, url="https://wire.example/americas/reaction"), OPTIONS
    ).article
    assert article is not None
    assert article.published is None or article.published <= date(2025, 2, 7)


def test_canonical_falls_back_to_og_url_and_language_to_og_locale() -> None:
    html = (
        read("article.html")
        .replace(
            b'<link rel="canonical" href="/world/2025/02/04/', b'<link href="/world/2025/02/04/'
        )
        .replace(b' lang="en-GB"', b"")
    )
    article = extract(make_page(html, url="https://www.harbourtimes.example/x"), OPTIONS).article
    assert article is not None
    assert article.canonical_url == ARTICLE_URL  # og:url
    assert article.language == "en"  # og:locale en_GB


def test_a_page_without_canonical_or_language_has_none_declared() -> None:
    article = extract(make_page("cp1252.html", url="https://diario.example/a"), OPTIONS).article
    assert article is not None
    assert article.canonical_url is None
    html = read("bom.html").replace(b'<meta property="og:locale" content="en_US">', b"")
    article = extract(make_page(html, url="https://wire.example/a"), OPTIONS).article
    assert article is not None
    # no declaration: the language is detected from the text, and says so
    assert (article.language, article.language_source) == ("en", "detected")


def test_repeated_authors_are_listed_once() -> None:
    repeat = '{"@type": "Person", "name": " MARIA  LÓPEZ "}, '.encode()
    marker = b'{"@type": "Person", "name": "James Whitfield"'
    html = read("article.html").replace(marker, repeat + marker)
    article = extract(make_page(html), OPTIONS).article
    assert article is not None
    assert article.authors == ("Maria López", "James Whitfield")


def test_cosmetic_changes_keep_the_version_hash() -> None:
    """A re-fetch with new typography and an "Updated" line is the same version of the article."""
    original = extract(make_page("article.html"), OPTIONS).article
    html = (
        read("article.html")
        .decode("utf-8")
        .replace("“", '"')
        .replace("”", '"')
        .replace(" — ", " -- ")
        .replace("<p>Legal scholars", "<p>Updated 3 minutes ago</p>\n<p>Legal  scholars")
    )
    restyled = extract(make_page(html.encode()), OPTIONS).article
    assert original is not None and restyled is not None
    assert restyled.text != original.text
    assert restyled.text_sha256 == original.text_sha256


def test_an_edit_changes_the_version_hash() -> None:
    original = extract(make_page("article.html"), OPTIONS).article
    html = read("article.html").replace(b"40,000 inmates", b"40,500 inmates")
    edited = extract(make_page(html), OPTIONS).article
    assert original is not None and edited is not None
    assert edited.text_sha256 != original.text_sha256


def test_extraction_is_deterministic_and_crosses_process_boundaries() -> None:
    page = make_page("article.html")
    first, second = extract(page, OPTIONS), extract(page, OPTIONS)
    assert first == second
    # what a process pool does: pickle the function, the page and the options, and the result
    function, sent_page, sent_options = pickle.loads(pickle.dumps((extract, page, OPTIONS)))
    assert pickle.loads(pickle.dumps(function(sent_page, sent_options))) == first


def test_extraction_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[tuple[object, ...]] = []

    def refuse(*args: object) -> None:
        attempts.append(args)  # recorded: a library may swallow the error below
        raise OSError("network access during extraction")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    names = ["article.html", "section.html", "short-undeclared.html", "cp1252.html", "bom.html"]
    results = [extract(make_page(name), ExtractOptions(include_comments=True)) for name in names]
    assert attempts == []
    assert [r.article is not None for r in results] == [True, False, False, True, True]


def test_precision_falls_back_to_balanced_when_it_keeps_too_little(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = trafilatura.bare_extraction
    focuses: list[str] = []

    def precision_finds_nothing(tree: object, options: Extractor) -> object:
        focuses.append(options.focus)
        return None if options.focus == "precision" else real(tree, options=options)

    monkeypatch.setattr(trafilatura, "bare_extraction", precision_finds_nothing)
    article = extract(make_page("article.html"), ExtractOptions(favor="precision")).article
    assert focuses == ["precision", "balanced"]
    assert article is not None and PARAGRAPHS[0] in article.text

    # a page that does not say it is an article (og:type website) is not extracted twice
    focuses.clear()
    assert extract(make_page("section.html"), ExtractOptions(favor="precision")).article is None
    assert focuses == ["precision"]
    focuses.clear()
    assert (
        extract(make_page("short-undeclared.html"), ExtractOptions(favor="balanced")).article
        is None
    )
    assert focuses == ["balanced"]


def test_the_crawl_favors_precision_by_default() -> None:
    assert ExtractOptions().favor == "precision"
