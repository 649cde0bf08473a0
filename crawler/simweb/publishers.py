"""The fictional publishers: who they are and what their sites offer a crawler.

Each one exercises a different way in: A an RSS feed, B an Atom feed, C a sitemap index with a
gzipped Google News sitemap, D a sitemap named only in robots.txt, E nothing but its pages. Their
article pages send ETag and Last-Modified (A, B), neither (C), Last-Modified only (D) or ETag only
(E).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    slug: str
    label: str
    kinds: tuple[str, ...] = ()
    """Generator topic sections ('local', 'sport', …) whose articles it carries."""

    @property
    def path(self) -> str:
        return f"/{self.slug}/"


@dataclass(frozen=True, slots=True)
class PublisherSpec:
    name: str
    slug: str
    seed_id: str | None
    sections: tuple[Section, ...]
    seed_section: str
    """Slug of the section that carries the seed article."""
    url_style: str
    """How article paths look: 'dated', 'slug-id', 'html', 'story' or 'numeric' (see plan.py)."""
    feed: str | None = None
    """'rss' (/rss.xml) or 'atom' (/atom.xml)."""
    sitemap: str | None = None
    """'index' (/sitemap.xml, listed in the story) or 'robots' (named only in robots.txt)."""
    gzip: bool = False
    """Compress HTML when the request's Accept-Encoding allows it."""
    absolute_links: bool = False
    """Write links as absolute URLs on its own host instead of relative ones."""
    server: str = "nginx"
    """The Server header it answers with."""
    html_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every HTML page, in order (a name may repeat)."""
    validators: tuple[str, ...] = ("etag", "last-modified")
    """What its article pages send, and so which conditional requests it answers with 304: a
    recrawl of a publisher with neither must compare payload digests."""

    def section_for(self, kind: str) -> Section:
        """Where an article of generator section `kind` goes (the first section by default)."""
        return next((s for s in self.sections if kind in s.kinds), self.sections[0])

    def section(self, slug: str) -> Section:
        return next(s for s in self.sections if s.slug == slug)


def _sections(*items: tuple[str, str, str]) -> tuple[Section, ...]:
    return tuple(Section(slug, label, tuple(kinds.split())) for slug, label, kinds in items)


LEDGERLINE = PublisherSpec(
    name="The Ledgerline",
    slug="ledgerline",
    seed_id="000",
    # The seed site's own menu, so the seed's nav lines are this site's nav.
    sections=_sections(
        ("news", "News", "world local weather sport health science culture justice"),
        ("banking", "Banking", ""),
        ("credit-cards", "Credit Cards", ""),
        ("loans", "Loans", ""),
        ("mortgage", "Mortgage", "business"),
        ("investing", "Investing", "tech"),
        ("markets", "Markets", "markets"),
        ("stocks", "Stocks", ""),
        ("commodities", "Commodities", ""),
        ("crypto", "Crypto", "travel"),
        ("forex", "Forex", ""),
        ("videos", "Videos", ""),
        ("finance", "Finance", ""),
        ("dept-management", "Dept Management", ""),
        ("small-business", "Small Business", ""),
    ),
    seed_section="news",
    url_style="dated",
    feed="rss",
    gzip=True,
    absolute_links=True,
    server="Apache",
    headers=(
        ("Set-Cookie", "ll_consent=pending; Path=/; Max-Age=31536000; SameSite=Lax"),
        ("Set-Cookie", "ll_visitor=returning; Path=/; HttpOnly; SameSite=Lax"),
    ),
)

HARBOR_COURIER = PublisherSpec(
    name="Harbor Courier",
    slug="harbor-courier",
    seed_id="001",
    sections=_sections(
        ("world", "World", "world justice"),
        ("us", "U.S.", "local"),
        ("business", "Business", "business markets tech"),
        ("sport", "Sport", "sport"),
        ("weather", "Weather", "weather"),
        ("culture", "Culture", "culture health science travel"),
    ),
    seed_section="world",
    url_style="slug-id",
    feed="atom",
)

WIREFRONT = PublisherSpec(
    name="Wirefront Daily",
    slug="wirefront",
    seed_id="002",
    sections=_sections(
        ("world", "World", "world justice"),
        ("business", "Business", "business markets"),
        ("tech", "Tech", "tech science"),
        ("local", "Local", "local weather health"),
        ("sport", "Sport", "sport"),
        ("lifestyle", "Lifestyle", "culture travel"),
    ),
    seed_section="world",
    url_style="html",
    sitemap="index",
    server="cloudflare",
    validators=(),
)

JUSTICE_DISPATCH = PublisherSpec(
    name="Justice Dispatch",
    slug="justice-dispatch",
    seed_id="003",
    sections=_sections(
        ("justice", "Criminal Justice", "justice"),
        ("world", "World", "world travel"),
        ("policy", "Policy", "local business markets"),
        ("health", "Health", "health science"),
        ("community", "Community", "culture sport weather tech"),
        ("reports", "Reports", ""),
    ),
    seed_section="justice",
    url_style="story",
    sitemap="robots",
    gzip=True,
    server="openresty",
    headers=(
        ("Link", '</news-sitemap.xml>; rel="sitemap"; type="application/xml"'),
        ("Link", '</>; rel="home"'),
    ),
    validators=("last-modified",),
)

CONTINENTAL_HERALD = PublisherSpec(
    name="Continental Herald",
    slug="continental-herald",
    seed_id="004",
    sections=_sections(
        ("world", "World", "world travel"),
        ("politics", "Politics", "local justice"),
        ("business", "Business", "business markets tech"),
        ("sport", "Sport", "sport"),
        ("science", "Science", "science health weather"),
        ("arts", "Arts", "culture"),
    ),
    seed_section="world",
    url_style="numeric",
    server="Microsoft-IIS/10.0",
    html_type="text/html",
    validators=("etag",),
)

PUBLISHERS = (LEDGERLINE, HARBOR_COURIER, WIREFRONT, JUSTICE_DISPATCH, CONTINENTAL_HERALD)

FAILING = PublisherSpec(
    name="Broken Telegraph",
    slug="broken-telegraph",
    seed_id=None,
    sections=_sections(("news", "News", "")),
    seed_section="news",
    url_style="story",
)
"""The optional sixth publisher: every URL answers 500."""

HOSTILE = PublisherSpec(
    name="Hostile Gazette",
    slug="hostile-gazette",
    seed_id=None,
    sections=_sections(("news", "News", "")),
    seed_section="news",
    url_style="story",
)
"""The optional hostile publisher; its pages are crawler/simweb/hostile.py's, not a theme's."""

TRACKING = PublisherSpec(
    name="Tracking Tribune",
    slug="tracking-tribune",
    seed_id=None,
    sections=_sections(("news", "News", "")),
    seed_section="news",
    url_style="story",
)
"""The optional tracking publisher: articles only at the URL its feed published
(crawler/simweb/tracking.py)."""
