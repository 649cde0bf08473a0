"""Which articles are walled in which rounds (`SimWeb(walls=True)`), and the truth about them.

Each case is one generated article, open in every round but the ones its wall covers: walls
that come in a recrawl (round 1 or 2) for articles first seen open, and two on the first crawl
(round 0) for articles never seen open before. After its wall the article is served as before,
or, for one paywalled article, with an update appended: the next open capture must be compared
with the last open one, never with the wall.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.simweb.edits import UPDATE_NOTE, Rewrite, Scripted
from crawler.simweb.generator import Generator
from crawler.simweb.plan import Placed, SitePlan, section_for
from crawler.simweb.site_listings import summary
from crawler.simweb.timeline import Step
from crawler.simweb.walls import Wall, WallKind


@dataclass(frozen=True, slots=True)
class WallCase:
    name: str
    publisher: str
    wall: Wall
    rounds: tuple[int, ...]
    """The rounds it is walled in, one after another; the round after them serves it open."""
    reopen_update: bool = False
    """Whether it comes back with an update paragraph appended (a real edit) rather than as it
    was."""

    @property
    def key(self) -> str:
        return f"wall-{self.name}"


CLOUDFLARE = "cloudflare"
CASES = (
    WallCase("paywall-updated", "ledgerline", Wall("paywall", keep=1), (1,), reopen_update=True),
    WallCase("paywall", "harbor-courier", Wall("paywall", keep=2), (1,)),
    WallCase("consent-onetrust", "justice-dispatch", Wall("consent", vendor="onetrust"), (1,)),
    WallCase("consent-first-crawl", "harbor-courier", Wall("consent", vendor="didomi"), (0,)),
    WallCase("consent-two-rounds", "ledgerline", Wall("consent", vendor="funding-choices"), (1, 2)),
    WallCase("consent-quantcast", "continental-herald", Wall("consent", vendor="quantcast"), (2,)),
    WallCase("login", "continental-herald", Wall("login"), (1,)),
    WallCase("challenge-403", "wirefront", Wall("challenge", 403, CLOUDFLARE), (1,)),
    WallCase("challenge-503", "wirefront", Wall("challenge", 503, CLOUDFLARE), (1,)),
    WallCase(
        "rate-limited-429", "wirefront", Wall("challenge", 429, CLOUDFLARE, retry_after=120), (1,)
    ),
    WallCase("challenge-first-crawl", "wirefront", Wall("challenge", 403, CLOUDFLARE), (0,)),
)


@dataclass(frozen=True, slots=True)
class WalledRound:
    """One article served behind a wall in one round."""

    url: str
    round: int
    kind: WallKind
    status: int
    vendor: str
    retry_after: int | None
    seen_open: bool
    """Whether an earlier round served it open (False: a first crawl meets only the wall)."""


@dataclass(frozen=True, slots=True)
class WalledArticle:
    url: str
    rounds: tuple[int, ...]
    wall: Wall
    description: str
    """The summary its feed or sitemap entry and its `<meta name="description">` carry."""
    feed: str | None
    """The feed that lists it with that description, if its publisher has one."""
    visible: tuple[str, ...]
    """paywall: the paragraphs the wall leaves visible; otherwise none."""


@dataclass(frozen=True)
class WallTruth:
    articles: tuple[WalledArticle, ...]

    @property
    def served(self) -> list[WalledRound]:
        """Every walled round of every article, in round order."""
        out = [
            WalledRound(
                a.url,
                n,
                a.wall.kind,
                a.wall.status,
                a.wall.vendor,
                a.wall.retry_after,
                seen_open=a.rounds[0] > 0,
            )
            for a in self.articles
            for n in a.rounds
        ]
        return sorted(out, key=lambda w: (w.round, w.url))

    def walled(self, n: int) -> list[WalledRound]:
        """What round `n` serves behind a wall."""
        return [w for w in self.served if w.round == n]

    def wall(self, url: str, n: int) -> WalledRound | None:
        return next((w for w in self.walled(n) if w.url == url), None)

    def article(self, url: str) -> WalledArticle | None:
        return next((a for a in self.articles if a.url == url), None)


class WalledArticles(Scripted):
    """The feature: one article per case (`add`, a plan_web addition), its wall and open steps
    and the rewrite of the one that comes back edited."""

    def add(self, sites: dict[str, SitePlan], generator: Generator) -> None:
        topics = generator.regular_topics
        for number, case in enumerate(CASES):
            site = sites[case.publisher]
            topic = topics[(number + 3) % len(topics)]
            when = datetime(2025, 2, 4 + 2 * number, 7 + number, 10, tzinfo=UTC)
            text = generator.article(case.key, topic, when)
            site.add_generated(
                text, "walled", section_for(generator, site.spec, topic), linked=True
            )
            first, reopen = case.rounds[0], case.rounds[-1] + 1
            self.steps += [
                Step(first, case.key, "wall", wall=case.wall),
                Step(reopen, case.key, "open"),
            ]
            if case.reopen_update:
                updated = dataclasses.replace(text, paragraphs=(*text.paragraphs, UPDATE_NOTE))
                self.steps.append(Step(reopen, case.key, "rewrite", text=updated))
                self.rewrites.append(Rewrite(case.key, reopen, frozenset({"update"}), UPDATE_NOTE))

    @staticmethod
    def truth(placed: Mapping[str, tuple[str, Placed, str | None]]) -> WallTruth:
        """`placed`: article key to (its URL, its round-0 state, its publisher's feed)."""
        articles = []
        for case in CASES:
            url, article, feed = placed[case.key]
            paragraphs = article.text.paragraphs
            articles.append(
                WalledArticle(
                    url=url,
                    rounds=case.rounds,
                    wall=case.wall,
                    description=summary(paragraphs[0]),
                    feed=feed,
                    visible=paragraphs[: case.wall.keep] if case.wall.kind == "paywall" else (),
                )
            )
        return WallTruth(tuple(articles))
