"""A site's listings: robots.txt, its RSS or Atom feed and its sitemaps, made from the articles
the site serves in its round."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from crawler.simweb.listings import (
    Entry,
    atom,
    news_sitemap,
    robots_txt,
    rss,
    sitemap_index,
    urlset,
)
from crawler.simweb.plan import Placed
from crawler.simweb.server import Resource

if TYPE_CHECKING:
    from crawler.simweb.sites import Site

FEEDS = {"rss": "/rss.xml", "atom": "/atom.xml"}
ROBOTS_SITEMAP = "/news-sitemap.xml"
"""Justice Dispatch's sitemap, named only in its robots.txt."""
STORY_KEYWORDS = ("El Salvador", "Nayib Bukele", "prisons", "deportations")
XML = "application/xml; charset=utf-8"


def listing_routes(site: Site) -> dict[str, Callable[[], Resource]]:
    """Listing paths `site` serves, to the function that makes each."""
    routes: dict[str, Callable[[], Resource]] = {"/robots.txt": lambda: _robots(site)}
    if site.spec.feed == "rss":
        routes[FEEDS["rss"]] = lambda: _rss(site)
    if site.spec.feed == "atom":
        routes[FEEDS["atom"]] = lambda: _atom(site)
    if site.spec.sitemap == "robots":
        routes[ROBOTS_SITEMAP] = lambda: Resource(200, XML, urlset(_entries(site)))
    if site.spec.sitemap == "index":
        routes["/sitemap.xml"] = lambda: _sitemap_index(site)
        routes["/sitemap-news.xml.gz"] = lambda: _news_sitemap(site)
        routes["/sitemap-pages.xml"] = lambda: _pages_sitemap(site)
    return routes


def _robots(site: Site) -> Resource:
    maps = [site.url(ROBOTS_SITEMAP)] if site.spec.sitemap == "robots" else []
    return Resource(200, "text/plain; charset=utf-8", robots_txt(site.disallow, maps))


def _rss(site: Site) -> Resource:
    feed, entries = site.url(FEEDS["rss"]), _entries(site)
    body = rss(site.spec.name, site.base_url, feed, entries, "?utm_source=rss")
    return Resource(200, "application/rss+xml; charset=utf-8", body)


def _atom(site: Site) -> Resource:
    body = atom(site.spec.name, site.base_url, site.url(FEEDS["atom"]), _entries(site))
    return Resource(200, "application/atom+xml; charset=utf-8", body)


def _sitemap_index(site: Site) -> Resource:
    newest = max(updated(a) for a in site.listed())
    children = [(site.url(p), newest) for p in ("/sitemap-news.xml.gz", "/sitemap-pages.xml")]
    return Resource(200, XML, sitemap_index(children))


def _news_sitemap(site: Site) -> Resource:
    # Only this sitemap states publication dates, so only it lists the out-of-window
    # follow-ups; the extra volume articles go in the plain one.
    news = news_sitemap(site.spec.name, _entries(site, lambda a: a.kind != "extra"))
    return Resource(200, "application/gzip", gzip.compress(news, mtime=0))


def _pages_sitemap(site: Site) -> Resource:
    # A bare <lastmod> after the window's start rules nothing out, so the follow-ups dated
    # after the window stay out of this one.
    return Resource(200, XML, urlset(_entries(site, lambda a: a.kind != "coverage")))


def _entries(site: Site, keep: Callable[[Placed], bool] = lambda a: True) -> list[Entry]:
    return [entry(site, a) for a in site.listed() if keep(a)]


def entry(site: Site, article: Placed) -> Entry:
    """`article` as `site`'s feeds and sitemaps describe it."""
    text = article.text
    topic = (article.section.label, text.topic.replace("-", " "))
    keywords = STORY_KEYWORDS if text.on_topic else topic
    return Entry(
        url=site.url(article.path),
        title=text.headline,
        published=text.published,
        updated=updated(article),
        author=text.author,
        summary=summary(text.paragraphs[0]),
        section=article.section.label,
        keywords=keywords,
    )


def updated(article: Placed) -> datetime:
    """When its page last changed: its publication, or a later round's edit."""
    return article.modified or article.text.published


def summary(text: str, limit: int = 200) -> str:
    """The description feeds, sitemaps and `<meta name="description">` give an article."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
