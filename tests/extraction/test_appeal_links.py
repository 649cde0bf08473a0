"""The shortcut for relative links in the appeal rule says what urljoin would say
(crawler.extraction.boilerplate._links_to_an_appeal)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from crawler.extraction.boilerplate import (
    _APPEAL_HREF,
    _links_to_an_appeal,
    _names_an_appeal,
    _site,
)

HREFS = [
    "/subscribe",
    "subscribe",
    "?abo=1",
    "#newsletter",
    "../join-us",
    " /login",
    "",
    "//other.example.com/subscribe",
    "  //other.example.com/subscribe",
    "\t//other.example.com/subscribe",
    "/\t/other.example.com/subscribe",
    "\x01//other.example.com/subscribe",
    "\\\\other.example.com/subscribe",
    "/\\other.example.com/subscribe",
    "mailto:newsletter@example.org",
    "https://www.example.org/subscribe",
    "https://other.example.com/subscribe",
    "/a:b/subscribe",
    "javascript:subscribe()",
]
BASES = ["https://www.example.org/news/story?x=1", "http://example.org", "", "about:blank"]


def by_urljoin(href: str, base: str, site: str) -> bool:
    if not _APPEAL_HREF.search(href):
        return False
    try:
        return _site(urljoin(base, href)) == site
    except ValueError:
        return False


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("href", HREFS)
def test_same_answer_as_urljoin(href: str, base: str) -> None:
    site = _site(base)
    assert _links_to_an_appeal(href, base, site) == by_urljoin(href, base, site)


def test_a_relative_subscription_link_is_the_sites() -> None:
    base = "https://www.example.org/news/story"
    assert _links_to_an_appeal("/subscribe", base, _site(base))
    assert not _links_to_an_appeal("//other.example.com/subscribe", base, _site(base))


@pytest.mark.parametrize(
    "href",
    [
        "/Subscribe",
        "/NEWSLETTER/signup",
        "/about-us",
        "/story/123",
        "https://example.org/Premium",
        "/\u017fubscribe",  # long s: case-insensitive regex matches it, lower() does not
        "/\u212aontakt",  # Kelvin sign
        "/\u0130nbox",  # dotted capital I
        "",
    ],
)
def test_the_fast_href_test_is_the_regex(href: str) -> None:
    assert _names_an_appeal(href) == (_APPEAL_HREF.search(href) is not None)
