"""The tracking publisher: a site that answers an article only at the URL its feed published,
tracking query included, for `SimWeb(tracking_publisher=True)`.

Its feed links every article as `/story/SLUG/?utm_source=RSS_Feed&utm_medium=RSS`; the article
without that query answers 404, as some CMSs do. Its home page links the same articles with the
two parameters the other way round, a second published form of the same normalised URL. A crawler
that requests the normalised URL, not the published one, loses every article.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qsl

from crawler.simweb.server import Resource

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
FEED = "/feed.xml"
QUERY = "utm_source=RSS_Feed&utm_medium=RSS"
"""The query of every article link in the feed."""
HOME_QUERY = "utm_medium=RSS&utm_source=RSS_Feed"
"""The same parameters the other way round: the home page's links."""
_REQUIRED = {("utm_source", "RSS_Feed"), ("utm_medium", "RSS")}


@dataclass(frozen=True, slots=True)
class TrackedArticle:
    slug: str
    title: str
    published: datetime
    paragraphs: tuple[str, ...]


_BODY = (
    "The government of El Salvador said on {day} that its offer to house prisoners deported from "
    "the United States in the CECOT mega-prison still stands, {angle}.",
    "Officials in San Salvador described the arrangement as a paid service: the United States "
    "would cover the cost of each inmate held in the country's prisons, and El Salvador would "
    "keep the detainees under the same regime as its own gang members in the Terrorism "
    "Confinement Center.",
    "Human rights groups questioned whether jailing foreign nationals abroad was lawful, and "
    "asked how families and lawyers would reach people held thousands of kilometres away. "
    "Lawmakers in Washington asked for the terms of the deal in writing.",
    "Analysts noted that the prison, opened in 2023, was built for forty thousand inmates and "
    "that its population is not published. The foreign ministry did not say when the first "
    "transfers could take place or how many prisoners the country would accept.",
)
_ANGLES = (
    "according to a statement read by the foreign minister",
    "after a meeting with a delegation from Washington",
    "despite criticism from legal scholars in both countries",
)
ARTICLES = tuple(
    TrackedArticle(
        slug=f"el-salvador-prisons-{n + 1}",
        title=title,
        published=datetime(2025, 2, 4 + 3 * n, 9 + n, 30, tzinfo=UTC),
        paragraphs=tuple(p.format(day=f"{4 + 3 * n} February", angle=_ANGLES[n]) for p in _BODY),
    )
    for n, title in enumerate(
        (
            "El Salvador repeats offer to jail US deportees in CECOT",
            "US delegation visits El Salvador prison site",
            "Scholars question legality of El Salvador prison deal",
        )
    )
)
"""The tracking publisher's articles: all on the El Salvador story, all in its window."""


class TrackingSite:
    """The tracking publisher's pages, at `base_url` ('http://127.0.0.1:PORT/')."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.host = base_url.split("/")[2]
        self.feeds = [base_url + FEED.lstrip("/")]
        self.sitemaps: list[str] = []

    def published_urls(self) -> list[str]:
        """Every article's URL as the feed publishes it."""
        return [f"{self.base_url}story/{a.slug}/?{QUERY}" for a in ARTICLES]

    def home_urls(self) -> list[str]:
        """Every article's URL as the home page links it (the second published form)."""
        return [f"{self.base_url}story/{a.slug}/?{HOME_QUERY}" for a in ARTICLES]

    def normalised_urls(self) -> list[str]:
        """Every article's URL without the tracking query (answers 404)."""
        return [f"{self.base_url}story/{a.slug}/" for a in ARTICLES]

    def respond(self, path: str, query: str) -> Resource:
        if path == "/":
            return Resource(200, HTML, self._home())
        if path == "/robots.txt":
            return Resource(200, "text/plain", b"User-agent: *\nAllow: /\n")
        if path == FEED:
            return Resource(200, RSS, self._feed())
        for article in ARTICLES:
            if path == f"/story/{article.slug}/":
                if set(parse_qsl(query)) >= _REQUIRED:
                    return Resource(200, HTML, _article(article))
                break
        return Resource(404, HTML, _page("Not found", "<p>No such page.</p>"))

    def _home(self) -> bytes:
        links = "".join(
            f'<li><a href="/story/{a.slug}/?{escape(HOME_QUERY)}">{escape(a.title)}</a></li>'
            for a in ARTICLES
        )
        return _page("Tracking Tribune", f"<h1>Tracking Tribune</h1><ul>{links}</ul>")

    def _feed(self) -> bytes:
        items = "".join(
            "<item>"
            f"<title>{escape(a.title)}</title>"
            f"<link>{escape(f'{self.base_url}story/{a.slug}/?{QUERY}')}</link>"
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<description>{escape(a.paragraphs[0])}</description>"
            "</item>"
            for a in ARTICLES
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Tracking Tribune</title><link>{escape(self.base_url)}</link>"
            f"<description>News, tracked</description>{items}</channel></rss>"
        ).encode()


def _article(article: TrackedArticle) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
    return _page(
        article.title,
        f"<article><h1>{escape(article.title)}</h1>"
        f'<time datetime="{article.published.isoformat()}">'
        f"{article.published:%d %B %Y}</time>{body}</article>",
        published=article.published,
    )


def _page(title: str, body: str, published: datetime | None = None) -> bytes:
    date = (
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        if published
        else ""
    )
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"{date}</head><body>{body}</body></html>"
    ).encode()
