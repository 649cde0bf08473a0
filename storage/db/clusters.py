"""Syndication clusters in the database: signatures, band keys and cluster assignments, read and
written for `crawler.services.clusters`, which decides what they are (with `crawler.clustering`).
Rows go in and out as plain tuples; nothing here computes a signature or a cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import aliased

from storage.db import models as m
from storage.db.bulk import chunks, dialect_insert
from storage.db.models import utcnow
from storage.db.versions import ranked_versions

Assigned = tuple[int, bool]
"""(cluster id, is original) of an article."""


def signed_with_other_params(conn: Connection, params: str) -> bool:
    """Whether any stored signature was made with other clustering options than `params`."""
    found = conn.execute(
        select(m.ArticleSignature.params).where(m.ArticleSignature.params != params)
    ).first()
    return found is not None


def forget_signatures(conn: Connection) -> None:
    """Delete every signature, band key and assignment (a rebuild starts from nothing)."""
    conn.execute(delete(m.ArticleBand))
    conn.execute(delete(m.ArticleSignature))


def stale(conn: Connection, url_ids: Sequence[int] | None = None) -> list[tuple[int, int, str]]:
    """(url id, current version id, its text digest) of each article (of those of `url_ids`)
    whose current version (see `ranked_versions`) has no signature."""
    sig = m.ArticleSignature
    filters = (
        [None] if url_ids is None else [m.ArticleVersion.url_id.in_(c) for c in chunks(url_ids)]
    )
    found: list[tuple[int, int, str]] = []
    for version_filter in filters:
        ranked = ranked_versions(version_filter)
        rows = conn.execute(
            select(ranked.c.url_id, ranked.c.version_id, ranked.c.text_sha256)
            .outerjoin(sig, sig.url_id == ranked.c.url_id)
            .where(
                ranked.c.rank == 1,
                or_(sig.url_id.is_(None), sig.version_id != ranked.c.version_id),
            )
            .order_by(ranked.c.url_id)
        )
        found.extend((url_id, version_id, digest) for url_id, version_id, digest in rows)
    return found


def version_texts(conn: Connection, version_ids: Sequence[int]) -> dict[int, str]:
    """The text of each version, by version id."""
    version = m.ArticleVersion
    return {
        id_: text
        for chunk in chunks(version_ids)
        for id_, text in conn.execute(select(version.id, version.text).where(version.id.in_(chunk)))
    }


def store_signatures(
    conn: Connection,
    signed: Sequence[tuple[int, int, bytes, Sequence[int]]],
    params: str,
) -> None:
    """Store (url id, version id, signature, band keys) of articles signed with `params`; a new
    article starts as a cluster of one until its assignment is stored."""
    if not signed:
        return
    now = utcnow()
    rows = [
        {
            "url_id": url_id,
            "version_id": version_id,
            "params": params,
            "signature": signature,
            "cluster_id": url_id,
            "is_original": True,
            "computed_at": now,
        }
        for url_id, version_id, signature, _ in signed
    ]
    stmt = dialect_insert(conn, m.ArticleSignature)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[m.ArticleSignature.url_id],
            set_={
                name: getattr(stmt.excluded, name)
                for name in ("version_id", "params", "signature", "computed_at")
            },
        ),
        rows,  # executemany: compiled once, batched by SQLAlchemy
    )
    url_ids = [url_id for url_id, *_ in signed]
    for ids in chunks(url_ids):
        conn.execute(delete(m.ArticleBand).where(m.ArticleBand.url_id.in_(ids)))
    bands = [
        {"key": key, "url_id": url_id}
        for url_id, _, _, keys in signed
        for key in dict.fromkeys(keys)
    ]
    if bands:
        conn.execute(dialect_insert(conn, m.ArticleBand), bands)


def sharing(conn: Connection, keys: Sequence[int]) -> set[int]:
    """Articles with any of the band keys."""
    band = m.ArticleBand
    return {
        url_id
        for chunk in chunks(keys)
        for url_id in conn.execute(
            select(band.url_id).where(band.key.in_(chunk)).distinct()
        ).scalars()
    }


def clusters_of(conn: Connection, url_ids: Sequence[int]) -> set[int]:
    """The clusters the articles are in now."""
    sig = m.ArticleSignature
    return {
        cluster
        for chunk in chunks(url_ids)
        for cluster in conn.execute(select(sig.cluster_id).where(sig.url_id.in_(chunk))).scalars()
    }


def members_of(conn: Connection, clusters: Sequence[int]) -> set[int]:
    """The articles in the clusters."""
    sig = m.ArticleSignature
    return {
        url_id
        for chunk in chunks(clusters)
        for url_id in conn.execute(select(sig.url_id).where(sig.cluster_id.in_(chunk))).scalars()
    }


def assignments(conn: Connection, url_ids: Sequence[int] | None) -> dict[int, Assigned]:
    """The stored cluster of each article (of every article with None)."""
    sig = m.ArticleSignature
    query = select(sig.url_id, sig.cluster_id, sig.is_original)
    queries = (
        [query] if url_ids is None else [query.where(sig.url_id.in_(c)) for c in chunks(url_ids)]
    )
    return {
        url_id: (cluster, original)
        for stmt in queries
        for url_id, cluster, original in conn.execute(stmt)
    }


def linkable(
    conn: Connection, url_ids: Sequence[int]
) -> Iterable[tuple[int, bytes, date | datetime | None, datetime]]:
    """(url id, signature, published as stated, first captured) of those of the articles that
    share a band key with another article: only they can be linked, so memory follows the number
    of candidate copies, not of articles. Published is the stated moment where the page gave a
    time, else the day."""
    sig, version = m.ArticleSignature, m.ArticleVersion
    for chunk in chunks(sorted(_with_shared_band(conn, url_ids))):
        first = (
            select(version.url_id, func.min(version.first_seen).label("first_seen"))
            .where(version.url_id.in_(chunk))
            .group_by(version.url_id)
            .subquery()
        )
        rows = conn.execute(
            select(
                sig.url_id,
                sig.signature,
                version.published,
                version.published_time,
                first.c.first_seen,
            )
            .join(version, version.id == sig.version_id)
            .join(first, first.c.url_id == sig.url_id)
            .where(sig.url_id.in_(chunk))
        )
        for url_id, sig_, day, moment, seen in rows:
            yield url_id, sig_, datetime.fromisoformat(moment) if moment else day, seen


def store_assignments(conn: Connection, changes: Mapping[int, Assigned]) -> None:
    """Store the new (cluster id, is original) of each article."""
    sig = m.ArticleSignature
    rows = [
        {"b_url_id": url_id, "b_cluster_id": cluster, "b_is_original": original}
        for url_id, (cluster, original) in changes.items()
    ]
    stmt = (
        update(sig)
        .where(sig.url_id == bindparam("b_url_id"))
        .values(cluster_id=bindparam("b_cluster_id"), is_original=bindparam("b_is_original"))
    )
    for batch in chunks(rows):
        conn.execute(stmt, list(batch))


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
