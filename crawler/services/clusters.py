"""Syndication clusters kept up to date incrementally: signatures and band keys of new article
versions, then the clusters they can have changed (the clustering itself is `crawler.clustering`,
the rows `storage.db.clusters`).

An update signs only the articles whose current version has no current signature, then
re-clusters only what those can have changed: the signed articles, the articles sharing an LSH
band key with them (an index look-up in `article_bands`) and every member of those articles'
clusters, old and new. Clusters are connected groups, so no link can lead outside that set, and
the outcome equals a rebuild from scratch. Signatures made with other options are stale, so a
change of options re-signs everything.

During a crawl the store pipeline runs an update after each batch, for that batch's articles
only (`only`), with the signatures the extraction workers made (`signed`): the text is not read
back, nothing is signed in the crawling process, and nothing is left for the end of the crawl.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from crawler.clustering.groups import Assignment, Member, assign
from crawler.clustering.signatures import ClusterOptions, band_keys, signature
from crawler.core.article import TextSignature
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
    engine: Engine,
    options: ClusterOptions,
    *,
    rebuild: bool = False,
    only: Collection[int] | None = None,
    signed: Mapping[str, TextSignature] | None = None,
) -> ClusterUpdate:
    """Bring every article's signature and cluster up to date, in one transaction; with `rebuild`
    (or when stored signatures were made with other options) start from nothing.

    With `only`, just those articles are signed (and what they can change re-clustered): the
    caller has checked the stored signatures' options. `signed` holds signatures made already,
    by text digest; those made with other options are ignored."""
    if only is not None and not only:
        return ClusterUpdate(0, 0, 0, False)
    made = {digest: sig for digest, sig in (signed or {}).items() if sig.params == options.params}

    def write(conn: Connection) -> ClusterUpdate:
        previous = None
        rebuilt = only is None and (rebuild or rows.signed_with_other_params(conn, options.params))
        if rebuilt:
            previous = _assignments(conn, None)
            rows.forget_signatures(conn)
        stale = rows.stale(conn, None if only is None else sorted(only))
        keys: set[int] = set()
        for chunk in chunks(stale):
            keys.update(_sign(conn, chunk, options, made))
        signed = {url_id for url_id, *_ in stale}
        neighbours = rows.sharing(conn, sorted(keys))
        # A re-signed article keeps its old cluster id until `_reassign`: that cluster is affected.
        clusters = rows.clusters_of(conn, sorted(neighbours | signed))
        considered = signed | neighbours | rows.members_of(conn, sorted(clusters))
        changed = _reassign(conn, sorted(considered), options, previous)
        return ClusterUpdate(len(signed), len(considered), changed, rebuilt)

    return write_transaction(engine, write)


def _sign(
    conn: Connection,
    articles: Sequence[tuple[int, int, str]],
    options: ClusterOptions,
    made: Mapping[str, TextSignature],
) -> set[int]:
    """Store the signatures and band keys of (url id, version id, text digest) triples, computed
    here unless `made` has them; returns the band keys."""
    texts = rows.version_texts(
        conn, [version for _, version, digest in articles if digest not in made]
    )
    signed: list[tuple[int, int, bytes, Sequence[int]]] = []
    for url_id, version_id, digest in articles:
        ready = made.get(digest)
        if ready is not None:
            signed.append((url_id, version_id, ready.value, ready.keys))
            continue
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
