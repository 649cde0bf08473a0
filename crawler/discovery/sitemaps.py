"""Sitemaps: urlset, sitemap index, gzip, and the Google News extension.

Parsed with lxml with entity resolution, network access and huge trees off, so a hostile sitemap
cannot expand entities or make the parser fetch anything.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import date

from lxml import etree

from crawler.discovery import Lead

MAX_SITEMAP_BYTES = 50 * 1024 * 1024
"""The sitemap protocol's own limit for one (uncompressed) sitemap file."""


class SitemapError(ValueError):
    """The body is not a sitemap that can be read."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    """Either an index (`children` set) or a urlset (`leads` set)."""

    children: tuple[str, ...] = ()
    leads: tuple[Lead, ...] = ()


def parse_sitemap(body: bytes, max_bytes: int = MAX_SITEMAP_BYTES) -> Sitemap:
    """Parse a sitemap or sitemap index, gunzipping it first if it is gzip data."""
    xml = _gunzip(body, max_bytes) if body[:2] == b"\x1f\x8b" else body
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=True, remove_comments=True
    )
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from exc
    if root is None:
        raise SitemapError("empty document")
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        locs = [_text(el, "loc") for el in root if _local(el) == "sitemap"]
        return Sitemap(children=tuple(loc for loc in locs if loc))
    if kind == "urlset":
        leads = [lead for el in root if _local(el) == "url" for lead in [_lead(el)] if lead]
        return Sitemap(leads=tuple(leads))
    raise SitemapError(f"root element is <{kind}>, not <urlset> or <sitemapindex>")


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress at most `max_bytes`: a small gzip bomb must not take the machine's memory."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            while chunk := stream.read(64 * 1024):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise SitemapError(f"decompresses to more than {max_bytes} bytes")
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(f"bad gzip data: {exc}") from exc
    return out.getvalue()


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(parent: etree._Element, name: str) -> str | None:
    for el in parent.iter():
        if _local(el) == name and el.text and el.text.strip():
            return str(el.text.strip())
    return None


def _lead(url_el: etree._Element) -> Lead | None:
    loc = next((el.text.strip() for el in url_el if _local(el) == "loc" and el.text), None)
    if not loc:
        return None
    news = next((el for el in url_el if _local(el) == "news"), None)
    published = title = None
    keywords: tuple[str, ...] = ()
    if news is not None:
        published = _date(_text(news, "publication_date"))
        title = _text(news, "title")
        raw_keywords = _text(news, "keywords")
        if raw_keywords:
            keywords = tuple(k.strip() for k in raw_keywords.split(",") if k.strip())
    lastmod = next((el.text.strip() for el in url_el if _local(el) == "lastmod" and el.text), None)
    return Lead(
        url=loc, published=published, modified=_date(lastmod), title=title, keywords=keywords
    )


def _date(value: str | None) -> date | None:
    """The date part of a W3C datetime ('2025-02-04', '2025-02-04T12:52:00+00:00')."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
