"""The story spider: discovery only.

It turns a story's sources into requests (home pages, feeds, sitemaps, robots.txt `Sitemap:`
lines, same-site links to the source's `follow` depth) and hands every HTML page on as a
`PageItem`. Archiving, extraction and storage happen in the WARC extension and the pipelines.

Every request goes to the URL as it was published, its normalised form in `meta.IDENTITY`.
On a recrawl, what becomes of a request for a known URL (a revisit, conditional and carrying the
previous capture, or left alone) is the revisit middleware's decision
(`crawler.middlewares.revisits`), which also starts the crawl with the due revisits; the spider
only discovers, and hands the answers on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import settings as defaults
from crawler.core import meta as keys
from crawler.core.access import WALL_STATUSES
from crawler.core.items import PageItem, RevisitItem
from crawler.core.outcomes import Outcome
from crawler.core.page import is_html, not_a_page
from crawler.core.story import Source, Story, load_story
from crawler.core.urls import host_of, normalise_url, published_url
from crawler.discovery import Lead
from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.sitemaps import SitemapError, parse_sitemap
from crawler.identity import url_key
from crawler.refusals import Refused
from crawler.signals import report


class Target(NamedTuple):
    """A URL to request: as it was published (requested as it is), and its identity."""

    published: str
    identity: str
    """The normalised URL (`meta.IDENTITY`): dedup, the frontier, outcomes, the database."""


GONE = (404, 410)
MOVED = (301, 302, 303, 307, 308)


class StorySpider(scrapy.Spider):
    name = "story"

    def __init__(self, story: Story | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if story is None:
            raise ValueError("the story spider needs a story: scrapy crawl story -a story=FILE")
        self.story: Story = load_story(story) if isinstance(story, str) else story
        self._sources = {source.host: source for source in self.story.sources}
        self._links = LinkExtractor(deny_extensions=[], unique=True)
        # Scrapy's offsite middleware then drops redirects to other hosts too. Hosts, not
        # host:port: the finer per-publisher check is done on every URL the spider makes.
        self.allowed_domains = sorted(
            {
                urlsplit(url).hostname or ""
                for source in self.story.sources
                for url in (source.url, *source.feeds, *source.sitemaps)
            }
            - {""}
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> StorySpider:
        spider: StorySpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for source in self.story.sources:
            yield self._page_request(
                Target(published_url(source.url), normalise_url(source.url)),
                source,
                via="home",
                follow=source.follow,
            )
            # feeds and sitemaps the story file names may live on other hosts (a feed service)
            for feed in filter(
                None, (self._normal(f, source, same_site=False) for f in source.feeds)
            ):
                yield self._request(feed, source, self.parse_feed, via="feed")
            for sitemap in filter(
                None, (self._normal(m, source, same_site=False) for m in source.sitemaps)
            ):
                yield self._request(sitemap, source, self.parse_sitemap, via="sitemap")

    # -- requests ------------------------------------------------------------------------------

    def _normal(self, url: str, source: Source, *, same_site: bool = True) -> Target | None:
        """`url` as published and its identity, or None (counted) when it is malformed or, if
        `same_site`, on another host than the source's."""
        try:
            target = Target(published_url(url), normalise_url(url))
        except ValueError:
            self.crawler.stats.inc_value("discovery/invalid_url")
            self.logger.debug("Not a valid URL: %r", url)
            self._passed_over(url, source, "invalid-url")
            return None
        if same_site and host_of(target.identity) != source.host:
            self.crawler.stats.inc_value("discovery/offsite")
            self._passed_over(target.identity, source, "off-site", f"not on {source.host}")
            return None
        return target

    def revisit_request(self, published: str, identity: str, source: Source) -> Request:
        """A request for a known article due for a revisit (the revisit middleware makes its
        policy's requests through this)."""
        return self._request(Target(published, identity), source, self.parse_page, via="revisit")

    def _request(
        self,
        target: Target,
        source: Source,
        callback: Any,
        *,
        via: str,
        meta: dict[str, Any] | None = None,
    ) -> Request:
        """A request for `target` as published, its identity in `meta.IDENTITY`, one download
        slot per publisher (host:port), so that politeness settings apply per source."""
        meta = {
            keys.IDENTITY: target.identity,
            keys.SOURCE: source.host,
            keys.VIA: via,
            keys.DOWNLOAD_SLOT: source.host,
            **(meta or {}),
        }
        return Request(target.published, callback=callback, errback=self.on_error, meta=meta)

    def _page_request(
        self, target: Target, source: Source, *, via: str, follow: int, lead: Lead | None = None
    ) -> Request:
        """A request for a page (a known article's fate is the revisit middleware's). 401, 403,
        429 and 503 reach the callback: they may be a wall in the article's place
        (`crawler.core.access.WALL_STATUSES`)."""
        meta: dict[str, Any] = {
            keys.FOLLOW: follow,
            keys.HANDLE_HTTPSTATUS_LIST: list(WALL_STATUSES),
        }
        if lead is not None:
            meta[keys.HINTS] = lead.hints()
        return self._request(target, source, self.parse_page, via=via, meta=meta)

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """Follow the `Sitemap:` lines of a source's robots.txt (fetched once, by Scrapy's
        robots.txt middleware, and archived like every response)."""
        source = self._sources.get(host_of(request.url))
        protego = getattr(robotparser, "rp", None)
        if source is None or protego is None or self.crawler.engine is None:
            return
        for sitemap in filter(None, (self._normal(m, source) for m in protego.sitemaps)):
            self.crawler.stats.inc_value("discovery/robots_sitemaps")
            self.crawler.engine.crawl(
                self._request(sitemap, source, self.parse_sitemap, via="sitemap")
            )

    # -- callbacks -----------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[PageItem | RevisitItem | Request]:
        """An HTML page goes on to extraction; its same-site links are followed to the depth
        left. Anything else was archived and stops here. An unchanged page (archived as a
        revisit record) is not extracted again; a revisited article that is gone is reported."""
        source = self._sources[response.meta[keys.SOURCE]]
        unchanged = response.meta.get(keys.UNCHANGED)
        asked = response.meta.get(keys.NOARCHIVE)
        if asked is not None:
            # not archived: it asked not to be, and the story obeys ([archive] noarchive)
            self._outcome(response.url, source, "skipped", "noarchive", asked)
            if response.meta.get(keys.VIA) != "revisit":
                yield from self._follow_links(response, source)
            return
        if response.meta.get(keys.VIA) == "revisit":
            if response.status in MOVED:
                yield from self._moved(response, source)
                return
            if unchanged or response.status in GONE:
                yield self._revisit_item(response, source, "unchanged" if unchanged else "gone")
                return
        elif unchanged:
            # The bytes of the capture it refers to, judged then: nothing is decoded, extracted or
            # judged again. A listing's links are read from the body in hand (a listing is asked
            # for unconditionally), as a fetch-only crawl would: last round's may not all have
            # been fetched, and pages beyond an unchanged one may have changed. A 304 has no
            # body: its links are the ones found last time.
            self.crawler.stats.inc_value("discovery/unchanged")
            detail = "HTTP 304" if response.status == 304 else "same payload digest"
            self._outcome(response.url, source, "archived", "unchanged", detail)
            if response.status != 304:
                yield from self._follow_links(response, source)
            return
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if response.status in WALL_STATUSES:
            yield from self._maybe_walled(response, source, content_type)
            return
        if not_a_page(response.url, response.status, content_type, response.body) is not None:
            self.crawler.stats.inc_value("discovery/not_html")
            self._outcome(
                response.url, source, "archived", "not-html", content_type or "no Content-Type"
            )
            return
        yield self._item(response, source)
        yield from self._follow_links(response, source)

    def _follow_links(self, response: Response, source: Source) -> Iterator[Request]:
        """Requests for a page's same-site links, to the depth left."""
        follow: int = response.meta.get(keys.FOLLOW, 0)
        if follow <= 0 or not isinstance(response, TextResponse):
            return
        for target in filter(
            None, (self._normal(link.url, source) for link in self._links.extract_links(response))
        ):
            yield self._page_request(target, source, via="link", follow=follow - 1)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self._sources[response.meta[keys.SOURCE]]
        if response.status == 304:
            # unchanged since the last crawl: its entries are known
            self._outcome(response.url, source, "archived", "unchanged", "HTTP 304")
            return
        raw_type = response.headers.get(b"Content-Type")
        content_type = raw_type.decode("latin-1") if raw_type else None
        try:
            leads = parse_feed(response.body, response.url, content_type)
        except FeedError as exc:
            self._fail(source, response.url, "feed_unreadable", str(exc))
            self._outcome(response.url, source, "failed", "feed-unreadable", str(exc))
            return
        self.crawler.stats.inc_value("discovery/feed_items", len(leads))
        self._outcome(response.url, source, "archived", "feed", f"{len(leads)} entries")
        yield from self._follow_leads(leads, source, via="feed")

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self._sources[response.meta[keys.SOURCE]]
        if response.status == 304:
            self._outcome(response.url, source, "archived", "unchanged", "HTTP 304")
            return
        try:
            sitemap = parse_sitemap(response.body)
        except SitemapError as exc:
            self._fail(source, response.url, "sitemap_unreadable", str(exc))
            self._outcome(response.url, source, "failed", "sitemap-unreadable", str(exc))
            return
        entries = f"{len(sitemap.leads)} entries, {len(sitemap.children)} sitemaps"
        self._outcome(response.url, source, "archived", "sitemap", entries)
        yield from self._sitemap_children(response, sitemap.children, source)
        self.crawler.stats.inc_value("discovery/sitemap_items", len(sitemap.leads))
        yield from self._follow_leads(sitemap.leads, source, via="sitemap")

    def _sitemap_children(
        self, response: Response, children: tuple[str, ...], source: Source
    ) -> Iterator[Request]:
        """The sitemaps an index lists, but none of its own chain (an index listing itself or
        an ancestor: `discovery/sitemap_loop`) and none deeper than NEWSARCHIVE_SITEMAP_DEPTH
        indexes below where the crawl started (`discovery/skipped/sitemap_depth`)."""
        parents: list[str] = response.meta.get(keys.SITEMAP_CHAIN, [])
        depth = len(parents) + 1
        chain = [
            url_key(url)
            for url in (*parents, *response.meta.get(keys.REDIRECT_URLS, ()), response.url)
        ]
        max_depth = self.crawler.settings.getint(
            "NEWSARCHIVE_SITEMAP_DEPTH", defaults.NEWSARCHIVE_SITEMAP_DEPTH
        )
        for child in filter(None, (self._normal(c, source) for c in children)):
            if child.identity in chain:
                self.crawler.stats.inc_value("discovery/sitemap_loop")
                self.logger.warning(
                    "Not following %s: sitemap index %s lists itself or its parent",
                    child,
                    response.url,
                )
            elif depth > max_depth:
                self.crawler.stats.inc_value("discovery/skipped/sitemap_depth")
                self.logger.warning(
                    "Not following %s: sitemap indexes nested deeper than %d", child, max_depth
                )
            else:
                meta = {keys.SITEMAP_CHAIN: [*parents, response.url]}
                yield self._request(child, source, self.parse_sitemap, via="sitemap", meta=meta)

    def _follow_leads(
        self, leads: tuple[Lead, ...] | list[Lead], source: Source, *, via: str
    ) -> Iterator[Request]:
        """Article leads from a listing, minus those certainly outside the story's window:
        those are never fetched."""
        for lead in leads:
            target = self._normal(lead.url, source)
            if target is None:
                continue
            why = lead.outside(self.story.since, self.story.until)
            if why:
                self.crawler.stats.inc_value("discovery/skipped/out_of_window")
                self.logger.debug("Skipping %s: %s (story window)", target.published, why)
                self._passed_over(target.identity, source, "out-of-window", why)
                continue
            yield self._page_request(target, source, via=via, follow=0, lead=lead)

    # -- items and errors ----------------------------------------------------------------------

    def _item(self, response: Response, source: Source) -> PageItem:
        """The page for the extract pipeline: the record the WARC extension wrote for it (the
        door reads the page from there), and what discovery knew."""
        return PageItem(
            record=response.meta.get(keys.WARC_RECORD),
            source=source.host,
            discovered_via=response.meta.get(keys.VIA, "link"),
            redirects=tuple(response.meta.get(keys.REDIRECT_URLS, [])),
            hints=response.meta.get(keys.HINTS, {}),
            url=response.url,
        )

    def _maybe_walled(
        self, response: Response, source: Source, content_type: str
    ) -> Iterator[PageItem]:
        """A 401, 403, 429 or 503 page: an HTML one goes to the door, which tells a wall in the
        article's place (a walled capture, no version) from a plain failure; anything else
        failed, as any error status."""
        if response.meta.get(keys.WARC_RECORD) is not None and is_html(content_type, response.body):
            yield self._item(response, source)
            return
        status = response.status
        self._outcome(response.url, source, "failed", f"http-{status}", f"answered HTTP {status}")
        self._fail(source, response.url, f"http_{status}", f"answered HTTP {status}")

    def _moved(self, response: Response, source: Source) -> Iterator[Request]:
        """A known article now redirects: fetch where it went, as a page of its own."""
        self.crawler.stats.inc_value("discovery/revisited/moved")
        location = response.headers.get(b"Location")
        moved_to = location and urljoin(response.url, location.decode("latin-1"))
        target = self._normal(moved_to, source) if moved_to else None
        where = (target and target.identity) or moved_to or "no Location"
        self._outcome(response.url, source, "redirected", "redirect", where)
        if target:
            yield self._page_request(target, source, via="link", follow=0)

    def _revisit_item(self, response: Response, source: Source, outcome: str) -> RevisitItem:
        self.crawler.stats.inc_value(f"discovery/revisited/{outcome}")
        return RevisitItem(
            url=response.url,
            source=source.host,
            warc_record_id=response.meta.get(keys.WARC_RECORD_ID),
            fetched_at=response.meta.get(keys.FETCHED_AT) or datetime.now(UTC),
            status=response.status,
            outcome=outcome,  # type: ignore[arg-type]
        )

    def on_error(self, failure: Failure) -> None:
        """Say clearly what failed (in the log and stats) and go on with the rest of the crawl."""
        request: Request = failure.request  # type: ignore[attr-defined]
        source = self._sources.get(request.meta.get(keys.SOURCE, ""))
        error = failure.value
        assert error is not None
        # its outcome is the outcomes extension's (crawler/extensions/outcomes.py)
        if isinstance(error, HttpError):
            status = error.response.status
            self._fail(source, request.url, f"http_{status}", f"answered HTTP {status}")
        elif isinstance(error, Refused):
            # counted and logged with its reason where it was refused (crawler/refusals.py)
            self.logger.debug("Not fetching %s: %s", request.url, error.reason)
        elif isinstance(error, IgnoreRequest):
            why = "robots" if "robots.txt" in str(error) else "offsite"
            self.crawler.stats.inc_value(f"discovery/skipped/{why}")
            self.logger.info("Not fetching %s: %s", request.url, error)
        else:
            reason = type(error).__name__
            self._fail(
                source, request.url, reason, f"cannot be fetched: {failure.getErrorMessage()}"
            )

    def _outcome(
        self, url: str, source: Source | None, outcome: Outcome, reason: str, detail: str
    ) -> None:
        """Say what became of a URL this spider requested (crawler.core.outcomes)."""
        host = source.host if source else None
        report(self.crawler.signals, url, outcome, reason, detail=detail, source=host)

    def _passed_over(
        self, url: str, source: Source | None, reason: str, detail: str | None = None
    ) -> None:
        """Say that discovery leaves a URL alone: its outcome unless a request for it follows."""
        host = source.host if source else None
        report(
            self.crawler.signals, url, "skipped", reason, detail=detail, source=host, final=False
        )

    def _fail(self, source: Source | None, url: str, key: str, message: str) -> None:
        self.crawler.stats.inc_value(f"discovery/failed/{key}")
        who = f"source {source.name!r}" if source else "unknown source"
        self.logger.warning("%s: %s %s", who, url, message)
