"""Access from the page alone: walls are told from articles, and articles that carry a wall's
markup (a consent banner, a subscribe box, a captcha, `isAccessibleForFree: false`) stay open."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from crawler.core.access import AccessCheck
from crawler.core.page import PageInput
from crawler.extraction.access import check_access
from crawler.extraction.extract import extract
from crawler.extraction.options import ExtractOptions
from crawler.extraction.pagesigns import declaration
from tests.extraction.pages import DATA, make_page

WALLS = DATA / "walls"
OPEN = DATA / "open"
AEB = Path(__file__).parents[2] / "bench" / "data" / "aeb" / "html"
MANIFEST: dict[str, dict[str, Any]] = json.loads((WALLS / "walls.json").read_text())["pages"]


def served(body: bytes, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> PageInput:
    page = make_page(body, status=status, content_type="text/html; charset=utf-8")
    return PageInput(
        url=page.url,
        final_url=page.final_url,
        status=status,
        headers=(*page.headers, *headers),
        body=body,
        fetched_at=page.fetched_at,
    )


def judged(page: PageInput) -> AccessCheck:
    return check_access(page, extract(page, ExtractOptions()))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_wall_is_told_with_its_evidence(name: str) -> None:
    spec = MANIFEST[name]
    body = (WALLS / name.split("#")[0]).read_bytes()
    headers = tuple((key, value) for key, value in spec["headers"])
    check = judged(served(body, spec["status"], headers))
    assert check.access == spec["access"], check.reason
    assert spec["reason"] in {e.reason for e in check.evidence}, check.reason
    assert check.reason.startswith(f"{spec['access']}: ")


def test_every_kind_of_wall_is_among_the_fixtures() -> None:
    assert {spec["access"] for spec in MANIFEST.values()} == {
        "paywall",
        "consent",
        "login",
        "challenge",
    }


OPEN_PAGES = [
    "de-krautreporter.html.gz",
    "dw.com-elephants.html.gz",
    "litradio.net.bossong.html.gz",
    "speicherguide.de.schwierige.html.gz",
    "current.org-cpb418.html",
]


@pytest.mark.parametrize("name", OPEN_PAGES)
def test_real_articles_with_wall_markup_are_open(name: str) -> None:
    raw = (OPEN / name).read_bytes()
    check = judged(served(gzip.decompress(raw) if name.endswith(".gz") else raw))
    assert check.access == "open", check.reason


def test_a_not_free_page_that_shows_its_whole_text_is_not_even_suspected() -> None:
    """Krautreporter's JSON-LD says 6,040 words, not free; the page holds them all (our
    extraction fails on it, which is no reason to think it walled)."""
    page = served(gzip.decompress((OPEN / "de-krautreporter.html.gz").read_bytes()))
    check = judged(page)
    assert check.access == "open" and check.suspect is None
    assert "complete" in {e.reason for e in check.evidence}


AEB_WITH_WALL_MARKUP = {
    # isAccessibleForFree: false, with the `.paywall` part missing, present or short
    "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856": "not-free",
    "098bb3e96c0acdf36efdcde45fb9cca3f8c82c7cb2071b76097a1b96155f1eb2": "not-free",
    "2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6": "not-free, prompt",
    "7ab16ade32386ece353b8d31fc3bb7e660189efd5bf3c8549aaba101ad3f5ef5": "not-free",
    "d48aeb9cf2f2ff15769a57513249b4a6a669159f3e50b335e741d4206a824e88": "not-free, prompt",
    "f8ff621a0b9b7646cc0d57d37416feabba2bf78ef5dd0bfc5b080f9f97bbe584": "not-free, captcha",
    "06e5123e4ef7cfb4533250dc45d1e03d0838fc66223f45c583c4d12f48b4da85": "Quantcast",
    "21486419bb109c5a62a68957f528e6ff29c92f58d8d3c1f2837c86ff3f3e11f9": "reCAPTCHA",
    "374ac9a59a85196cdacc1679fb8993521a7b7d9d6533720f102300be1c7face4": "OneTrust",
    "5fa5679de56c43edf70685762c2d1f2de296432ae53aa46e075b552fee17cab8": "Sourcepoint",
    "7f93c1944a41d01960f8a16fdfda6c562e86f04ead8375ab796c4278402df9a8": "Didomi",
}


def aeb_page(prefix: str) -> bytes:
    (path,) = AEB.glob(f"{prefix}*.html.gz")
    return gzip.decompress(path.read_bytes())


@pytest.mark.parametrize("prefix", sorted(AEB_WITH_WALL_MARKUP))
def test_benchmark_articles_with_wall_markup_are_open(prefix: str) -> None:
    check = judged(served(aeb_page(prefix)))
    assert check.access == "open", (AEB_WITH_WALL_MARKUP[prefix], check.reason)


def test_a_consent_dialog_or_challenge_markup_beside_an_article_leaves_it_open() -> None:
    """The markup of walls alone never walls an article: it is weighed against the prose."""
    article = aeb_page("374ac9a59a85196c")
    for wall in ("onetrust-interstitial.html", "cloudflare-managed-challenge.html"):
        dialog = (WALLS / wall).read_bytes().split(b"<body>")[-1].split(b"</body>")[0]
        mixed = article.replace(b"</body>", dialog + b"</body>", 1)
        assert mixed != article
        assert judged(served(mixed)).access == "open"


MORE = (
    b"<p>The union said the automation plan would cut more than four hundred jobs over five "
    b"years, and that the port authority had refused to discuss retraining or early "
    b"retirement for the workers affected.</p>"
    b"<p>The port authority said in a statement that it regretted the vote and remained open "
    b"to talks, but that the new terminals were needed to keep the port competitive.</p>"
)


def test_an_article_with_a_subscribe_box_is_only_suspected() -> None:
    """A long text beside an offer: a teaser or a whole article? Only an earlier text can tell
    (crawler/versions/access.py)."""
    body = (WALLS / "paywall-en-metered.html").read_bytes()
    paragraph = body.split(b'<div class="article-body">')[1].split(b"</div>")[0]
    longer = body.replace(paragraph, paragraph + MORE * 4, 1)
    check = judged(served(longer))
    assert check.access == "open" and check.suspect == "paywall"
    assert "wall-text" in {e.reason for e in check.evidence}


def test_a_short_article_whose_not_free_part_holds_only_the_offer_is_a_paywall() -> None:
    """Extracted as an article (above the minimum length), yet short, declared not free, and
    where its JSON-LD says the paid part is there is only the offer."""
    body = (WALLS / "paywall-en-metered.html").read_bytes()
    paragraph = body.split(b'<div class="article-body">')[1].split(b"</div>")[0]
    page = served(body.replace(paragraph, paragraph + MORE, 1))
    extraction = extract(page, ExtractOptions())
    assert extraction.article is not None and extraction.article.word_count < 150
    check = check_access(page, extraction)
    assert check.access == "paywall", check.reason
    reasons = {e.reason for e in check.evidence}
    assert {"parts-withheld", "short-text", "not-free"} <= reasons


def test_a_redirect_to_a_login_page_is_a_login_wall() -> None:
    body = b"<html><head><title>Sign in</title></head><body><form><input></form></body></html>"
    page = served(body)
    redirected = PageInput(
        url=page.url,
        final_url="https://www.harbourtimes.example/account/login?next=/world/story",
        status=200,
        headers=page.headers,
        body=body,
        fetched_at=page.fetched_at,
    )
    check = judged(redirected)
    assert check.access == "login"
    assert "redirected" in {e.reason for e in check.evidence}


def test_statuses_that_are_walls_by_themselves() -> None:
    assert judged(served(b"", 429, (("Retry-After", "60"),))).access == "challenge"
    assert judged(served(b"<html></html>", 401)).access == "login"
    assert "Retry-After: 60" in judged(served(b"", 429, (("Retry-After", "60"),))).reason


def test_error_pages_and_other_files_are_open() -> None:
    """A 404, a plain 503 or Cloudflare's page for an origin that is down is no wall: the page is
    gone or broken, and the extraction says so."""
    bad_gateway = (
        b"<html><head><title>news.example | 502: Bad gateway</title></head><body>"
        b'<div id="cf-wrapper"><div id="cf-error-details"><h1>Bad gateway</h1>'
        b"<p>The web server reported a bad gateway error.</p></div></div></body></html>"
    )
    assert judged(served(bad_gateway, 502, (("Server", "cloudflare"),))).access == "open"
    assert judged(served(b"<html><body><h1>Not found</h1></body></html>", 404)).access == "open"
    assert judged(served(b"<html><body>Service unavailable</body></html>", 503)).access == "open"
    pdf = make_page(b"%PDF-1.7 ...", content_type="application/pdf")
    assert judged(pdf).access == "open"


@pytest.mark.parametrize(
    ("script", "not_free", "selectors", "words"),
    [
        ('{"isAccessibleForFree": false}', True, (), None),
        ('{"isAccessibleForFree": "False"}', True, (), None),
        ('{"isAccessibleForFree": "http://schema.org/False"}', True, (), None),
        ('{"isAccessibleForFree": true, "wordCount": 812}', False, (), 812),
        (
            '{"@graph": [{"@type": "WebPage"}, {"@type": "NewsArticle", "isAccessibleForFree":'
            ' "false", "hasPart": [{"isAccessibleForFree": false, "cssSelector": ".a"},'
            ' {"isAccessibleForFree": false, "cssSelector": [".b", ".c"]}]}]}',
            True,
            (".a", ".b", ".c"),
            None,
        ),
        (
            '//<![CDATA[\n{"isAccessibleForFree": false, "wordCount": "1200", "hasPart": '
            '{"isAccessibleForFree": false, "cssSelector": ".x"}}\n//]]>',
            True,
            (".x",),
            1200,
        ),
        # not JSON (a trailing comma): read from the text
        ('{"isAccessibleForFree": false, "hasPart": {"cssSelector": ".y"},}', True, (".y",), None),
    ],
)
def test_the_paywall_declaration_in_every_form(
    script: str, not_free: bool, selectors: tuple[str, ...], words: int | None
) -> None:
    html = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    found = declaration(html)
    assert (found.not_free, found.selectors, found.word_count) == (not_free, selectors, words)
