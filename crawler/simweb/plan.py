"""Which article goes on which site, at which path, and by which routes a crawler can find it.

Per publisher: its seed copy of the story, nine generated filler articles, and the special cases
the tests and the demo rely on (the traps, feed-only follow-ups outside the window, an article
behind robots.txt, one reached only through a redirect, one from 2024). Everything is decided by
the web's seed, before any port is known.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.simweb.content import Text, coverage, seeds
from crawler.simweb.generator import Generator
from crawler.simweb.publishers import PUBLISHERS, PublisherSpec, Section
from crawler.simweb.walls import Wall

FILLERS = 9
"""Generated off-topic articles per publisher, linked from its sections."""

TRAPS = {"ledgerline": "bitcoin-surf", "justice-dispatch": "prison-reform"}
"""Look-alike off-topic articles: El Salvador without prisons, prisons without El Salvador."""

PRIVATE = "/private/"
"""Disallowed in Harbor Courier's robots.txt; its home page links an on-topic article there."""

REDIRECTED_SEED = "continental-herald"
"""The publisher whose seed article is linked only by an old URL that answers 301."""

FEED_ONLY = {
    "followup-transfers": "ledgerline",
    "background-january": "harbor-courier",
    "followup-court": "wirefront",
    "preview-january": "justice-dispatch",
}
"""On-topic articles outside the window, in their publisher's feed or sitemap and on no page."""


@dataclass(frozen=True, slots=True)
class Placed:
    """An article on a site, and every way a crawler can find it."""

    text: Text
    path: str
    section: Section
    kind: str
    """'seed', 'filler', 'trap', 'extra' (generated for volume), 'coverage' (on-topic, from
    data/coverage.json), or one of the opt-in features' (see features.py): 'walled', 'edited',
    'archived'."""
    seed_id: str | None = None
    on_home: bool = False
    """Among the home page's top stories."""
    in_sections: bool = True
    """Linked from its section page (and, for fillers, from related-article lists)."""
    in_archive: bool = False
    """Listed on the paginated /archive/ pages."""
    listed: bool = True
    """In the publisher's feed or sitemaps, if it has any."""
    old_path: str | None = None
    """Where pages link instead; it answers 301 to `path`."""
    modified: datetime | None = None
    """When a later round last changed its page (see timeline.py); None while as published."""
    gone: int | None = None
    """404 or 410 once a later round has deleted it (or from round 0: see archive.py)."""
    wall: Wall | None = None
    """What it is served behind in this round, if anything (see walls.py)."""

    @property
    def href_path(self) -> str:
        """The path pages link to."""
        return self.old_path or self.path


class SitePlan:
    """One publisher's articles, each with a unique path in the publisher's URL style, while
    the web is planned."""

    def __init__(self, spec: PublisherSpec) -> None:
        self.spec = spec
        self.articles: list[Placed] = []
        self._taken: set[str] = set()

    def path_for(self, text: Text, section: Section) -> str:
        base = slugify(text.headline)
        slug, number = base, 1
        while (path := _article_path(self.spec, section, text, slug)) in self._taken:
            number += 1
            slug = f"{base}-{number}"
        return path

    def add(self, article: Placed) -> None:
        self._taken.update(p for p in (article.path, article.old_path) if p)
        self.articles.append(article)

    def add_generated(self, text: Text, kind: str, section: Section, *, linked: bool) -> None:
        path = self.path_for(text, section)
        self.add(Placed(text, path, section, kind, in_sections=linked, in_archive=True))


Addition = Callable[[dict[str, SitePlan], Generator], None]
"""Adds an opt-in feature's articles to the planned sites (see features.py)."""


def plan_web(
    seed: int = 0, extra_articles: int = 0, additions: Sequence[Addition] = ()
) -> dict[str, list[Placed]]:
    """Every publisher's articles, by publisher slug; `additions` add theirs last, so that the
    articles planned without them stay exactly as they are."""
    generator = Generator(seed)
    rng = random.Random(f"{seed}:plan")
    sites = {spec.slug: SitePlan(spec) for spec in PUBLISHERS}
    for spec in PUBLISHERS:
        site = sites[spec.slug]
        _add_seed(site)
        for number, topic in enumerate(rng.sample(generator.regular_topics, FILLERS)):
            text = generator.article(f"{spec.slug}-{number}", topic, _february(rng))
            site.add_generated(text, "filler", section_for(generator, spec, topic), linked=True)
        if spec.slug in TRAPS:
            topic = TRAPS[spec.slug]
            text = generator.article(f"{spec.slug}-trap", topic, _february(rng))
            site.add_generated(text, "trap", section_for(generator, spec, topic), linked=True)
    _add_coverage(sites)
    regular = generator.regular_topics
    for number in range(extra_articles):
        spec = PUBLISHERS[number % len(PUBLISHERS)]
        topic = rng.choice(regular)
        text = generator.article(f"extra-{number}", topic, _february(rng))
        sites[spec.slug].add_generated(
            text, "extra", section_for(generator, spec, topic), linked=False
        )
    for add in additions:
        add(sites, generator)
    return {slug: site.articles for slug, site in sites.items()}


def _add_seed(site: SitePlan) -> None:
    spec = site.spec
    assert spec.seed_id is not None
    text = seeds()[spec.seed_id].text
    section = spec.section(spec.seed_section)
    path = site.path_for(text, section)
    if spec.slug == REDIRECTED_SEED:
        old = f"/{section.slug}/{text.published:%Y/%m/%d}/{slugify(text.headline)}"
        site.add(Placed(text, path, section, "seed", spec.seed_id, old_path=old))
    else:
        site.add(Placed(text, path, section, "seed", spec.seed_id, on_home=True))


def _add_coverage(sites: dict[str, SitePlan]) -> None:
    texts = coverage()
    for key, slug in FEED_ONLY.items():
        site = sites[slug]
        section = site.spec.section(site.spec.seed_section)
        text = texts[key]
        path = site.path_for(text, section)
        site.add(Placed(text, path, section, "coverage", in_sections=False))
    courier = sites["harbor-courier"]
    text = texts["private-inside-talks"]
    world = courier.spec.section("world")
    private = f"{PRIVATE}{slugify(text.headline)}/"
    courier.add(
        Placed(text, private, world, "coverage", on_home=True, in_sections=False, listed=False)
    )
    herald = sites["continental-herald"]
    text, world = texts["inauguration-2024"], herald.spec.section("world")
    herald.add(Placed(text, herald.path_for(text, world), world, "coverage", on_home=True))


def section_for(generator: Generator, spec: PublisherSpec, topic: str) -> Section:
    """The section of `spec` that carries articles on generator topic `topic`."""
    return spec.section_for(generator.topics[topic].section)


def _february(rng: random.Random) -> datetime:
    """A publication time inside the story window (February 2025), in UTC."""
    day, hour, minute = rng.randint(1, 28), rng.randint(6, 21), rng.choice((0, 12, 25, 40, 55))
    return datetime(2025, 2, day, hour, minute, tzinfo=UTC)


def slugify(headline: str) -> str:
    """A URL slug: ASCII, lower case, hyphens, at most about 70 characters."""
    ascii_text = unicodedata.normalize("NFKD", headline).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70].rsplit("-", 1)[0] if len(slug) > 70 else slug


_STYLES: dict[str, Callable[[Section, Text, str], str]] = {
    "dated": lambda section, text, slug: f"/{section.slug}/{text.published:%Y/%m/%d}/{slug}/",
    "slug-id": lambda section, text, slug: (
        f"/{section.slug}/{slug}-{hashlib.blake2s(text.key.encode(), digest_size=3).hexdigest()}"
    ),
    "html": lambda section, text, slug: f"/{text.published:%Y/%m/%d}/{slug}.html",
    "story": lambda section, text, slug: f"/story/{slug}/",
    "numeric": lambda section, text, slug: (
        f"/articles/{int(hashlib.blake2s(text.key.encode(), digest_size=3).hexdigest(), 16)}-{slug}"
    ),
}


def _article_path(spec: PublisherSpec, section: Section, text: Text, slug: str) -> str:
    return _STYLES[spec.url_style](section, text, slug)
