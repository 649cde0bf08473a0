"""From signatures to clusters: which articles are copies of one another, and which is the
original.

Two articles are linked when LSH makes them candidates and their estimated similarity reaches the
threshold; a cluster is a connected group of linked articles (a copy of a copy is in the same
cluster). Everything here is a function of the members alone, so a cluster computed again from
the same signatures comes out the same, whatever order its members arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from crawler.clustering.signatures import ClusterOptions, band_keys, similarity


@dataclass(frozen=True, slots=True)
class Member:
    """One article as clustering sees it."""

    key: int
    """The article's id; the smallest id of a cluster is the cluster's id."""
    signature: bytes
    published: date | datetime | None
    """As stated: a moment (with its offset) where the page gave a time, else the day."""
    first_captured: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    cluster_id: int
    is_original: bool


_LATEST = datetime.max.replace(tzinfo=UTC)


def original_order(member: Member) -> tuple[bool, date, datetime, datetime, int]:
    """Sort key that puts a cluster's original first: earliest published (undated last), then
    first captured, then smallest id.

    Stated moments compare as instants, whatever their offsets, and their day is the UTC day; on
    one day a stated moment comes before a bare date, which cannot be placed within it. Two copies
    published the same morning are thus told apart by the hour, not by which we happened to fetch
    first."""
    stated = member.published
    if stated is None:
        return (True, date.max, _LATEST, member.first_captured, member.key)
    if isinstance(stated, datetime):
        instant = (stated if stated.tzinfo else stated.replace(tzinfo=UTC)).astimezone(UTC)
        return (False, instant.date(), instant, member.first_captured, member.key)
    return (False, stated, _LATEST, member.first_captured, member.key)


def links(members: Sequence[Member], options: ClusterOptions) -> Iterable[tuple[int, int]]:
    """Pairs of keys whose texts are copies: LSH candidates (members sharing a band key, which is
    what datasketch's `MinHashLSH` with the options' bands finds, without loading it and scipy)
    whose estimated similarity reaches the threshold."""
    by_key = {m.key: m for m in members if m.signature}
    bands = {key: band_keys(member.signature, options) for key, member in by_key.items()}
    buckets: dict[int, list[int]] = {}
    for key, keys in bands.items():
        for band in keys:
            buckets.setdefault(band, []).append(key)
    for key in sorted(by_key):  # one member's candidates at a time: memory stays linear
        others = {other for band in bands[key] for other in buckets[band] if other > key}
        for other in sorted(others):
            if similarity(by_key[key].signature, by_key[other].signature) >= options.threshold:
                yield key, other


def assign(members: Sequence[Member], options: ClusterOptions) -> dict[int, Assignment]:
    """Each member's cluster id (the smallest key of its cluster) and whether it is the cluster's
    original (`original_order`). A member linked to no other is a cluster of one."""
    parent = {m.key: m.key for m in members}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in links(members, options):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    clusters: dict[int, list[Member]] = {}
    for member in members:
        clusters.setdefault(root(member.key), []).append(member)
    out: dict[int, Assignment] = {}
    for group in clusters.values():
        cluster_id = min(m.key for m in group)
        original = min(group, key=original_order).key
        for m in group:
            out[m.key] = Assignment(cluster_id, m.key == original)
    return out
