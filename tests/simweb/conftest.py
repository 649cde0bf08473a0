"""One simulated web for the whole simweb test session (plus a failing publisher), and one that
moves through the rounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.simweb import SimWeb
from tests.simweb.helpers import ROUNDS, Snapshots, fetch


@pytest.fixture(scope="session")
def web() -> Iterator[SimWeb]:
    """Always in round 0."""
    with SimWeb(failing_publisher=True) as running:
        yield running


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
