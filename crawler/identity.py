"""A request's identity: the normalised URL it stands for, whichever form of it is requested.

The spider requests a URL as it was published (`crawler.core.urls.published_url`) and puts its
normalised form in `request.meta[meta.IDENTITY]`; everything that asks whether two requests are
the same, or what a request's URL is in the database, asks `identity_of`. Scrapy's duplicate
filter (and the distributed one) fingerprint requests with `IdentityFingerprinter`, so that a
second published form of a URL already requested is not fetched again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.utils.request import fingerprint

from crawler.core import meta
from crawler.core.urls import normalise_url

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


def url_key(url: str) -> str:
    """The URL as the crawl keeps it: normalised, or as it is when it is not a URL at all."""
    try:
        return normalise_url(url)
    except ValueError:
        return url


def identity_of(request: Request) -> str:
    """The normalised URL `request` stands for: what the spider said, else its URL normalised
    (robots.txt requests, requests made by other components)."""
    identity = request.meta.get(meta.IDENTITY)
    return identity if isinstance(identity, str) and identity else url_key(request.url)


def identity_fingerprint(request: Request) -> bytes:
    """Scrapy's fingerprint of `request` with its identity as the URL."""
    identity = identity_of(request)
    if identity == request.url:
        return fingerprint(request)
    return fingerprint(request.replace(url=identity))


class IdentityFingerprinter:
    """`REQUEST_FINGERPRINTER_CLASS`: requests for two published forms of one URL are one."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        return identity_fingerprint(request)
