"""robots.txt, RSS 2.0, Atom, sitemap index, urlset and Google News sitemaps, as bytes.

Written as text templates (escaped) rather than with ElementTree, whose namespace prefixes are
process-global state; the tests parse every one of them with feedparser and lxml.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass(frozen=True, slots=True)
class Entry:
    """One article as listings describe it."""

    url: str
    title: str
    published: datetime
    updated: datetime
    """When it last changed: `published` until a later round edits it."""
    author: str
    summary: str
    section: str
    keywords: tuple[str, ...] = ()


def _x(text: str) -> str:
    return escape(text, quote=True)


def robots_txt(disallow: Iterable[str] = (), sitemaps: Iterable[str] = ()) -> bytes:
    """Everything allowed to every agent except `disallow`; `Sitemap:` lines for `sitemaps`."""
    lines = ["# robots.txt", "User-agent: *", *(f"Disallow: {p}" for p in disallow), "Allow: /"]
    lines += [f"Sitemap: {url}" for url in sitemaps]
    return ("\n".join(lines) + "\n").encode()


def rss(name: str, home: str, self_url: str, entries: Sequence[Entry], tracking: str) -> bytes:
    """An RSS 2.0 feed; item links carry the `tracking` query string, as many CMSs add."""
    items = "".join(
        f"""<item><title>{_x(e.title)}</title><link>{_x(e.url + tracking)}</link>
<guid isPermaLink="false">{_x(e.url)}</guid><pubDate>{format_datetime(e.published)}</pubDate>
<dc:creator>{_x(e.author)}</dc:creator><category>{_x(e.section)}</category>
<description>{_x(e.summary)}</description></item>
"""
        for e in entries
    )
    built = format_datetime(max(e.updated for e in entries))
    return (
        f"""{XML_HEAD}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" \
xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>{_x(name)}</title><link>{_x(home)}</link><description>Latest from {_x(name)}</description>
<language>en</language><lastBuildDate>{built}</lastBuildDate>
<atom:link href="{_x(self_url)}" rel="self" type="application/rss+xml"/>
{items}</channel></rss>
"""
    ).encode()


def atom(name: str, home: str, self_url: str, entries: Sequence[Entry]) -> bytes:
    """An Atom 1.0 feed with `published` and `updated` per entry."""
    items = "".join(
        f"""<entry><title>{_x(e.title)}</title>
<link rel="alternate" type="text/html" href="{_x(e.url)}"/><id>{_x(e.url)}</id>
<published>{e.published.isoformat()}</published><updated>{e.updated.isoformat()}</updated>
<author><name>{_x(e.author)}</name></author><category term="{_x(e.section)}"/>
<summary>{_x(e.summary)}</summary></entry>
"""
        for e in entries
    )
    updated = max(e.updated for e in entries).isoformat()
    return (
        f"""{XML_HEAD}<feed xmlns="http://www.w3.org/2005/Atom">
<title>{_x(name)}</title><id>{_x(self_url)}</id><updated>{updated}</updated>
<link rel="self" type="application/atom+xml" href="{_x(self_url)}"/>
<link rel="alternate" type="text/html" href="{_x(home)}"/>
{items}</feed>
"""
    ).encode()


def sitemap_index(children: Sequence[tuple[str, datetime]]) -> bytes:
    items = "".join(
        f"<sitemap><loc>{_x(url)}</loc><lastmod>{when.isoformat()}</lastmod></sitemap>\n"
        for url, when in children
    )
    return f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">\n{items}</sitemapindex>\n'.encode()


def urlset(entries: Sequence[Entry]) -> bytes:
    """A plain sitemap: `loc` and `lastmod` only."""
    items = "".join(
        f"<url><loc>{_x(e.url)}</loc><lastmod>{e.updated.isoformat()}</lastmod></url>\n"
        for e in entries
    )
    return f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">\n{items}</urlset>\n'.encode()


def news_sitemap(name: str, entries: Sequence[Entry]) -> bytes:
    """A Google News sitemap: publication date, title and keywords per URL."""
    items = "".join(
        f"""<url><loc>{_x(e.url)}</loc><news:news><news:publication><news:name>{_x(name)}</news:name>
<news:language>en</news:language></news:publication>
<news:publication_date>{e.published.isoformat()}</news:publication_date>
<news:title>{_x(e.title)}</news:title><news:keywords>{_x(", ".join(e.keywords))}</news:keywords>
</news:news></url>
"""
        for e in entries
    )
    return (
        f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n{items}</urlset>\n'
    ).encode()
