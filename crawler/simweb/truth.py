"""Ground truth for tests: every article, and whether and how a polite crawler can find it.

Reachability is computed by walking the very pages the sites serve (`Site.page`/`Site.links`),
so the truth cannot drift from the HTML. The truth describes round 0; `Truth.timeline` says what
each later round changes, from the same states the sites serve in those rounds. The opt-in
features (features.py) add their own: `walls`, `edits`, `rights`, `requisites`, `archive`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from crawler.simweb.plan import Placed
from crawler.simweb.sites import FOLLOW, REPORT, Site
from crawler.simweb.timeline import (
    SCENARIO,
    History,
    Step,
    Timeline,
    at_round,
    history,
    last_round,
)

if TYPE_CHECKING:
    from crawler.simweb.archive import ArchiveTruth
    from crawler.simweb.edits import ExpectedEdit
    from crawler.simweb.requisites import RequisiteTruth
    from crawler.simweb.rights import RightsSignal
    from crawler.simweb.wallplan import WallTruth

SINCE = date(2025, 2, 1)
UNTIL = date(2025, 2, 28)


@dataclass(frozen=True, slots=True)
class SimArticle:
    url: str
    """Absolute canonical URL."""
    publisher: str
    host: str
    title: str
    published: date
    on_topic: bool
    in_window: bool
    linked: bool
    """Reachable by links from the home page within the story's `follow` depth."""
    listed_in: frozenset[str]
    """Where a crawler can learn of it: 'feed', 'sitemap', 'robots-sitemap', 'links' (any depth)."""
    seed_id: str | None
    paragraphs: tuple[str, ...]
    boilerplate: tuple[str, ...]
    """Lines on its page that are not the article: its site's chrome."""
    validators: frozenset[str]
    """What its page sends: 'etag', 'last-modified', both or neither (see publishers.py)."""
    gone: int | None = None
    """404 or 410 when round 0 already answers so: only web archives hold it (archive.py)."""
    lang: str = "en"


@dataclass(frozen=True)
class Truth:
    articles: list[SimArticle]
    disallowed_urls: list[str]
    """Article URLs robots.txt forbids."""
    redirects: list[tuple[str, str]]
    """(old URL, new URL) pairs answering 301."""
    non_html_urls: list[str]
    failing_host: str | None
    timeline: Timeline
    """Every article's versions, timestamp-only changes and deletion over the rounds."""
    edits: tuple[ExpectedEdit, ...] = ()
    """Every change of an article's text in a later round, classified (edits.py); the default
    scenario's too."""
    walls: WallTruth | None = None
    """With `walls=True`: which articles are walled in which rounds, how (wallplan.py)."""
    rights: tuple[RightsSignal, ...] = ()
    """With `rights=True`: the pages that carry a noarchive signal, and in which form."""
    requisites: RequisiteTruth | None = None
    """With `requisites=True`: what each article page loads, and from which host."""
    archive: ArchiveTruth | None = None
    """With `archive=True`: the web archives' addresses and every capture they hold."""

    @cached_property
    def _by_url(self) -> dict[str, SimArticle]:
        return {a.url: a for a in self.articles}

    def article(self, url: str) -> SimArticle | None:
        """The article whose canonical URL is `url`."""
        return self._by_url.get(url)

    def edits_in(self, n: int) -> list[ExpectedEdit]:
        """The text changes round `n` makes, classified."""
        return [e for e in self.edits if e.round == n]


def link_depths(site: Site) -> dict[str, int]:
    """Fewest link hops from the home page to every linked path (redirects followed, free)."""
    depths = {"/": 0}
    queue = deque(["/"])
    while queue:
        target = queue.popleft()
        path, _, query = target.partition("?")
        page = site.page(path, query)
        if page is None:
            continue
        for link in site.links(page):
            link = site.redirects.get(link, link)
            if link not in depths:
                depths[link] = depths[target] + 1
                queue.append(link)
    return depths


def build_truth(
    sites: list[Site],
    failing_host: str | None,
    plans: Mapping[str, Sequence[Placed]] | None = None,
    scenario: Sequence[Step] = SCENARIO,
) -> Truth:
    """The truth of `sites` (as round 0 serves them), their articles as planned (`plans`, by
    publisher slug: the sites' own by default) and the `scenario` the rounds follow."""
    articles: list[SimArticle] = []
    histories: dict[str, History] = {}
    final = last_round(scenario)
    for site in sites:
        planned = plans[site.spec.slug] if plans is not None else site.articles
        ordered = sorted(planned, key=lambda a: a.text.published, reverse=True)
        rounds = [at_round(ordered, n, scenario) for n in range(final + 1)]
        for states in zip(*rounds, strict=True):
            url = site.url(states[0].path)
            histories[url] = history(url, states)
        depths = link_depths(site)
        listed = {a.path for a in site.listed()}
        boilerplate = tuple(dict.fromkeys(line for lines in site.chrome.values() for line in lines))
        for placed in site.articles:
            text = placed.text
            ways: set[str] = set()
            if site.listing and placed.path in listed:
                ways.add(site.listing)
            if placed.path in depths:
                ways.add("links")
            day = text.published.date()
            articles.append(
                SimArticle(
                    url=site.url(placed.path),
                    publisher=site.spec.name,
                    host=site.host,
                    title=text.headline,
                    published=day,
                    on_topic=text.on_topic,
                    in_window=SINCE <= day <= UNTIL,
                    linked=depths.get(placed.path, FOLLOW + 1) <= FOLLOW,
                    listed_in=frozenset(ways),
                    seed_id=placed.seed_id,
                    paragraphs=text.paragraphs,
                    boilerplate=boilerplate,
                    validators=site.validators,
                    gone=placed.gone,
                    lang=text.lang,
                )
            )
    return Truth(
        articles=articles,
        disallowed_urls=[
            site.url(a.path)
            for site in sites
            for a in site.articles
            if any(a.path.startswith(prefix) for prefix in site.disallow)
        ],
        redirects=[
            (site.url(old), site.url(new)) for site in sites for old, new in site.redirects.items()
        ],
        non_html_urls=[site.url(REPORT) for site in sites if REPORT in site.files],
        failing_host=failing_host,
        timeline=Timeline(histories, final),
    )
