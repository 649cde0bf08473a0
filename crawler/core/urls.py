"""URL normalisation: one spelling per page, so that the same article is one row.

Lower-cased scheme and host, default port dropped, tracking parameters (utm_*, fbclid, gclid, …)
removed, remaining query parameters sorted, fragment dropped. Paths are kept as they are:
servers may treat case and trailing slashes as meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url


def normalise_url(url: str, base: str | None = None) -> str:
    """The normal form of `url` (resolved against `base` first, when given).

    Raises ValueError for text that is not a URL at all (e.g. 'http://[::1'): callers count it
    as an invalid link.
    """
    if base is not None:
        url = urljoin(base, url)
    return _cached(url) if len(url) <= CACHED_LENGTH else _normal(url)


CACHED_LENGTH = 2048
"""URLs up to this long are cached (65,536 of them: at most 128 MiB even if all were this long);
a hostile page's 100 kB links are normalised each time instead."""


def _normal(url: str) -> str:
    url = url.strip()
    try:
        normal = normalize_url(url, strict=False, trailing_slash=True)
    except ValueError:
        normal = url
    parts = urlsplit(normal)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


_cached = lru_cache(maxsize=65_536)(_normal)
"""A crawl normalises the same URLs again and again (each link where it is found, when it is
scheduled, fetched and recorded), and courlan's normalisation is the costly part."""


def host_of(url: str) -> str:
    """`host:port` as written, lower-cased: what identifies a publisher."""
    return urlsplit(url).netloc.lower()


def same_site(url: str, host: str) -> bool:
    """Whether `url` is served by the publisher at `host` (exact host:port match)."""
    return host_of(url) == host


def published_url(url: str, base: str | None = None) -> str:
    """`url` as it was published, to be requested as it is: resolved against `base`, surrounding
    whitespace and the fragment (never sent to a server) dropped, tracking parameters and all
    kept. Raises ValueError, as `normalise_url` does, for text that is not a URL."""
    if base is not None:
        url = urljoin(base, url)
    normalise_url(url)  # the same rule for what is not a URL at all
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True, slots=True)
class PublishedForm:
    """A spelling of a URL that a feed, sitemap, link or archived record used and that differs
    from its normalised form (tracking parameters, parameter order…): recorded as an alias of
    `identity`, the normalised URL."""

    form: str
    identity: str
    seen_at: datetime


def published_form(url: str, seen_at: datetime) -> PublishedForm | None:
    """The published form `url` is, or None when it is its normalised form (or no URL)."""
    try:
        identity = normalise_url(url)
    except ValueError:
        return None
    return None if identity == url else PublishedForm(url, identity, seen_at)
