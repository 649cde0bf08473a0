"""One publisher's site: its pages, listings, robots.txt and files, rendered once and cached.

The link graph is decided here and only here: `page()` says what each page links to, the themes
render exactly those links, and truth.py walks the same pages to say what a crawler can reach.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from crawler.simweb.content import ROLES, seeds
from crawler.simweb.pdf import one_page_pdf
from crawler.simweb.plan import PRIVATE, Placed
from crawler.simweb.publishers import PublisherSpec, Section
from crawler.simweb.server import Resource
from crawler.simweb.site_listings import FEEDS, listing_routes, summary, updated
from crawler.simweb.templates import ArticleView, FigureView, GroupView, LinkView, View
from crawler.simweb.themes import THEMES
from crawler.simweb.walls import paywall_markup, paywall_offer, wall_page
from crawler.simweb.weight import gzip_page, weigh

FOLLOW = 2
"""Link depth from the home page that reaches every section-linked article."""
ARCHIVE_PAGE_SIZE = 40
REPORT = "/files/report.pdf"
"""Justice Dispatch's PDF, linked from its Reports section."""

_HTML_404 = b"<!DOCTYPE html><html lang=en><title>Not found</title><h1>Page not found</h1></html>"
_HTML_410 = (
    b"<!DOCTYPE html><html lang=en><title>Gone</title><h1>This article was removed</h1></html>"
)
SERVER_ERROR = Resource(
    500,
    "text/html; charset=utf-8",
    b"<!DOCTYPE html><html lang=en><title>Error</title><h1>500 Internal Server Error</h1></html>",
)


Headers = tuple[tuple[str, str], ...]
Decorator = Callable[[Placed, str], tuple[str, Headers]]
"""Rewrites an article page's HTML and adds response headers: an opt-in feature's additions
(rights.py, requisites.py)."""


@dataclass(frozen=True, slots=True)
class Extras:
    """What the opt-in features add to one site (features.py); nothing by default."""

    decorators: tuple[Decorator, ...] = ()
    serve: Callable[[str], Resource | None] = lambda path: None
    """More paths it serves (stylesheets, scripts, images, fonts), the same in every round:
    the response for a path, or None."""


@dataclass(frozen=True, slots=True)
class Link:
    path: str
    text: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    links: tuple[Link, ...]
    pagination: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    target: str
    """Canonical path (with `?page=K` on archive pages)."""
    title: str
    groups: tuple[Group, ...]
    article: Placed | None = None


class Site:
    """A publisher's site at `base_url` ('http://127.0.0.1:PORT/'), serving `articles` as one
    round has them (see timeline.py): deleted ones answer 404 or 410 and leave its pages."""

    def __init__(
        self,
        spec: PublisherSpec,
        articles: list[Placed],
        base_url: str,
        extras: Extras | None = None,
    ) -> None:
        assert spec.seed_id is not None
        self.extras = extras or Extras()
        self.spec = spec
        self.base_url = base_url
        self.host = base_url.split("/")[2]
        self.articles = sorted(articles, key=lambda a: a.text.published, reverse=True)
        self.redirects = {a.old_path: a.path for a in self.articles if a.old_path}
        self.files = {REPORT} if any(s.slug == "reports" for s in spec.sections) else set()
        self.disallow = (PRIVATE,) if any(a.path.startswith(PRIVATE) for a in articles) else ()
        theme = THEMES[spec.slug]
        self._render = theme.render
        self._weight = theme.weight
        seed = seeds()[spec.seed_id]
        self.chrome = {
            role: seed.boilerplate.get(role, ()) + theme.own.get(role, ()) for role in ROLES
        }
        self.nav = (
            Link("/", "Home"),
            *(Link(s.path, s.label) for s in spec.sections),
            Link("/archive/?page=1", "Archive"),
        )
        self._by_path = {a.path: a for a in self.articles}
        self._sections = {s.path: s for s in spec.sections}
        self._live = [a for a in self.articles if a.gone is None]
        # Related-story boxes keep the links they were published with, deleted articles included,
        # so that an article's page changes only when the article does.
        self._fillers = [a for a in self.articles if a.kind in ("filler", "trap")]
        self._archive = [a for a in self._live if a.in_archive]
        self._routes = listing_routes(self)
        self._cache: dict[str, Resource] = {}

    # -- addresses -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def href(self, path: str) -> str:
        return self.url(path) if self.spec.absolute_links else path

    @property
    def feeds(self) -> list[str]:
        """Feeds to name in the story file."""
        return [self.url(FEEDS[self.spec.feed])] if self.spec.feed else []

    @property
    def sitemaps(self) -> list[str]:
        """Sitemaps to name in the story file (not the one only robots.txt names)."""
        return [self.url("/sitemap.xml")] if self.spec.sitemap == "index" else []

    @property
    def listing(self) -> str | None:
        """How its articles are listed: 'feed', 'sitemap', 'robots-sitemap' or None."""
        if self.spec.feed:
            return "feed"
        return {"index": "sitemap", "robots": "robots-sitemap"}.get(self.spec.sitemap or "")

    def listed(self) -> list[Placed]:
        return [a for a in self.articles if a.listed] if self.listing else []

    @property
    def validators(self) -> frozenset[str]:
        """The validators its article pages send: 'etag', 'last-modified', both or neither."""
        return frozenset(self.spec.validators)

    # -- pages ---------------------------------------------------------------------------------

    def page(self, path: str, query: str = "") -> Page | None:
        """The HTML page at `path`, or None (404)."""
        if path == "/":
            top = tuple(self._link(a) for a in self._live if a.on_home)
            fillers = [a for a in self._fillers if a.gone is None]
            latest = Group("Latest news", tuple(self._link(a) for a in fillers[:8]))
            groups = (Group("Top stories", top), latest) if top else (latest,)
            return Page("/", self.spec.name, groups)
        if path == "/archive/":
            return self._archive_page(_page_number(query))
        section = self._sections.get(path)
        if section is not None:
            return self._section_page(section)
        article = self._by_path.get(path)
        if article is None or article.gone is not None:
            return None
        others = [f for f in self._fillers if f is not article]
        ranked = sorted(others, key=lambda f: f.section != article.section)
        related = tuple(self._link(f) for f in ranked[:4])
        return Page(article.path, article.text.headline, (Group("Related", related),), article)

    def links(self, page: Page) -> list[str]:
        """Every path `page` links to, as its HTML does (a wall that replaces the page, none)."""
        if page.article is not None and page.article.wall and page.article.wall.standalone:
            return []
        return [link.path for link in self.nav] + [
            link.path for group in page.groups for link in group.links
        ]

    def _link(self, article: Placed) -> Link:
        return Link(article.href_path, article.text.headline, f"{article.text.published:%d %b %Y}")

    def _section_page(self, section: Section) -> Page:
        links = [self._link(a) for a in self._live if a.in_sections and a.section == section]
        if section.slug == "reports":
            links.append(Link(REPORT, f"{self.spec.name} annual report 2024 (PDF)"))
        if links:
            return Page(section.path, section.label, (Group(section.label, tuple(links)),))
        latest = tuple(self._link(a) for a in self._fillers[:6])
        return Page(section.path, section.label, (Group("Latest news", latest),))

    def _archive_page(self, number: int | None) -> Page | None:
        count = max(1, -(-len(self._archive) // ARCHIVE_PAGE_SIZE))
        if number is None or number > count:
            return None
        start = (number - 1) * ARCHIVE_PAGE_SIZE
        chunk = tuple(self._link(a) for a in self._archive[start : start + ARCHIVE_PAGE_SIZE])
        groups = [Group(f"Page {number} of {count}", chunk)]
        pager = tuple(
            Link(f"/archive/?page={k}", str(k)) for k in range(1, count + 1) if k != number
        )
        if pager:
            groups.append(Group("More pages", pager, pagination=True))
        return Page(f"/archive/?page={number}", "Archive", tuple(groups))

    # -- serving -------------------------------------------------------------------------------

    def respond(self, path: str, query: str) -> Resource:
        """The response for a GET of `path`?`query` (cached once built)."""
        key = f"{path}?page={_page_number(query)}" if path == "/archive/" else path
        cached = self._cache.get(key)
        if cached is None:
            cached = self._build(path, query)
            if cached.status < 400:
                self._cache[key] = cached
        return cached

    def _build(self, path: str, query: str) -> Resource:
        route = self._routes.get(path)
        if route is not None:
            return route()
        extra = self.extras.serve(path)
        if extra is not None:
            return extra
        walled = self._by_path.get(path)
        if walled and walled.gone is None and walled.wall and walled.wall.standalone:
            return wall_page(walled.wall, self.spec.name, self.host, path)
        if path in self.redirects:
            target = self.url(self.redirects[path])
            body = f'<!DOCTYPE html><a href="{escape(target)}">Moved Permanently</a>'.encode()
            return Resource(301, "text/html; charset=utf-8", body, (("Location", target),))
        if path in self.files:
            lines = [f"{self.spec.name}", "Annual report 2024", "Prepared by the editors."]
            return Resource(200, "application/pdf", one_page_pdf(f"{self.spec.name} report", lines))
        page = self.page(path, query)
        if page is not None:
            return self._html(page)
        deleted = self._by_path.get(path)
        if deleted is not None and deleted.gone == 410:
            return Resource(410, "text/html; charset=utf-8", _HTML_410)
        return Resource(404, "text/html; charset=utf-8", _HTML_404)

    def _html(self, page: Page) -> Resource:
        html = self._render(self._view(page))
        article = page.article
        extra: Headers = ()
        if article is not None:
            html, extra = self._decorate(article, html)
        body = html.encode("utf-8")
        cache = ("Cache-Control", "public, max-age=300" if article else "public, max-age=60")
        validators = self.validators if article else frozenset()
        if article is not None and article.wall is not None:  # a paywall: made now, not then
            validators = validators - {"last-modified"}
        return Resource(
            200,
            self.spec.html_type,
            body,
            (cache, *self.spec.headers, *extra),
            gzipped=gzip_page(body, self.spec.slug, self._weight) if self.spec.gzip else None,
            # Both follow the bytes: the ETag hashes them and only an edit changes `modified`.
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"' if "etag" in validators else None,
            last_modified=updated(article) if article and "last-modified" in validators else None,
        )

    def _decorate(self, article: Placed, html: str) -> tuple[str, Headers]:
        """The opt-in additions to an article page: paywall metadata, then the features'."""
        text = article.text
        if article.wall is not None and '"isAccessibleForFree"' not in html:
            markup = paywall_markup(
                text.headline, text.published.isoformat(), text.author, self.spec.name
            )
            html = html.replace("</head>", markup + "\n</head>", 1)
        headers: Headers = ()
        for decorate in self.extras.decorators:
            html, more = decorate(article, html)
            headers += more
        return html, headers

    def _view(self, page: Page) -> View:
        def link_view(link: Link) -> LinkView:
            return LinkView(self.href(link.path), link.text, link.note)

        placed = page.article
        article = None
        if placed is not None:
            text = placed.text
            wall = placed.wall
            paywall = wall is not None and wall.kind == "paywall"
            article = ArticleView(
                headline=text.headline,
                author=text.author,
                published=text.published,
                section=LinkView(self.href(placed.section.path), placed.section.label),
                paragraphs=text.paragraphs[: wall.keep] if wall and paywall else text.paragraphs,
                figures=tuple(FigureView(f.after, f.caption) for f in text.figures),
                modified=placed.modified,
                paywalled=paywall,
                after_body=paywall_offer(self.spec.name) if paywall else "",
            )
        feed = None
        if self.spec.feed:
            feed = (self.href(FEEDS[self.spec.feed]), f"application/{self.spec.feed}+xml")
        view = View(
            site_name=self.spec.name,
            home=self.href("/"),
            title=page.title,
            canonical=self.url(page.target),
            description=summary(placed.text.paragraphs[0]) if placed else page.title,
            nav=tuple(link_view(link) for link in self.nav),
            groups=tuple(
                GroupView(g.title, tuple(link_view(link) for link in g.links), g.pagination)
                for g in page.groups
            ),
            chrome=self.chrome,
            article=article,
            feed=feed,
            lang=placed.text.lang if placed else "en",
        )
        return dataclasses.replace(view, weight=weigh(view, self.spec.slug, self._weight))


def failing(path: str, query: str) -> Resource:
    """The failing publisher's answer to everything."""
    return SERVER_ERROR


def _page_number(query: str) -> int | None:
    """The archive page asked for: `page` (default 1), None if it is not a positive number."""
    values = parse_qs(query).get("page", ["1"])
    return int(values[0]) if values[0].isdigit() and int(values[0]) > 0 else None
