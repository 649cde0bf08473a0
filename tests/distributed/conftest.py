"""Fixtures of the distributed tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis


@pytest.fixture
def client(redis_server: str) -> Iterator[redis.Redis]:
    """A connection to the test Redis (tests keep to their own key prefix)."""
    connection = redis.Redis.from_url(redis_server)
    yield connection
    connection.close()
