"""Syndication clusters kept up to date incrementally: signatures and band keys of new article
versions, then the clusters they can have changed (the clustering itself is `crawler.clustering`,
the rows `storage.db.clusters`).

An update signs only the articles whose current version has no current signature, then
re-clusters only what those can have changed: the signed articles, the articles sharing an LSH
band key with them (an index look-up in `article_bands`) and every member of those articles'
clusters, old and new. Clusters are connected groups, so no link can lead outside that set, and
the outcome equals a rebuild from scratch. Signatures made with other options are stale, so a
change of options re-signs everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from crawler.clustering.groups import Assignment, Member, assign
from crawler.clustering.signatures import ClusterOptions, band_keys, signature
from storage.db import clusters as rows
from storage.db.bulk import chunks
from storage.db.engine import write_transaction


@dataclass(frozen=True, slots=True)
class ClusterUpdate:
    signed: int
    """Articles whose signature was computed (new, a new version, or other options)."""
    considered: int
    """Articles whose cluster was worked out again."""
    changed: int
    """Of those, articles whose cluster id or original flag is new or changed."""
    rebuilt: bool


def update_clusters(
    engine: Engine, options: ClusterOptions, *, rebuild: bool = False
) -> ClusterUpdate:
    """Bring every article's signature and cluster up to date, in one transaction; with `rebuild`
    (or when stored signatures were made with other options) start from nothing."""

    def write(conn: Connection) -> ClusterUpdate:
        previous = None
        rebuilt = rebuild or rows.signed_with_other_params(conn, options.params)
        if rebuilt:
            previous = _assignments(conn, None)
            rows.forget_signatures(conn)
        stale = rows.stale(conn)
        keys: set[int] = set()
        for chunk in chunks(stale):
            keys.update(_sign(conn, chunk, options))
        signed = {url_id for url_id, _ in stale}
        neighbours = rows.sharing(conn, sorted(keys))
        # A re-signed article keeps its old cluster id until `_reassign`: that cluster is affected.
        clusters = rows.clusters_of(conn, sorted(neighbours | signed))
        considered = signed | neighbours | rows.members_of(conn, sorted(clusters))
        changed = _reassign(conn, sorted(considered), options, previous)
        return ClusterUpdate(len(signed), len(considered), changed, rebuilt)

    return write_transaction(engine, write)


def _sign(
    conn: Connection, articles: Sequence[tuple[int, int]], options: ClusterOptions
) -> set[int]:
    """Compute and store the signatures and band keys of (url id, version id) pairs; returns the
    band keys."""
    texts = rows.version_texts(conn, [version_id for _, version_id in articles])
    signed = []
    for url_id, version_id in articles:
        sig = signature(texts[version_id], options)
        signed.append((url_id, version_id, sig, band_keys(sig, options)))
    rows.store_signatures(conn, signed, options.params)
    return {key for *_, keys in signed for key in keys}


def _assignments(conn: Connection, url_ids: Sequence[int] | None) -> dict[int, Assignment]:
    return {
        url_id: Assignment(cluster, original)
        for url_id, (cluster, original) in rows.assignments(conn, url_ids).items()
    }


def _reassign(
    conn: Connection,
    url_ids: Sequence[int],
    options: ClusterOptions,
    previous: Mapping[int, Assignment] | None,
) -> int:
    """Cluster the articles again and store what changed; returns how many differ from
    `previous` (by default, what is stored). Only articles that share a band key with another
    one can be linked: the rest are clusters of one."""
    stored = _assignments(conn, url_ids)
    members = [Member(*row) for row in rows.linkable(conn, url_ids)]
    wanted = {url_id: Assignment(url_id, True) for url_id in url_ids}
    wanted.update(assign(members, options))
    rows.store_assignments(
        conn,
        {
            url_id: (a.cluster_id, a.is_original)
            for url_id, a in wanted.items()
            if stored.get(url_id) != a
        },
    )
    if previous is None:
        return sum(stored.get(url_id) != a for url_id, a in wanted.items())
    return sum(previous.get(url_id) != a for url_id, a in wanted.items())
