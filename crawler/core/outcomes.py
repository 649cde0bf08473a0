"""What became of every URL a crawl met: exactly one outcome per URL per crawl run.

The rules are here, free of Scrapy and of the database, so that they can be tested alone; the
outcomes extension (`crawler.extensions.outcomes`) feeds them from the crawl's signals and writes
what they decide (docs/crawling.md#outcomes).

A URL meets several events in one run: discovered twice, refused by the duplicate filter the
second time; passed over by a feed (dated outside the story's window) and fetched through a link;
requested, answered, then stored. Two kinds of outcome settle it:

- A **final** outcome comes from a request for the URL: its response was stored or archived, it
  redirected, it was refused (robots.txt, a blocked address) or it failed. The first final outcome
  wins and is never replaced: it is written as soon as it is known.
- A **provisional** outcome says how far the crawl got without a final one: refused as a
  duplicate, passed over by discovery, scheduled, answered. A later stage replaces an earlier one
  (a link that is fetched after a feed passed it over is stored, not out of window); what is
  still provisional when the crawl closes becomes the URL's outcome then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Literal

Outcome = Literal["stored", "archived", "redirected", "skipped", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("stored", "archived", "redirected", "skipped", "failed")
"""stored: the page is in the database (an article or not); archived: the response is in the
WARC files and the database as a capture, and nothing more was to be done (feed, sitemap,
robots.txt, non-HTML file); redirected: the URL answered with a redirect; skipped: not fetched,
on purpose; failed: fetched, or tried, and something went wrong."""


class Stage(IntEnum):
    """How far the crawl got with a URL that has no final outcome yet."""

    DUPLICATE = 0
    """A request the duplicate filter refused: another request for the URL came first."""
    PASSED_OVER = 1
    """Discovery chose not to request it (out of window, off-site, not due, invalid)."""
    SCHEDULED = 2
    """Requested; no answer yet."""
    ANSWERED = 3
    """A response arrived; nothing has said yet what became of it."""


@dataclass(frozen=True, slots=True)
class UrlOutcome:
    """One URL's outcome in one crawl run: a row of `url_outcomes`."""

    url: str
    """Normalised when it could be; as met otherwise (an invalid URL)."""
    outcome: Outcome
    reason: str
    """A short slug: 'article', 'robots', 'http-500'… (docs/crawling.md#outcomes)."""
    detail: str | None
    """What else is known: the redirect's target, the exception's message…"""
    source: str | None
    """host:port of the publisher whose crawl met the URL."""
    at: datetime


@dataclass(slots=True)
class _Provisional:
    stage: Stage
    outcome: Outcome
    reason: str
    detail: str | None
    source: str | None
    at: datetime


class OutcomeBook:
    """The outcomes of one crawl run, kept by URL (see the module's docstring for the rules)."""

    def __init__(self) -> None:
        self._final: set[str] = set()
        self._provisional: dict[str, _Provisional] = {}

    def __len__(self) -> int:
        """URLs met so far."""
        return len(self._final) + len(self._provisional)

    def __contains__(self, url: object) -> bool:
        return url in self._final or url in self._provisional

    def is_final(self, url: str) -> bool:
        return url in self._final

    def final(
        self,
        url: str,
        outcome: Outcome,
        reason: str,
        *,
        detail: str | None = None,
        source: str | None = None,
        at: datetime | None = None,
    ) -> UrlOutcome | None:
        """Settle `url`: the outcome to write, or None when it was settled before."""
        if url in self._final:
            return None
        earlier = self._provisional.pop(url, None)
        self._final.add(url)
        if source is None and earlier is not None:
            source = earlier.source
        return UrlOutcome(url, outcome, reason, detail, source, at or datetime.now(UTC))

    def provisional(
        self,
        url: str,
        stage: Stage,
        outcome: Outcome,
        reason: str,
        *,
        detail: str | None = None,
        source: str | None = None,
    ) -> None:
        """Note how far the crawl got with `url`, and the outcome it gets if nothing follows.
        Ignored once `url` is settled, or when it got as far or further before."""
        if url in self._final:
            return
        earlier = self._provisional.get(url)
        if earlier is not None and earlier.stage >= stage:
            return
        if source is None and earlier is not None:
            source = earlier.source
        self._provisional[url] = _Provisional(
            stage, outcome, reason, detail, source, datetime.now(UTC)
        )

    def close(self) -> list[UrlOutcome]:
        """Settle every URL still provisional with its provisional outcome, and return those."""
        settled = [
            UrlOutcome(url, p.outcome, p.reason, p.detail, p.source, p.at)
            for url, p in self._provisional.items()
        ]
        self._final.update(self._provisional)
        self._provisional.clear()
        return settled
