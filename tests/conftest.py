"""Fixtures shared across the test suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
from sqlalchemy import URL, create_engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema

POSTGRES_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
"""Tried in order; NEWSARCHIVE_TEST_POSTGRES overrides them with one URL."""
REDIS_URL = "redis://127.0.0.1:6379/0"
"""NEWSARCHIVE_TEST_REDIS overrides it."""
REQUIRE_SERVICES = "NEWSARCHIVE_REQUIRE_SERVICES"


def _unavailable(reason: str) -> NoReturn:
    """Skip, unless the run demands every service (CI), in which case fail."""
    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(f"{reason} (and {REQUIRE_SERVICES}=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> URL:
    """A PostgreSQL database that accepts us, for tests to make throw-away schemas in."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("PostgreSQL tests need psycopg: pip install 'newsarchive[postgres]'")
    override = os.environ.get("NEWSARCHIVE_TEST_POSTGRES")
    problems = []
    for candidate in (override,) if override else POSTGRES_URLS:
        url = make_url(candidate)
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                return url
        except DBAPIError as exc:
            problems.append(f"{url.render_as_string(hide_password=True)}: {exc.orig}")
        finally:
            engine.dispose()
    _unavailable("PostgreSQL is unreachable: " + "; ".join(problems))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database URL: a SQLite file that does not exist yet, or a fresh PostgreSQL schema
    (dropped afterwards) made the connection's search_path."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'newsarchive.db'}"
        return
    server: URL = request.getfixturevalue("postgres_server")
    with postgres_schema(server) as url:
        yield url


@contextmanager
def postgres_schema(server: URL) -> Iterator[str]:
    """The URL of a fresh schema on `server` (the connection's search_path), dropped on exit."""
    schema = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(CreateSchema(schema))
    try:
        url = server.update_query_dict({"options": f"-c search_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The URL of a Redis server that answers, for tests that use their own key prefix."""
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        _unavailable(f"Redis tests need {exc.name}: pip install 'newsarchive[redis]'")
    url = os.environ.get("NEWSARCHIVE_TEST_REDIS") or REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis is unreachable at {url}: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    with own_redis_prefix(redis_server) as prefix:
        yield prefix


@contextmanager
def own_redis_prefix(url: str) -> Iterator[str]:
    """A unique Redis key prefix; every key under it is deleted on exit."""
    import redis

    prefix = f"newsarchive-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            names = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if names:
                client.delete(*names)
        finally:
            client.close()
