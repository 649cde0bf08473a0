"""Syndication clusters in the database: signatures, band keys and cluster assignments kept up to
date incrementally (the clustering itself is `crawler.clustering`, which knows no database).

An update signs only the articles whose current version has no current signature, then
re-clusters only what those can have changed: the signed articles, the articles sharing an LSH
band key with them (an index look-up in `article_bands`) and every member of those articles'
clusters, old and new. Clusters are connected groups, so no link can lead outside that set, and
the outcome equals a rebuild from scratch. Signatures made with other options are stale, so a
change of options re-signs everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from crawler.clustering.groups import Assignment, Member, assign
from crawler.clustering.signatures import ClusterOptions, band_keys, signature
from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.engine import write_transaction
from storage.db.models import utcnow
from storage.db.versions import ranked_versions


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
        stored_params = conn.execute(
            select(m.ArticleSignature.params).where(m.ArticleSignature.params != options.params)
        ).first()
        previous = None
        rebuilt = rebuild
        if rebuild or stored_params is not None:
            rebuilt = True
            previous = _assignments(conn, None)
            conn.execute(delete(m.ArticleBand))
            conn.execute(delete(m.ArticleSignature))
        stale = _stale(conn)
        keys: set[int] = set()
        for chunk in chunks(stale):
            keys.update(_sign(conn, chunk, options))
        signed = {url_id for url_id, _ in stale}
        neighbours = _sharing(conn, sorted(keys))
        # A re-signed article keeps its old cluster id until `_reassign`: that cluster is affected.
        clusters = _clusters_of(conn, sorted(neighbours | signed))
        considered = signed | neighbours | _members_of(conn, sorted(clusters))
        changed = _reassign(conn, sorted(considered), options, previous)
        return ClusterUpdate(len(signed), len(considered), changed, rebuilt)

    return write_transaction(engine, write)


def _stale(conn: Connection) -> list[tuple[int, int]]:
    """(url id, current version id) of each article whose current version (see
    `ranked_versions`) has no signature."""
    sig = m.ArticleSignature
    ranked = ranked_versions()
    rows = conn.execute(
        select(ranked.c.url_id, ranked.c.version_id)
        .outerjoin(sig, sig.url_id == ranked.c.url_id)
        .where(
            ranked.c.rank == 1,
            or_(sig.url_id.is_(None), sig.version_id != ranked.c.version_id),
        )
        .order_by(ranked.c.url_id)
    )
    return [(url_id, version_id) for url_id, version_id in rows]


def _sign(
    conn: Connection, articles: Sequence[tuple[int, int]], options: ClusterOptions
) -> set[int]:
    """Compute and store the signatures and band keys of (url id, version id) pairs; returns the
    band keys. A new article starts as a cluster of one until `_reassign`."""
    version = m.ArticleVersion
    version_ids = [version_id for _, version_id in articles]
    texts = {
        id_: text
        for id_, text in conn.execute(
            select(version.id, version.text).where(version.id.in_(version_ids))
        )
    }
    signatures = {url_id: signature(texts[version_id], options) for url_id, version_id in articles}
    now = utcnow()
    rows = [
        {
            "url_id": url_id,
            "version_id": version_id,
            "params": options.params,
            "signature": signatures[url_id],
            "cluster_id": url_id,
            "is_original": True,
            "computed_at": now,
        }
        for url_id, version_id in articles
    ]
    stmt = dialect_insert(conn, m.ArticleSignature).values(rows)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[m.ArticleSignature.url_id],
            set_={
                name: getattr(stmt.excluded, name)
                for name in ("version_id", "params", "signature", "computed_at")
            },
        )
    )
    url_ids = [url_id for url_id, _ in articles]
    conn.execute(delete(m.ArticleBand).where(m.ArticleBand.url_id.in_(url_ids)))
    bands = [
        {"key": key, "url_id": url_id}
        for url_id, sig in signatures.items()
        for key in dict.fromkeys(band_keys(sig, options))
    ]
    for chunk in chunks(bands):
        conn.execute(dialect_insert(conn, m.ArticleBand).values(list(chunk)))
    return {band["key"] for band in bands}


def _sharing(conn: Connection, keys: Sequence[int]) -> set[int]:
    """Articles with any of the band keys."""
    band = m.ArticleBand
    return {
        url_id
        for chunk in chunks(keys)
        for url_id in conn.execute(
            select(band.url_id).where(band.key.in_(chunk)).distinct()
        ).scalars()
    }


def _clusters_of(conn: Connection, url_ids: Sequence[int]) -> set[int]:
    sig = m.ArticleSignature
    return {
        cluster
        for chunk in chunks(url_ids)
        for cluster in conn.execute(select(sig.cluster_id).where(sig.url_id.in_(chunk))).scalars()
    }


def _members_of(conn: Connection, clusters: Sequence[int]) -> set[int]:
    sig = m.ArticleSignature
    return {
        url_id
        for chunk in chunks(clusters)
        for url_id in conn.execute(select(sig.url_id).where(sig.cluster_id.in_(chunk))).scalars()
    }


def _assignments(conn: Connection, url_ids: Sequence[int] | None) -> dict[int, Assignment]:
    """The stored cluster of each article (of every article with None)."""
    sig = m.ArticleSignature
    query = select(sig.url_id, sig.cluster_id, sig.is_original)
    queries = (
        [query] if url_ids is None else [query.where(sig.url_id.in_(c)) for c in chunks(url_ids)]
    )
    return {
        url_id: Assignment(cluster, original)
        for stmt in queries
        for url_id, cluster, original in conn.execute(stmt)
    }


def _reassign(
    conn: Connection,
    url_ids: Sequence[int],
    options: ClusterOptions,
    previous: Mapping[int, Assignment] | None,
) -> int:
    """Cluster the articles again and store what changed; returns how many differ from
    `previous` (by default, what is stored).

    Only articles that share a band key with another one can be linked, so only they are loaded
    and handed to `assign`: the rest are clusters of one, and memory follows the number of
    candidate copies, not of articles.
    """
    sig, version = m.ArticleSignature, m.ArticleVersion
    stored = _assignments(conn, url_ids)
    linkable = sorted(_with_shared_band(conn, url_ids))
    members: list[Member] = []
    for chunk in chunks(linkable):
        first = (
            select(version.url_id, func.min(version.first_seen).label("first_seen"))
            .where(version.url_id.in_(chunk))
            .group_by(version.url_id)
            .subquery()
        )
        for url_id, signature_, published, first_seen in conn.execute(
            select(sig.url_id, sig.signature, version.published, first.c.first_seen)
            .join(version, version.id == sig.version_id)
            .join(first, first.c.url_id == sig.url_id)
            .where(sig.url_id.in_(chunk))
        ):
            members.append(Member(url_id, signature_, published, first_seen))
    wanted = {url_id: Assignment(url_id, True) for url_id in url_ids}
    wanted.update(assign(members, options))
    changes = [
        {"b_url_id": url_id, "b_cluster_id": a.cluster_id, "b_is_original": a.is_original}
        for url_id, a in wanted.items()
        if stored.get(url_id) != a
    ]
    stmt = (
        update(sig)
        .where(sig.url_id == bindparam("b_url_id"))
        .values(cluster_id=bindparam("b_cluster_id"), is_original=bindparam("b_is_original"))
    )
    for batch in chunks(changes):
        conn.execute(stmt, list(batch))
    if previous is None:
        return len(changes)
    return sum(previous.get(url_id) != a for url_id, a in wanted.items())


def _with_shared_band(conn: Connection, url_ids: Sequence[int]) -> Iterable[int]:
    """Those of the articles that share a band key with another article."""
    mine, other = aliased(m.ArticleBand, name="mine"), aliased(m.ArticleBand, name="other")
    for chunk in chunks(url_ids):
        yield from conn.execute(
            select(mine.url_id)
            .join(other, and_(other.key == mine.key, other.url_id != mine.url_id))
            .where(mine.url_id.in_(chunk))
            .distinct()
        ).scalars()
