"""One simulated web for the whole simweb test session (plus a failing publisher), every page it
serves, and one web that moves through the rounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.simweb import SimWeb
from tests.simweb.helpers import ROUNDS, Response, Snapshots, fetch, walk


@pytest.fixture(scope="session")
def web() -> Iterator[SimWeb]:
    """Always in round 0."""
    with SimWeb(failing_publisher=True) as running:
        yield running


@pytest.fixture(scope="session")
def pages(web: SimWeb) -> dict[str, Response]:
    """Every page of every working publisher: all links followed at any depth, robots.txt
    ignored, redirects not followed; plus every article in the truth (linked or not)."""
    homes = [p.base_url for p in web.publishers if p.host != web.truth.failing_host]
    return walk(homes + [a.url for a in web.truth.articles])


@pytest.fixture(scope="session")
def timed() -> Iterator[SimWeb]:
    """A web whose round the tests move: each test sets the round it needs."""
    with SimWeb() as running:
        yield running


@pytest.fixture(scope="session")
def served(timed: SimWeb) -> Snapshots:
    """Every article as each round serves it, gzip accepted (as a crawler asks)."""
    snapshots = []
    for n in ROUNDS:
        timed.set_round(n)
        snapshots.append(
            {a.url: fetch(a.url, Accept_Encoding="gzip") for a in timed.truth.articles}
        )
    return snapshots


@pytest.fixture(scope="session")
def featured() -> Iterator[SimWeb]:
    """A web with every opt-in feature (walls, edits, rights, requisites, archive); each test
    sets the round it needs."""
    with SimWeb(walls=True, edits=True, rights=True, requisites=True, archive=True) as running:
        yield running


@pytest.fixture(scope="session")
def featured_rounds(featured: SimWeb) -> Snapshots:
    """Every article of the featured web as each of its rounds serves it (gzip not accepted),
    and one more round that changes nothing."""
    snapshots = []
    for n in range(featured.truth.timeline.last_round + 2):
        featured.set_round(n)
        snapshots.append({a.url: fetch(a.url) for a in featured.truth.articles})
    featured.set_round(0)
    return snapshots
