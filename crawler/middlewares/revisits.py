"""Revisits on a recrawl, as a downloader middleware and its policy, in the style of Scrapy's
`HttpCacheMiddleware` (which asks its policy whether a cached response may be used and which
conditional headers to send).

The crawl's frontier (`crawler.services.frontier`, read through the crawl's database owner) says
which known articles are due for a revisit, which are left alone this round, and what each URL's
last capture with a body was. `RevisitPolicy` turns that into decisions on a request, by its
identity (`crawler.identity`); `RevisitMiddleware` applies them to every request discovery makes:

- a known article that is not due (or gone, or stopped; every one in mode `none`) is refused
  (`KnownArticle`, counted in `discovery/skipped/<reason>`);
- a due article is fetched as a revisit: conditionally (`If-None-Match`/`If-Modified-Since` from
  its last capture), no links followed, and 304, 404, 410 and redirects reach the spider
  (`REVISIT_META`);
- every request for a URL captured before carries that capture (`meta.PREVIOUS`): a revisit, a
  listing whose links are followed, a pagination page at the last depth, a page that is no
  article. The same bytes again are archived as a revisit record (the WARC extension) and go no
  further than the revisit path: no extraction, no relevance, no requisites. Only a revisit is
  conditional: a listing is asked for unconditionally, so that an unchanged one still brings its
  body, whose links are read as any listing's are (see `StorySpider.parse_page`). A page this
  story has not judged yet (`Frontier.unjudged`: another story's article) carries none outside a
  revisit, so that it is extracted and judged for this story. robots.txt, which Scrapy asks
  for, carries its previous capture too.

`RevisitStartMiddleware`, a spider middleware, starts the crawl with the due revisits, before the
spider's own start requests. Home pages are never refused nor made revisits: their links are how
new articles are found.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request

from crawler.core import meta
from crawler.core.access import WALL_STATUSES
from crawler.core.revisit import PreviousCapture
from crawler.core.story import Story
from crawler.core.urls import normalise_url
from crawler.extensions.database import database_of
from crawler.identity import identity_of
from crawler.refusals import Refused
from crawler.services import frontier
from crawler.signals import report
from storage.db.frontier import Frontier

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

GONE = (404, 410)
MOVED = (301, 302, 303, 307, 308)
REVISIT_META: dict[str, Any] = {
    meta.FOLLOW: 0,
    meta.DONT_REDIRECT: True,
    meta.HANDLE_HTTPSTATUS_LIST: [304, *GONE, *MOVED, *WALL_STATUSES],
}
"""A revisit of a known article: no links followed; 304, 404, 410 and redirects reach the
callback (a redirect is followed there, as a new request without the old page's validators), and
so do 401, 403, 429 and 503, which may be a wall in the article's place
(`crawler.core.access.WALL_STATUSES`)."""


class KnownArticle(Refused):
    """A known article discovery met again that the frontier leaves alone this round."""

    def __init__(self, url: str, why: str) -> None:
        self.reason = "known" if why == "known" else f"known-{why}"
        super().__init__(url, f"a known article ({why})")


class RevisitPolicy:
    """The frontier's decisions on one request, by its identity."""

    def __init__(self, known: Frontier, homes: set[str]) -> None:
        self.frontier = known
        self.homes = homes
        self.due = set(known.due)

    def skip(self, identity: str) -> str | None:
        """Why a request for `identity` is not fetched this round, or None."""
        if identity in self.homes:
            return None
        return self.frontier.skip.get(identity)

    def is_due(self, identity: str) -> bool:
        return identity in self.due and identity not in self.homes

    def previous(self, identity: str, *, revisit: bool) -> PreviousCapture | None:
        """The capture a revisit record of this answer would refer to: every known URL's, but
        that of a page this story has not judged yet, which must be extracted again (unless it is
        a revisit of this story's article)."""
        if not revisit and identity in self.frontier.unjudged:
            return None
        return self.frontier.previous.get(identity)

    def published(self, identity: str) -> str:
        """The URL to request for a known article: the form it was last published as."""
        return self.frontier.published.get(identity, identity)


class RevisitMiddleware:
    """Applies the `RevisitPolicy` to every request the spider makes (`meta.IDENTITY`)."""

    def __init__(self, crawler: Crawler, story: Story | None) -> None:
        self.crawler = crawler
        self.story = story
        self._policy: asyncio.Task[RevisitPolicy] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        story = getattr(crawler.spider, "story", None)
        return cls(crawler, story if isinstance(story, Story) else None)

    async def policy(self) -> RevisitPolicy:
        """The policy, from the frontier read once (in the database thread) at first need."""
        if self._policy is None:
            self._policy = asyncio.ensure_future(self._load())
        return await asyncio.shield(self._policy)

    async def _load(self) -> RevisitPolicy:
        if self.story is None:
            return RevisitPolicy(Frontier(), set())
        known = await database_of(self.crawler).run(
            frontier.load, self.crawler.settings, self.story
        )
        homes = {normalise_url(source.url) for source in self.story.sources}
        if known.due or known.skip:
            logger.info(
                "Revisiting %d known articles now; %d others are not fetched this round",
                len(known.due),
                len(known.skip),
            )
        return RevisitPolicy(known, homes)

    async def process_request(self, request: Request) -> None:
        if meta.IDENTITY not in request.meta:
            # not discovery's: robots.txt (Scrapy's), or a requisite (with its own capture)
            if meta.PREVIOUS not in request.meta:
                previous = (await self.policy()).frontier.previous.get(identity_of(request))
                if previous is not None:
                    request.meta[meta.PREVIOUS] = previous
            return
        policy = await self.policy()
        identity = identity_of(request)
        stats = self.crawler.stats
        assert stats is not None
        revisit = request.meta.get(meta.VIA) == "revisit"
        if not revisit:
            why = policy.skip(identity)
            if why is not None:
                stats.inc_value(f"discovery/skipped/{why}")
                refusal = KnownArticle(request.url, why)
                logger.debug("%s", refusal)
                raise refusal
            # found by discovery before its revisit left the start queue: it is that revisit
            revisit = policy.is_due(identity)
        if revisit:
            request.meta.update(REVISIT_META)
            request.meta[meta.VIA] = "revisit"
        previous = policy.previous(identity, revisit=revisit)
        if previous is None or meta.PREVIOUS in request.meta:
            return
        request.meta[meta.PREVIOUS] = previous
        if revisit:
            for name, value in previous.conditional_headers().items():
                request.headers.setdefault(name, value)


class RevisitStartMiddleware:
    """A spider middleware: the due revisits first, then the spider's start requests."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        revisits = self.crawler.get_downloader_middleware(RevisitMiddleware)
        spider = self.crawler.spider
        story = getattr(spider, "story", None)
        if revisits is not None and isinstance(story, Story):
            policy = await revisits.policy()
            stats = self.crawler.stats
            assert stats is not None
            for url in policy.frontier.due:
                source = story.source_for(url)
                if source is None:
                    detail = "its publisher left the story file"
                    report(
                        self.crawler.signals,
                        url,
                        "skipped",
                        "not-in-story",
                        detail=detail,
                        final=False,
                    )
                    continue
                if url in policy.homes:
                    continue  # a home page is fetched every round anyway, links followed
                stats.inc_value("discovery/revisits")
                yield spider.revisit_request(policy.published(url), url, source)  # type: ignore[union-attr]
        async for item_or_request in start:
            yield item_or_request
