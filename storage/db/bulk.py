"""Building blocks of the batch writes: each dialect's INSERT (for its upsert) and chunking.

Only SQLite and PostgreSQL are supported: both have INSERT … ON CONFLICT and RETURNING, which let
a batch cost a handful of round trips whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from storage.db.models import Base

T = TypeVar("T")
Insert = sqlite.Insert | postgresql.Insert

CHUNK_ROWS = 500
"""Rows (or IN-list values) per statement, well inside both databases' bound-parameter limits."""

_INSERTS: Mapping[str, Callable[[Any], Insert]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def check_dialect(name: str) -> None:
    """Refuse a database other than SQLite or PostgreSQL up front, not at the first write."""
    if name not in _INSERTS:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


def dialect_insert(conn: Connection, model: type[Base]) -> Insert:
    """An INSERT into `model` that can take the dialect's ON CONFLICT clause."""
    return _INSERTS[conn.dialect.name](model)


def chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
