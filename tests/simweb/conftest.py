"""One simulated web for the whole simweb test session (plus a failing publisher)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.simweb import SimWeb


@pytest.fixture(scope="session")
def web() -> Iterator[SimWeb]:
    with SimWeb(failing_publisher=True) as running:
        yield running
