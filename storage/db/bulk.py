"""Building blocks of the batch writes: each dialect's INSERT (for its upsert) and chunking.

Only SQLite and PostgreSQL are supported: both have INSERT … ON CONFLICT and RETURNING, which let
a batch cost a handful of round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite

from storage.db.models import Base

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql

T = TypeVar("T")
Insert: TypeAlias = "sqlite.Insert | postgresql.Insert"

CHUNK_ROWS = 500
"""Rows (or IN-list values) per statement, well inside both databases' bound-parameter limits."""

DIALECTS = ("sqlite", "postgresql")


def check_dialect(name: str) -> None:
    """Refuse a database other than SQLite or PostgreSQL up front, not at the first write."""
    if name not in DIALECTS:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


def dialect_insert(conn: Connection, model: type[Base]) -> Insert:
    """An INSERT into `model` that can take the dialect's ON CONFLICT clause. PostgreSQL's
    dialect module is imported only when the database is PostgreSQL: a crawl on SQLite would
    otherwise spend about 40 ms of its start-up importing it."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(model)
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    check_dialect(name)
    raise AssertionError(name)


def chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
