"""Clusters as shown to people (`newsarchive clusters`, the report): plain data, read from the
database by `storage.db.queries.clusters`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ClusterMember:
    url: str
    publisher: str | None
    title: str | None
    published: date | None
    first_captured: datetime
    is_original: bool


@dataclass(frozen=True, slots=True)
class Cluster:
    """Copies of one text, at one or several publishers (syndication)."""

    cluster_id: int
    members: tuple[ClusterMember, ...]
    """The original first, then by publication date and first capture."""
