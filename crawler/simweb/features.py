"""The opt-in features of a `SimWeb`, for testing a crawler's later work against them: walls
(walls.py, wallplan.py), edit kinds (edits.py), rights signals (rights.py), page requisites
(requisites.py) and a web archive (archive.py).

Each adds its articles after everything else is planned, its steps after the default scenario,
and its page changes only to the pages it names, so a web without them is byte for byte the web
it was before they existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from crawler.simweb.archive import ArchivedArticles
from crawler.simweb.edits import EditArticles, ExpectedEdit, expected_edits, scenario_rewrites
from crawler.simweb.plan import Addition, Placed
from crawler.simweb.publishers import PublisherSpec
from crawler.simweb.requisites import CDN_PUBLISHER, SiteRequisites
from crawler.simweb.rights import RightsSignal, decorate, signals
from crawler.simweb.sites import Decorator, Extras, Site
from crawler.simweb.timeline import SCENARIO, Step
from crawler.simweb.wallplan import WalledArticles, WallTruth


@dataclass(frozen=True, slots=True)
class Features:
    """Which opt-in features a web has (all off by default)."""

    walls: bool = False
    edits: bool = False
    rights: bool = False
    requisites: bool = False
    archive: bool = False

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


class FeaturePlan:
    """The features of one web: their articles and steps before it starts, their additions to
    each site's pages while it serves, and their ground truth."""

    def __init__(self, features: Features) -> None:
        self.features = features
        self.edits = EditArticles() if features.edits else None
        self.walls = WalledArticles() if features.walls else None
        self.archived = ArchivedArticles() if features.archive else None

    def additions(self) -> list[Addition]:
        """What each feature adds to plan_web."""
        return [f.add for f in (self.edits, self.walls, self.archived) if f is not None]

    def scenario(self) -> tuple[Step, ...]:
        """The default scenario, then each feature's steps."""
        steps = [*SCENARIO]
        for feature in (self.edits, self.walls, self.archived):
            if feature is not None:
                steps += feature.steps
        return tuple(steps)

    def requisites(
        self, spec: PublisherSpec, base_url: str, cdn_base: str | None, paths: list[str]
    ) -> SiteRequisites | None:
        if not self.features.requisites:
            return None
        cdn = cdn_base if spec.slug == CDN_PUBLISHER else None
        return SiteRequisites(spec.slug, spec.name, base_url, cdn, paths)

    def extras(self, requisites: SiteRequisites | None) -> Extras:
        """What a site's pages gain: rights signals, requisites."""
        decorators: list[Decorator] = []
        if self.features.rights:
            decorators.append(decorate)
        if requisites is not None:
            decorators.append(requisites.decorate)
            return Extras(tuple(decorators), requisites.serve)
        return Extras(tuple(decorators))

    def expected_edits(self, urls: dict[str, str]) -> list[ExpectedEdit]:
        """Every rewrite of every round, classified (the default scenario's included)."""
        rewrites = scenario_rewrites(SCENARIO)
        for feature in (self.edits, self.walls):
            if feature is not None:
                rewrites += feature.rewrites
        return expected_edits(rewrites, urls)

    def rights(self, urls: dict[str, str]) -> list[RightsSignal]:
        return signals(urls) if self.features.rights else []

    def wall_truth(self, sites: list[Site], urls: Mapping[str, str]) -> WallTruth | None:
        if self.walls is None:
            return None
        placed: dict[str, tuple[str, Placed, str | None]] = {}
        for site in sites:
            feed = site.feeds[0] if site.feeds else None
            for article in site.articles:
                placed[article.text.key] = (urls[article.text.key], article, feed)
        return self.walls.truth(placed)
